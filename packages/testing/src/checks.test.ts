import { describe, expect, it } from 'vitest';
import { CancelKitError, definePlugin, invalidInput, type PluginManifest } from '@cancelkit/core';
import { hostileInputs, OVERSIZED_LENGTH } from './hostile.js';
import { checkManifest } from './manifest-rules.js';
import { checkCancelResult, outcomeOfThrown } from './outcomes.js';
import { findSecretLeaks, redactSecrets, replaceSecrets } from './secrets.js';

const manifest: PluginManifest = {
  id: 'acme.jobs.job',
  provider: 'acme',
  service: 'acme.jobs',
  operation: 'job',
  title: 'Cancel an Acme job',
  docsUrl: 'https://docs.acme.example/jobs/cancel',
  paramsSchema: { type: 'object', properties: { jobId: { type: 'string' } }, required: ['jobId'] },
  targetParam: 'jobId',
  capabilities: { inspect: false, batch: false, wait: false },
  coreRange: '^0.1.0',
};

describe('checkManifest', () => {
  it('accepts a valid manifest', () => {
    expect(checkManifest(manifest)).toEqual([]);
  });

  it('names each problem', () => {
    expect(checkManifest({ ...manifest, id: 'acme.jobs' })).toEqual([
      'id "acme.jobs" must be lower-case words joined by dots: provider.service.operation (e.g. acme.jobs.job)',
      'id "acme.jobs" must start with the service: "acme.jobs.<operation>"',
      'id "acme.jobs" must be service + "." + operation = "acme.jobs.job"',
    ]);
    expect(checkManifest({ ...manifest, paramsSchema: { type: 'array' } })).toEqual([
      'paramsSchema.type must be "object" (params are an object), got "array"',
      'paramsSchema.properties must be an object listing every parameter',
    ]);
    expect(checkManifest({ ...manifest, coreRange: 'not a range' })).toEqual([
      'coreRange: Plugin acme.jobs.job declares an invalid core range "not a range".',
    ]);
    expect(checkManifest({ ...manifest, capabilities: { inspect: false, batch: false, wait: true }, defaultQps: 0 })).toEqual([
      'capabilities.wait needs capabilities.inspect: waiting polls inspect',
      'defaultQps must be a positive number of requests per second, got 0',
    ]);
    expect(checkManifest({ ...manifest, docsUrl: 'docs' })).toEqual(['docsUrl "docs" is not a URL']);
    expect(checkManifest(null)).toEqual(['the manifest must be an object']);
  });

  it('checks the range against a given core version', () => {
    expect(checkManifest(manifest, { coreVersion: '0.2.0' })).toEqual([
      'coreRange: Plugin acme.jobs.job supports @cancelkit/core ^0.1.0, but the running core is 0.2.0.',
    ]);
  });

  it('checks capabilities against the hooks and examples against parse', () => {
    const withExample = { ...manifest, capabilities: { inspect: true, batch: false, wait: false }, examples: [{ jobId: 42 }] };
    const plugin = definePlugin<{ jobId: string }>({
      manifest: withExample,
      parse(input) {
        const jobId = (input as { jobId?: unknown }).jobId;
        if (typeof jobId !== 'string') throw invalidInput([{ field: 'jobId', message: 'must be a string' }]);
        return { jobId };
      },
      targets: (p) => [p.jobId],
      cancel: async () => [],
    });
    expect(checkManifest(withExample, { plugin })).toEqual([
      'capabilities.inspect is true but the plugin has no inspect hook',
      'examples[0] is rejected by parse: Invalid input: jobId: must be a string',
    ]);
  });
});

describe('findSecretLeaks', () => {
  const secret = 'sk-0123456789abcdef';

  it('finds a secret in a cause chain, a non-enumerable property and the JSON form, without printing it', () => {
    const inner = new Error('socket hang up');
    Object.defineProperty(inner, 'options', { value: { headers: { authorization: `Bearer id:${secret}` } }, enumerable: false });
    const error = new CancelKitError('Transient', 'network failed', { cause: inner });
    const leaks = findSecretLeaks(error, [secret], 'error');
    expect(leaks).toEqual(['error.cause.options.headers.authorization']);
    expect(leaks.join()).not.toContain(secret);
  });

  it('checks messages, String() and JSON, and ignores secrets too short to matter', () => {
    expect(findSecretLeaks(new CancelKitError('Unauthenticated', `bad key ${secret}`), [secret], 'e')).toEqual([
      'e.stack',
      'e.message',
      'String(e)',
      'JSON.stringify(e)',
    ]);
    expect(findSecretLeaks({ outcome: 'cancelled', reason: 'ok' }, [secret, 'ok'], 'o')).toEqual([]);
    expect(findSecretLeaks({ body: Buffer.from(`x${secret}x`) }, [secret], 'r')).toEqual(['r.body']);
  });

  it('survives cycles and throwing getters', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    Object.defineProperty(a, 'boom', {
      get() {
        throw new Error('no');
      },
      enumerable: false,
    });
    expect(findSecretLeaks(a, [secret], 'a')).toEqual([]);
  });

  it('replaceSecrets builds the same credentials with another secret; redactSecrets masks text', () => {
    expect(replaceSecrets({ id: 'ak', secret, nested: [secret] }, [secret], () => 'wrong')).toEqual({ id: 'ak', secret: 'wrong', nested: ['wrong'] });
    expect(redactSecrets(`the key ${secret} failed`, [secret])).toBe('the key [REDACTED] failed');
  });
});

describe('hostileInputs', () => {
  it('derives shape, pollution, control-character and size attacks from valid params', () => {
    const inputs = hostileInputs({ regionId: 'cn-hangzhou', ids: ['a', 'b'] });
    const labels = inputs.map((i) => i.label);
    expect(labels).toContain('null');
    expect(labels).toContain('an array holding valid params');
    expect(labels).toContain('regionId with CRLF');
    expect(labels).toContain('ids[0] with NUL');
    const proto = inputs.find((i) => i.field === '__proto__')?.input as object;
    expect(Object.keys(proto)).toContain('__proto__');
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    const big = inputs.find((i) => i.label === 'regionId with 100 KB')?.input as { regionId: string };
    expect(big.regionId).toHaveLength(OVERSIZED_LENGTH);
  });

  it('only shape attacks for non-object params', () => {
    expect(hostileInputs('job-1').every((i) => i.field === undefined)).toBe(true);
  });
});

describe('checkCancelResult', () => {
  it('wants exactly one outcome per target, each as expected', () => {
    expect(checkCancelResult(['a', 'b'], { outcomes: [{ target: 'a', outcome: 'cancelled', requestId: 'r' }, { target: 'b', outcome: 'not-found' }] }, (t) => (t === 'a' ? 'cancelled' : 'not-found'))).toEqual([]);
    expect(checkCancelResult(['a', 'b'], { outcomes: [{ target: 'a', outcome: 'cancelled' }, { target: 'c', outcome: 'cancelled' }] }, 'cancelled')).toEqual([
      'outcome #1 names target "c", which this call did not address (targets: a, b)',
      'target b: no outcome (exactly one outcome per target is required)',
    ]);
    expect(checkCancelResult(['a'], { outcomes: [{ target: 'a', outcome: 'failed' }] }, 'cancelled')).toEqual([
      'outcome #0 (target a) is "failed" without an error in the taxonomy (error.code one of InvalidInput, Unauthenticated, PermissionDenied, NotFound, NotCancellable, Throttled, Transient, Unknown)',
      'target a: expected outcome "cancelled", got "failed"',
    ]);
    expect(checkCancelResult(['a'], { outcomes: 'done' }, 'cancelled')).toEqual(['cancel must resolve to an array of outcomes, got string']);
  });

  it('treats a thrown taxonomy error as that outcome for every target, as the engine does', () => {
    expect(outcomeOfThrown(new CancelKitError('NotFound', 'gone'))).toBe('not-found');
    expect(outcomeOfThrown(new CancelKitError('Throttled', 'slow'))).toBe('failed');
    expect(checkCancelResult(['a'], { thrown: new CancelKitError('NotFound', 'gone') }, 'not-found')).toEqual([]);
    expect(checkCancelResult(['a'], { thrown: new TypeError('x is undefined') }, 'not-found')).toEqual([
      'cancel threw something outside the error taxonomy (TypeError: x is undefined): throw a CancelKitError or return outcomes',
    ]);
  });
});
