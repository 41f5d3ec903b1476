import { describe, expect, it } from 'vitest';
import { CancelKitError, definePlugin, invalidInput, type PluginManifest } from '@cancelkit/core';
import { hostileInputs, OVERSIZED_LENGTH } from './hostile.js';
import { checkManifest } from './manifest-rules.js';
import { checkCancelResult, outcomeOfThrown } from './outcomes.js';
import { checkJsonSchema } from './params-schema.js';
import { formatRuleFailure, ruleTitle } from './rules.js';
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

describe('params JSON Schema', () => {
  const withSchema = (paramsSchema: Record<string, unknown>) => checkManifest({ ...manifest, paramsSchema });
  const withProperty = (jobId: unknown, extra: Record<string, unknown> = {}) =>
    withSchema({ type: 'object', properties: { jobId }, required: ['jobId'], ...extra });

  it('accepts what z.toJSONSchema emits for the first-party plugins', () => {
    // Copied from the tair and dds manifests: anyOf, type arrays, items, allOf of \p{..} patterns.
    const tair = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        ids: { description: 'O&M event Ids', anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'array', items: { type: ['string', 'number'] } }] },
        regionId: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-z]{2,}(?:-[a-z0-9]+)+$' },
      },
      required: ['ids'],
      additionalProperties: false,
    };
    const dds = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        jobId: { type: 'string', minLength: 1, maxLength: 128, allOf: [{ pattern: '^\\P{Cc}*$' }, { pattern: '^[^/\\\\]*$' }, { pattern: '^(\\S.*\\S|\\S)$' }] },
      },
      required: ['jobId'],
      additionalProperties: false,
    };
    expect(checkManifest({ ...manifest, targetParam: 'ids', paramsSchema: tair })).toEqual([]);
    expect(withSchema(dds)).toEqual([]);
    expect(
      withSchema({
        type: 'object',
        properties: { jobId: { $ref: '#/$defs/JobId' }, tags: { type: 'object', patternProperties: { '^x-': true }, required: ['x-team'] }, on: { enum: ['a', 1], example: 'a' } },
        required: ['jobId'],
        $defs: { JobId: { type: 'string', format: 'uuid', examples: ['7d8…'] } },
      }),
    ).toEqual([]);
  });

  it('rejects a misspelt type name and a required parameter that is not a property', () => {
    expect(withProperty({ type: 'strng' })).toEqual([
      'paramsSchema.properties.jobId.type "strng" is not a JSON Schema type (one of null, boolean, object, array, number, string, integer)',
    ]);
    expect(withSchema({ type: 'object', properties: { jobId: { type: 'string' } }, required: ['jobId', 'missing'] })).toEqual([
      'paramsSchema.required lists "missing", which is not in paramsSchema.properties',
    ]);
    expect(withSchema({ type: 'object', properties: { jobId: { type: 'string' } }, required: 'jobId' })).toEqual(['paramsSchema.required must be an array of property names']);
  });

  it('checks nested items and properties recursively', () => {
    expect(
      withProperty({
        type: 'array',
        items: { type: 'object', properties: { id: { type: ['string', 'nul'] } }, required: ['id', 'name'] },
        minItems: 2,
        maxItems: 1,
      }),
    ).toEqual([
      'paramsSchema.properties.jobId.items.properties.id.type "nul" is not a JSON Schema type (one of null, boolean, object, array, number, string, integer)',
      'paramsSchema.properties.jobId.items.required lists "name", which is not in paramsSchema.properties.jobId.items.properties',
      'paramsSchema.properties.jobId.minItems (2) is greater than paramsSchema.properties.jobId.maxItems (1): no value can satisfy it',
    ]);
    expect(withProperty({ anyOf: [{ type: 'string' }, 7] })).toEqual(['paramsSchema.properties.jobId.anyOf[1] must be a JSON Schema (an object, or true / false), got 7']);
    expect(withProperty({ oneOf: [] })).toEqual(['paramsSchema.properties.jobId.oneOf must be a non-empty array of JSON Schemas']);
  });

  it('checks keyword values: lengths, patterns, bounds, enums, refs', () => {
    expect(withProperty({ type: 'string', minLength: -1, maxLength: '64', pattern: '^[a-z' })).toEqual([
      'paramsSchema.properties.jobId.minLength must be a non-negative integer, got -1',
      'paramsSchema.properties.jobId.maxLength must be a non-negative integer, got "64"',
      'paramsSchema.properties.jobId.pattern "^[a-z" is not a valid regular expression: Invalid regular expression: /^[a-z/u: Unterminated character class',
    ]);
    expect(withProperty({ type: 'integer', exclusiveMinimum: true, minimum: 5, maximum: 1, multipleOf: 0 })).toEqual([
      'paramsSchema.properties.jobId.exclusiveMinimum is a boolean (the draft-04 form); since draft-06 it is the bound itself, e.g. "exclusiveMinimum": 0',
      'paramsSchema.properties.jobId.multipleOf must be a number greater than 0, got 0',
      'paramsSchema.properties.jobId.minimum (5) is greater than paramsSchema.properties.jobId.maximum (1): no value can satisfy it',
    ]);
    expect(withProperty({ type: 'string', enum: ['a', 2] })).toEqual(['paramsSchema.properties.jobId.enum value 2 is not of paramsSchema.properties.jobId.type "string"']);
    expect(withProperty({ enum: [] })).toEqual(['paramsSchema.properties.jobId.enum must be a non-empty array of the allowed values']);
    expect(withProperty({ $ref: '#/$defs/Missing' })).toEqual(['paramsSchema.properties.jobId.$ref "#/$defs/Missing" does not resolve inside paramsSchema']);
    expect(withProperty({ $ref: 'https://schemas.example/job.json' })).toEqual([
      'paramsSchema.properties.jobId.$ref "https://schemas.example/job.json" points outside paramsSchema; hosts read the manifest alone, so keep definitions in $defs and refer to them as "#/$defs/<name>"',
    ]);
  });

  it('names an unknown key that looks like a misspelt keyword, and tolerates other extensions', () => {
    expect(withProperty({ type: 'string', maxlength: 64, 'x-cli-flag': 'job' })).toEqual([
      'paramsSchema.properties.jobId has "maxlength", which is not a JSON Schema keyword (did you mean "maxLength"?); JSON Schema ignores unknown keywords, so it checks nothing',
    ]);
    expect(withSchema({ type: 'object', properties: { jobId: { type: 'string' } }, requried: ['jobId'] })).toEqual([
      'paramsSchema has "requried", which is not a JSON Schema keyword (did you mean "required"?); JSON Schema ignores unknown keywords, so it checks nothing',
    ]);
  });

  it('knows the dialects: a draft-07 tuple is fine there, not in 2020-12', () => {
    const tuple = { type: 'array', items: [{ type: 'string' }, { type: 'number' }] };
    expect(withProperty(tuple)).toEqual(['paramsSchema.properties.jobId.items is an array (the draft-07 tuple form); in JSON Schema 2020-12 use prefixItems for a tuple']);
    expect(withProperty(tuple, { $schema: 'http://json-schema.org/draft-07/schema#' })).toEqual([]);
    expect(withProperty({ type: 'string' }, { $schema: 'https://example.com/my-dialect' })).toEqual([
      'paramsSchema.$schema "https://example.com/my-dialect" is not a dialect hosts understand: use "https://json-schema.org/draft/2020-12/schema" (what z.toJSONSchema emits) or leave it out',
    ]);
  });

  it('checkJsonSchema survives a cycle (a manifest must be JSON)', () => {
    const node: Record<string, unknown> = { type: 'object' };
    node.properties = { self: node };
    expect(checkJsonSchema(node, 'schema')).toEqual(['schema.properties.self refers back to itself: a manifest must be plain JSON (use $defs and $ref for recursion)']);
  });
});

describe('formatRuleFailure', () => {
  it('starts with the rule id and the plugin, then lists every problem', () => {
    const problems = checkManifest({ ...manifest, paramsSchema: { type: 'object', properties: { jobId: { type: 'strng' } }, required: ['jobId', 'missing'] } });
    const message = formatRuleFailure({ rule: 'manifest', title: ruleTitle('manifest'), status: 'failed', problems }, 'acme.jobs.job');
    expect(message).toBe(
      [
        '[manifest] acme.jobs.job breaks the rule "the manifest is valid (id, prefixes, docs URL, params JSON Schema, capabilities, core range)":',
        '  - paramsSchema.properties.jobId.type "strng" is not a JSON Schema type (one of null, boolean, object, array, number, string, integer)',
        '  - paramsSchema.required lists "missing", which is not in paramsSchema.properties',
      ].join('\n'),
    );
    expect(formatRuleFailure({ rule: 'cancel-outcomes:mixed', title: ruleTitle('cancel-outcomes:mixed'), status: 'failed', problems: ['target a: no outcome'] }, 'p')).toBe(
      '[cancel-outcomes:mixed] p breaks the rule "cancel reports exactly one outcome per target: mixed case":\n  - target a: no outcome',
    );
  });
});
