import { afterAll, describe, expect, it } from 'vitest';
import type { CancellablePlugin } from '@cancelkit/core';
import { type ConformanceOptions, conformanceRuleIds, runConformance } from './conformance.js';
import { describeCancellablePlugin } from './describe.js';
import type { RuleResult } from './rules.js';
import { FAKE_KEY, fakeCases, fakeJobsEmulation, fakeJobsPlugin, type FakeParams } from './test-support/fake-jobs.js';

const emulatorCredentials = { credentials: [{ accessKeyId: FAKE_KEY.keyId, secret: FAKE_KEY.secret }] };

function optionsFor(capture?: (url: string) => void): ConformanceOptions {
  return {
    emulation: fakeJobsEmulation,
    cases: fakeCases,
    emulator: emulatorCredentials,
    config: (url) => {
      capture?.(url);
      return { providers: { fake: { keyId: FAKE_KEY.keyId, secret: FAKE_KEY.secret } } };
    },
    settleMs: 50,
  };
}

async function run(plugin: CancellablePlugin<FakeParams>, capture?: (url: string) => void, settleMs?: number): Promise<Map<string, RuleResult>> {
  const results = await runConformance(plugin, { ...optionsFor(capture), ...(settleMs !== undefined ? { settleMs } : {}) });
  return new Map(results.map((r) => [r.rule, r]));
}

function failed(results: Map<string, RuleResult>): string[] {
  return [...results.values()].filter((r) => r.status === 'failed').map((r) => r.rule);
}

// The kit as authors use it: a correct plugin registers one passing test per rule.
describeCancellablePlugin(fakeJobsPlugin(), optionsFor());

describe('runConformance', () => {
  it('passes a plugin that honours the contract, reporting every rule', async () => {
    const results = await runConformance(fakeJobsPlugin(), optionsFor());
    expect(results.map((r) => r.rule)).toEqual(conformanceRuleIds(fakeCases));
    expect(results.filter((r) => r.status !== 'passed')).toEqual([]);
  });

  it('catches two outcomes for one target and names the rule', async () => {
    const results = await run(fakeJobsPlugin('two-outcomes'));
    const rule = results.get('cancel-outcomes:cancellable');
    expect(rule?.status).toBe('failed');
    expect(rule?.problems.join('\n')).toMatch(/2 outcomes \(cancelled, cancelled\); exactly one outcome per target/);
    expect(failed(results)).toEqual(['cancel-outcomes:cancellable', 'cancel-outcomes:not-cancellable', 'cancel-outcomes:not-found']);
  });

  it('catches a secret in an error message, without printing the secret', async () => {
    const results = await run(fakeJobsPlugin('secret-in-error'));
    const rule = results.get('no-secret-leak');
    expect(failed(results)).toEqual(['no-secret-leak']);
    const text = rule?.problems.join('\n') ?? '';
    expect(text).toMatch(/cancel\(with a wrong secret\) error\.message contains a credential secret/);
    expect(text).not.toContain('wrong-');
    expect(text).not.toContain(FAKE_KEY.secret);
  });

  it('catches a secret written to the log', async () => {
    const results = await run(fakeJobsPlugin('logs-secret'));
    expect(failed(results)).toEqual(['no-secret-leak']);
    expect(results.get('no-secret-leak')?.problems[0]).toMatch(/^log record #\d+ \("calling \/fake\/v1\/jobs\/.*as fake-demo-key:\[REDACTED\]"\)\.message contains a credential secret$/);
  });

  it('catches a parse that sends a request', async () => {
    let url: string | undefined;
    const results = await run(
      fakeJobsPlugin('parse-sends-request', { leakUrl: () => url }),
      (u) => {
        url = u;
      },
      // The broken parse fires its request without awaiting it; on a loaded machine the first fetch
      // takes a while to reach the emulator, so give it time to land.
      2_000,
    );
    expect(failed(results)).toEqual(['parse-sends-no-request']);
    expect(results.get('parse-sends-no-request')?.problems[0]).toMatch(/^parse sent GET \/fake\/v1\/jobs\/parse-probe \(GetJob\) to the emulator/);
  });

  it('catches a parse that lets control characters and 100 KB strings through', async () => {
    const results = await run(fakeJobsPlugin('lenient-parse'));
    expect(failed(results)).toEqual(['parse-rejects-invalid']);
    const problems = results.get('parse-rejects-invalid')?.problems.join('\n') ?? '';
    expect(problems).toMatch(/hostile input: jobId with CRLF: parse accepted it/);
    expect(problems).toMatch(/hostile input: jobId with NUL: parse accepted it/);
    expect(problems).toMatch(/hostile input: jobId with 100 KB: parse accepted it/);
  });

  it('catches an inspect that mutates', async () => {
    const results = await run(fakeJobsPlugin('inspect-mutates'));
    const rule = results.get('inspect-read-only');
    expect(rule?.status).toBe('failed');
    const text = rule?.problems.join('\n') ?? '';
    expect(text).toMatch(/cancellable: inspect changed the emulator's state: operation fake\.jobs\/job-\S+ changed from .*"running".* to .*"cancelled"/);
    expect(text).toMatch(/inspect sent POST \/fake\/v1\/jobs\/\S+\/cancel \(CancelJob\), which is not a read-only call of fake\.jobs/);
  });

  it('catches a bad manifest, naming each problem', async () => {
    const results = await run(fakeJobsPlugin('bad-manifest'));
    const rule = results.get('manifest');
    expect(rule?.status).toBe('failed');
    const text = rule?.problems.join('\n') ?? '';
    for (const expected of [
      'id "Fake_Jobs" must be lower-case words joined by dots',
      'service "other.jobs" must start with the provider',
      'docsUrl must be an https URL',
      'targetParam "id" is not one of paramsSchema.properties',
      'paramsSchema.required lists "region"',
      'capabilities.batch is true but the plugin has no select hook',
      'supports @cancelkit/core ^9.0.0, but the running core is 0.1.0',
    ]) {
      expect(text).toContain(expected);
    }
  });

  it('catches a throttling error mapped outside the taxonomy it belongs to', async () => {
    const results = await run(fakeJobsPlugin('throttled-as-unknown'));
    expect(failed(results)).toEqual(['errors:throttled']);
    expect(results.get('errors:throttled')?.problems).toEqual([
      "cancel, answered with the emulator's throttling error, gave Unknown; expected Throttled",
      "inspect, answered with the emulator's throttling error, threw Unknown; expected Throttled",
    ]);
  });

  it('catches a permission refusal mapped outside the taxonomy it belongs to', async () => {
    const results = await run(fakeJobsPlugin('forbidden-as-unknown'));
    expect(failed(results)).toEqual(['errors:permission-denied']);
    expect(results.get('errors:permission-denied')?.problems).toEqual([
      "cancel, answered with the emulator's permission refusal, gave Unknown; expected PermissionDenied",
      "inspect, answered with the emulator's permission refusal, threw Unknown; expected PermissionDenied",
    ]);
  });

  it('catches a network failure rethrown raw (outside the taxonomy, headers and all)', async () => {
    const results = await run(fakeJobsPlugin('raw-network-error'));
    expect(failed(results)).toEqual(['errors:transient', 'no-secret-leak']);
    const problems = results.get('errors:transient')?.problems ?? [];
    expect(problems).toContainEqual(
      expect.stringMatching(/^cancel, answered with the emulator's connection reset, threw a non-taxonomy error \(RequestError: .*\); expected Transient marked ambiguous: true/),
    );
    expect(problems).toContainEqual(expect.stringMatching(/^inspect, answered with the emulator's connection reset, threw a non-taxonomy error \(RequestError: .*\); expected Transient$/));
    expect(problems).toContainEqual(
      expect.stringMatching(/^cancel, answered with the emulator's response slower than the 250 ms call timeout, threw a non-taxonomy error \((TimeoutError|RequestError): /),
    );
    // got's error object carries the request options, Authorization header included.
    expect(results.get('no-secret-leak')?.problems.join('\n')).toMatch(
      /cancel\(with a connection reset\) error\.request\._requestOptions\.headers\.authorization contains a credential secret/,
    );
  });

  it('catches a network failure that is not marked ambiguous', async () => {
    const results = await run(fakeJobsPlugin('network-not-ambiguous'));
    expect(failed(results)).toEqual(['errors:transient']);
    expect(results.get('errors:transient')?.problems).toEqual([
      "cancel, answered with the emulator's connection reset, threw Transient without ambiguous: true; the request may have been applied, and only an ambiguous error makes the engine check through inspect before it retries",
      "cancel, answered with the emulator's response slower than the 250 ms call timeout, threw Transient without ambiguous: true; the request may have been applied, and only an ambiguous error makes the engine check through inspect before it retries",
    ]);
  });

  it('catches a timeout mapped to Unknown', async () => {
    const results = await run(fakeJobsPlugin('timeout-as-unknown'));
    expect(failed(results)).toEqual(['errors:transient']);
    expect(results.get('errors:transient')?.problems).toEqual([
      "cancel, answered with the emulator's response slower than the 250 ms call timeout, threw Unknown; expected Transient marked ambiguous: true",
      "inspect, answered with the emulator's response slower than the 250 ms call timeout, threw Unknown; expected Transient",
    ]);
  });

  it('catches a network failure returned as a final "failed" outcome instead of thrown', async () => {
    const results = await run(fakeJobsPlugin('network-as-failed-outcome'));
    expect(failed(results)).toEqual(['errors:transient']);
    expect(results.get('errors:transient')?.problems[0]).toMatch(
      /^cancel, answered with the emulator's connection reset, returned outcomes \(Transient\); it must throw a Transient CancelKitError marked ambiguous: true/,
    );
  });

  it('catches an inspect that cannot tell a reset-but-applied cancel happened', async () => {
    const results = await run(fakeJobsPlugin('inspect-hides-cancelled'));
    expect(failed(results)).toEqual(['errors:transient']);
    // The reset after the handler ran (seeded) changed the job; inspect must then say cancelled: true.
    expect(results.get('errors:transient')?.problems).toEqual([
      expect.stringMatching(
        /^after a connection reset \(reset-after\) that came after the cancel was applied, inspect says found=true cancellable=false terminal=true cancelled=false status=cancelled for target job-\S+; it must say cancelled: true/,
      ),
    ]);
  });

  it('catches a params schema with a misspelt type, in the manifest rule', async () => {
    const results = await run(fakeJobsPlugin('untyped-params-schema'));
    expect(failed(results)).toEqual(['manifest']);
    expect(results.get('manifest')?.problems).toEqual([
      'paramsSchema.properties.jobId.type "strng" is not a JSON Schema type (one of null, boolean, object, array, number, string, integer)',
    ]);
  });

  it('catches a "cancelled" outcome that no cancel call backs', async () => {
    const results = await run(fakeJobsPlugin('cancel-without-request'));
    const text = results.get('cancel-outcomes:cancellable')?.problems.join('\n') ?? '';
    expect(text).toContain('no successful state-changing call reached the emulator');
    expect(text).toMatch(/operation\(s\) job-\S+ did not change in the emulator after cancel/);
    expect(results.get('cancel-outcomes:not-found')?.problems).toEqual(['target job-does-not-exist: expected outcome "not-found", got "cancelled"']);
  });

  it('catches a "cancelled" outcome whose request id the cloud never issued', async () => {
    const results = await run(fakeJobsPlugin('made-up-request-id'));
    expect(failed(results)).toEqual(['cancel-outcomes:cancellable']);
    expect(results.get('cancel-outcomes:cancellable')?.problems).toEqual([
      expect.stringMatching(
        /^target (job-\S+): the "cancelled" outcome carries requestId "local-\1", which the emulator never issued while cancel ran; pass on the cloud's request id from its answer, not one of your own$/,
      ),
    ]);
  });

  it('catches an inspect that throws for an unknown target instead of reporting found: false', async () => {
    const results = await run(fakeJobsPlugin('inspect-throws-not-found'));
    expect(failed(results)).toEqual(['inspect-states']);
    expect(results.get('inspect-states')?.problems[0]).toMatch(/^notFound: inspect threw NotFound \(JobNotFound\)/);
  });

  it('checks extra cases (e.g. an already finished job) as their own rule', async () => {
    const results = await runConformance(fakeJobsPlugin(), {
      ...optionsFor(),
      cases: {
        ...fakeCases,
        more: {
          finished: { operation: { status: 'succeeded' }, params: (op) => ({ jobId: op.id }), expect: 'already-finished' },
          wrong: { operation: { status: 'succeeded' }, params: (op) => ({ jobId: op.id }), expect: 'cancelled' },
        },
      },
    });
    const byRule = new Map(results.map((r) => [r.rule, r]));
    expect(byRule.get('cancel-outcomes:finished')?.status).toBe('passed');
    expect(byRule.get('cancel-outcomes:wrong')?.problems.join('\n')).toMatch(/expected outcome "cancelled", got "already-finished"/);
  });

  it('accepts refusals thrown in the taxonomy, settling them through inspect as the engine does', async () => {
    const results = await runConformance(fakeJobsPlugin('throws-refusals'), {
      ...optionsFor(),
      cases: {
        ...fakeCases,
        more: { finished: { operation: { status: 'succeeded' }, params: (op) => ({ jobId: op.id }), expect: 'already-finished' } },
      },
    });
    expect(results.filter((r) => r.status !== 'passed')).toEqual([]);
  });

  it('catches an error outside the taxonomy from the inspect that settles a thrown refusal', async () => {
    const results = await run(fakeJobsPlugin('refusal-inspect-crashes'));
    expect(failed(results)).toEqual(['inspect-states', 'cancel-outcomes:not-cancellable']);
    expect(results.get('cancel-outcomes:not-cancellable')?.problems).toEqual([
      "inspect, asked (as the engine does) to settle the refusal cancel threw, threw a non-taxonomy error (TypeError: Cannot read properties of undefined (reading 'progress')); throw a CancelKitError",
    ]);
  });

  it('fails every emulator rule with the reason when setup fails', async () => {
    const results = await runConformance(fakeJobsPlugin(), { ...optionsFor(), config: {} });
    const notManifest = results.filter((r) => r.rule !== 'manifest');
    expect(notManifest.every((r) => r.status === 'failed')).toBe(true);
    expect(notManifest[0]?.problems[0]).toMatch(/^setup failed: could not resolve credentials through providers\.fake\.keyId\/secret or FAKE_KEY_ID\/FAKE_SECRET/);
  });
});

afterAll(() => {
  // Nothing global is left behind: a parse that polluted Object.prototype would have been cleaned and reported.
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});
