/**
 * The plugin against the emulator (its own emulation, our APIG protocol) over real HTTP on 127.0.0.1.
 */
import { type CancelKit, type CancelKitConfig, createCancelKit, createLogger, type LogRecord, SecretRegistry } from '@cancelkit/core';
import type { EmulatorCredential } from '@cancelkit/core/emulation';
import { type RunningEmulator, startEmulator } from '@cancelkit/emulator';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import ddsEmulation from './emulation.js';
import { LOOKBACK_DAYS, MAX_PAGES, PAGE_SIZE } from './dds-plugin.js';
import plugin, { ddsScheduledJobModule } from './index.js';

const ID = 'huaweicloud.dds.scheduled-job';
const PROJECT = 'cancelkit-demo-project';
const DEMO: EmulatorCredential = { accessKeyId: 'cancelkit-demo-ak', secret: 'cancelkit-demo-sk', projectId: PROJECT };
const TEMP: EmulatorCredential = { accessKeyId: 'HST.temporary-ak', secret: 'temporary-secret-key', securityToken: 'sts-security-token-0001', projectId: PROJECT };
const IAM_TOKEN = 'MIIY-iam-user-token-for-the-demo-project';
const SECRETS = [DEMO.secret, TEMP.secret, TEMP.securityToken ?? '', IAM_TOKEN];

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ port: 0, emulations: [ddsEmulation], credentials: [DEMO, TEMP], tokens: { [IAM_TOKEN]: DEMO } });
});
afterAll(async () => {
  await emu.stop();
});

const kits: CancelKit[] = [];
let logs: LogRecord[] = [];
beforeEach(() => {
  emu.reset();
  logs = [];
});
afterEach(async () => {
  await Promise.all(kits.splice(0).map((k) => k.close()));
});

function kit(providers: Record<string, unknown> = { ak: DEMO.accessKeyId, sk: DEMO.secret, projectId: PROJECT }, extra: CancelKitConfig = {}, url = emu.url): CancelKit {
  const secrets = new SecretRegistry();
  const k = createCancelKit({
    plugins: [plugin],
    secrets,
    logger: createLogger({ sink: (r) => logs.push(r), level: 'debug', secrets }),
    config: {
      endpoints: { 'huaweicloud.dds': url },
      providers: { huaweicloud: providers },
      env: {},
      homeDir: '/nonexistent-home',
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
      wait: { intervalMs: 10, timeoutMs: 2_000 },
      ...extra,
    },
  });
  kits.push(k);
  return k;
}

const job = (status = 'Pending', fields: Record<string, unknown> = {}) => emu.createOperation('huaweicloud.dds', { status, ...fields }).id;
const params = (jobId: string, more: Record<string, unknown> = {}) => ({ region: 'cn-north-4', jobId, ...more });
const deletes = () => emu.requests().filter((r) => r.method === 'DELETE');
const statusOf = (jobId: string) => emu.listOperations('huaweicloud.dds').find((op) => op.id === jobId)?.status;

function expectNoSecrets(...values: unknown[]): void {
  const text = JSON.stringify([values, logs]);
  for (const secret of SECRETS) expect(text).not.toContain(secret);
  expect(text).not.toMatch(/SDK-HMAC-SHA256 Access=/);
}

describe('cancel', () => {
  it('cancels a Pending job (204); it stays listed as Canceled', async () => {
    const jobId = job();
    const k = kit();
    const [result] = await k.cancel(ID, params(jobId));
    expect(result).toMatchObject({ target: jobId, outcome: 'cancelled', requestId: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(statusOf(jobId)).toBe('Canceled');
    expect(deletes()).toHaveLength(1);
    expect(deletes()[0]).toMatchObject({ status: 204, action: 'CancelScheduledTask', signature: { scheme: 'SDK-HMAC-SHA256', ok: true } });
    const [state] = await k.inspect(ID, params(jobId));
    expect(state).toMatchObject({ found: true, status: 'Canceled', terminal: true, cancelled: true, cancellable: false });
    const [again] = await k.cancel(ID, params(jobId));
    expect(again).toMatchObject({ outcome: 'already-finished' });
    expect(deletes()).toHaveLength(1);
    expectNoSecrets(result, state, again);
  });

  it('works as a ContainerModule too, and waits until the job is terminal', async () => {
    const jobId = job();
    const k = createCancelKit({
      plugins: [ddsScheduledJobModule],
      config: {
        endpoints: { 'huaweicloud.dds': emu.url },
        providers: { huaweicloud: { ak: DEMO.accessKeyId, sk: DEMO.secret, projectId: PROJECT } },
        env: {},
        wait: { intervalMs: 10, timeoutMs: 1_000 },
      },
    });
    kits.push(k);
    const [result] = await k.cancel(ID, params(jobId), { wait: true });
    expect(result).toMatchObject({ outcome: 'cancelled', waited: { terminal: true, timedOut: false, status: 'Canceled' } });
  });

  it('inspect reports the job’s details and finds it past the first page of the list', async () => {
    const target = job('Pending', { createTime: Date.now() - 3 * 24 * 3600 * 1000, jobName: 'RESIZE_FLAVOR', instanceName: 'orders-db' });
    for (let i = 0; i < 130; i++) job('Completed');
    const [state] = await kit().inspect(ID, params(target));
    expect(state).toMatchObject({ target, found: true, status: 'Pending', cancellable: true, details: { jobName: 'RESIZE_FLAVOR', instanceName: 'orders-db' } });
    expect(emu.requests().filter((r) => r.action === 'ListScheduledTasks')).toHaveLength(2);
  });
});

describe('a job beyond the pages the list is read to', () => {
  it('is not reported missing: the cancel is sent and the cloud decides', async () => {
    // The oldest task of the window, behind MAX_PAGES full pages of newer ones (the list is newest first).
    const target = job('Pending', { createTime: Date.now() - 6 * 24 * 3600 * 1000 });
    for (let i = 0; i < MAX_PAGES * PAGE_SIZE; i++) job('Completed');
    const k = kit();
    const [state] = await k.inspect(ID, params(target));
    expect(state).toMatchObject({ target, found: true, terminal: false, cancellable: true });
    expect(state?.reason).toMatch(/not among the first/);
    const [result] = await k.cancel(ID, params(target));
    expect(result).toMatchObject({ target, outcome: 'cancelled' });
    expect(statusOf(target)).toBe('Canceled');
  }, 60_000);
});

describe('a task booked more than 7 days ago (outside the list\u2019s default window)', () => {
  const DAY = 24 * 3600 * 1000;

  it('is found by the second, wider look: the pre-check and the cancel agree', async () => {
    const jobId = job('Pending', { createTime: Date.now() - 40 * DAY });
    const [plan] = await kit().plan(ID, params(jobId));
    expect(plan).toMatchObject({ state: { found: true, status: 'Pending', cancellable: true } });
    const [result] = await kit().cancel(ID, params(jobId));
    expect(result).toMatchObject({ outcome: 'cancelled' });
    expect(statusOf(jobId)).toBe('Canceled');
    // Each look lists twice: the default window (which misses the task), then the explicit one.
    expect(emu.requests().filter((r) => r.action === 'ListScheduledTasks')).toHaveLength(4);
  });

  it('a refused cancel of an old Canceled task is explained as already finished, not missing', async () => {
    const jobId = job('Canceled', { createTime: Date.now() - 40 * DAY });
    const [result] = await kit().cancel(ID, params(jobId), { precheck: false });
    expect(result).toMatchObject({ outcome: 'already-finished', reason: expect.stringMatching(/Canceled/) });
  });

  it('a task older than the look-back stays not-found, and the reason says how far it looked', async () => {
    const jobId = job('Pending', { createTime: Date.now() - (LOOKBACK_DAYS + 5) * DAY });
    const [state] = await kit().inspect(ID, params(jobId));
    expect(state).toMatchObject({ found: false, reason: expect.stringContaining(`last ${LOOKBACK_DAYS} days`) });
  });
});

describe('refusals', () => {
  const expected: Record<string, { outcome: string; reason: RegExp }> = {
    Running: { outcome: 'not-cancellable', reason: /Running/ },
    Completed: { outcome: 'already-finished', reason: /Completed/ },
    Failed: { outcome: 'already-finished', reason: /Failed/ },
    Canceled: { outcome: 'already-finished', reason: /Canceled/ },
  };

  for (const [status, { outcome, reason }] of Object.entries(expected)) {
    it(`${status}: the pre-check refuses without sending a cancel`, async () => {
      const jobId = job(status);
      const [result] = await kit().cancel(ID, params(jobId));
      expect(result).toMatchObject({ outcome, reason: expect.stringMatching(reason), state: { status } });
      expect(deletes()).toHaveLength(0);
      expect(statusOf(jobId)).toBe(status);
    });

    it(`${status}: without pre-check the 4xx refusal is explained through the list, not its DBS code`, async () => {
      const jobId = job(status);
      const [result] = await kit().cancel(ID, params(jobId), { precheck: false });
      expect(result).toMatchObject({ outcome, providerCode: 'DBS.200004', reason: expect.stringMatching(reason), error: { httpStatus: 400, code: 'NotCancellable' } });
      expect(deletes()).toHaveLength(1);
      expect(statusOf(jobId)).toBe(status);
    });
  }

  it('unknown job: not-found, with and without pre-check', async () => {
    const k = kit();
    const [checked] = await k.cancel(ID, params('3861199d-c196-4791-bcd0-b45fde754f50'));
    expect(checked).toMatchObject({ outcome: 'not-found' });
    expect(deletes()).toHaveLength(0);
    const [direct] = await k.cancel(ID, params('3861199d-c196-4791-bcd0-b45fde754f50'), { precheck: false });
    expect(direct).toMatchObject({ outcome: 'not-found', providerCode: 'DBS.200001', error: { code: 'NotFound' } });
  });

  it('a job of another project is not found in this one', async () => {
    const jobId = job('Pending', { projectId: 'another-project' });
    const [result] = await kit().cancel(ID, params(jobId), { precheck: false });
    expect(result).toMatchObject({ outcome: 'not-found' });
    expect(statusOf(jobId)).toBe('Pending');
  });

  describe('with other (configured) DBS codes and statuses the outcomes are the same', () => {
    let custom: RunningEmulator;
    beforeAll(async () => {
      custom = await startEmulator({
        port: 0,
        emulations: [ddsEmulation],
        settings: {
          ddsErrorCodes: {
            jobNotFound: { status: 404, code: 'DBS.280404', message: 'The scheduled task does not exist.' },
            jobNotCancellable: { status: 403, code: 'DBS.200011', message: 'The task status does not allow this operation.' },
          },
        },
      });
    });
    afterAll(async () => {
      await custom.stop();
    });

    it('404 unknown job → not-found; 403 wrong state → not-cancellable / already-finished', async () => {
      const k = kit(undefined, {}, custom.url);
      const running = custom.createOperation('huaweicloud.dds', { status: 'Running' }).id;
      const done = custom.createOperation('huaweicloud.dds', { status: 'Completed' }).id;
      const [r1] = await k.cancel(ID, params('no-such-job'), { precheck: false });
      const [r2] = await k.cancel(ID, params(running), { precheck: false });
      const [r3] = await k.cancel(ID, params(done), { precheck: false });
      expect(r1).toMatchObject({ outcome: 'not-found', providerCode: 'DBS.280404', error: { httpStatus: 404 } });
      expect(r2).toMatchObject({ outcome: 'not-cancellable', providerCode: 'DBS.200011', error: { httpStatus: 403 } });
      expect(r3).toMatchObject({ outcome: 'already-finished', providerCode: 'DBS.200011' });
    });
  });
});

describe('errors', () => {
  it('a wrong SK: failed, Unauthenticated, APIGW.0301, nothing secret in the error', async () => {
    const jobId = job();
    const [result] = await kit({ ak: DEMO.accessKeyId, sk: 'definitely-not-the-sk', projectId: PROJECT }).cancel(ID, params(jobId));
    expect(result).toMatchObject({ outcome: 'failed', providerCode: 'APIGW.0301', error: { code: 'Unauthenticated', httpStatus: 401 } });
    expect(statusOf(jobId)).toBe('Pending');
    expect(JSON.stringify(result)).not.toContain('definitely-not-the-sk');
    expectNoSecrets(result);
  });

  it('an unknown AK: Unauthenticated', async () => {
    const [result] = await kit({ ak: 'NOSUCHAK', sk: 'whatever-secret', projectId: PROJECT }).cancel(ID, params(job()));
    expect(result).toMatchObject({ outcome: 'failed', error: { code: 'Unauthenticated' } });
  });

  it('throttling (APIGW.0308, 429) is retried and then reported as Throttled', async () => {
    emu.setFaults({ throttle: 1 });
    const [result] = await kit().cancel(ID, params(job()), { precheck: false });
    expect(result).toMatchObject({ outcome: 'failed', attempts: 2, providerCode: 'APIGW.0308', error: { code: 'Throttled', retryable: true } });
  });

  it('5xx is Transient and retryable', async () => {
    emu.setFaults({ serverError: 1 });
    const [result] = await kit().cancel(ID, params(job()), { precheck: false });
    expect(result).toMatchObject({ outcome: 'failed', error: { code: 'Transient', retryable: true } });
  });

  it('another project than the key’s: PermissionDenied (403 APIGW.0302), job untouched', async () => {
    const jobId = job('Pending', { projectId: 'someone-elses-project' });
    const [result] = await kit().cancel(ID, params(jobId, { projectId: 'someone-elses-project' }));
    expect(result).toMatchObject({ outcome: 'failed', providerCode: 'APIGW.0302', error: { code: 'PermissionDenied' } });
    expect(statusOf(jobId)).toBe('Pending');
  });
});

describe('credentials', () => {
  it('an IAM token alone (X-Auth-Token) cancels', async () => {
    const jobId = job();
    const [result] = await kit({ authToken: IAM_TOKEN, projectId: PROJECT }).cancel(ID, params(jobId));
    expect(result).toMatchObject({ outcome: 'cancelled' });
    expect(deletes()[0]?.signature).toEqual({ scheme: 'X-Auth-Token', ok: true });
    expectNoSecrets(result);
  });

  it('an unknown IAM token is Unauthenticated', async () => {
    const [result] = await kit({ authToken: 'MIIY-forged-token', projectId: PROJECT }).cancel(ID, params(job()));
    expect(result).toMatchObject({ outcome: 'failed', error: { code: 'Unauthenticated' } });
  });

  it('temporary keys sign X-Security-Token', async () => {
    const jobId = job();
    const [result] = await kit({ ak: TEMP.accessKeyId, sk: TEMP.secret, securityToken: TEMP.securityToken, projectId: PROJECT }).cancel(ID, params(jobId));
    expect(result).toMatchObject({ outcome: 'cancelled' });
    expectNoSecrets(result);
  });

  it('credentials from HUAWEICLOUD_SDK_* and the project from projectIds[region]', async () => {
    const jobId = job();
    const k = kit(
      { projectIds: { 'cn-north-4': PROJECT } },
      { env: { HUAWEICLOUD_SDK_AK: DEMO.accessKeyId, HUAWEICLOUD_SDK_SK: DEMO.secret } },
    );
    const [result] = await k.cancel(ID, params(jobId));
    expect(result).toMatchObject({ outcome: 'cancelled' });
  });

  it('no project id anywhere: InvalidInput naming projectId, no request sent', async () => {
    const k = kit({ ak: DEMO.accessKeyId, sk: DEMO.secret });
    const [result] = await k.cancel(ID, params(job()));
    expect(result).toMatchObject({ outcome: 'failed', error: { code: 'InvalidInput', issues: [{ field: 'projectId' }] } });
    expect(emu.requests()).toHaveLength(0);
  });

  it('no credentials: Unauthenticated listing where it looked, no request sent', async () => {
    const [result] = await kit({}).cancel(ID, params(job(), { projectId: PROJECT }));
    expect(result).toMatchObject({ outcome: 'failed', error: { code: 'Unauthenticated', message: expect.stringContaining('HUAWEICLOUD_SDK_AK') } });
    expect(emu.requests()).toHaveLength(0);
  });
});

describe('parse', () => {
  const bad: [string, Record<string, unknown>, string][] = [
    ['missing jobId', { region: 'cn-north-4' }, 'jobId'],
    ['missing region', { jobId: 'j1' }, 'region'],
    ['CR/LF in jobId', { region: 'cn-north-4', jobId: 'j1\r\nX-Injected: 1' }, 'jobId'],
    ['NUL in jobId', { region: 'cn-north-4', jobId: 'j1\u0000' }, 'jobId'],
    ['slash in jobId', { region: 'cn-north-4', jobId: '../../v3/other/scheduled-jobs/x' }, 'jobId'],
    ['dot-dot jobId', { region: 'cn-north-4', jobId: '..' }, 'jobId'],
    ['absurdly long jobId', { region: 'cn-north-4', jobId: 'a'.repeat(10_000) }, 'jobId'],
    ['padded jobId', { region: 'cn-north-4', jobId: ' j1 ' }, 'jobId'],
    ['bad region', { region: 'CN North 4', jobId: 'j1' }, 'region'],
    ['slash in projectId', { region: 'cn-north-4', jobId: 'j1', projectId: 'a/b' }, 'projectId'],
    ['number jobId', { region: 'cn-north-4', jobId: 42 }, 'jobId'],
  ];
  for (const [name, input, field] of bad) {
    it(`rejects ${name}, naming ${field}, and sends nothing`, async () => {
      const k = kit();
      const error = await k.cancel(ID, input).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'InvalidInput' });
      expect((error as { issues: { field: string; message: string }[] }).issues.map((i) => i.field)).toContain(field);
      expect((error as Error).message).toContain(field);
      expect(emu.requests()).toHaveLength(0);
    });
  }

  it('rejects unknown keys (typos) and prototype keys', () => {
    expect(() => plugin.parse({ region: 'cn-north-4', jobID: 'j1' })).toThrow(/jobID|jobId/);
    expect(() => plugin.parse(JSON.parse('{"region":"cn-north-4","jobId":"j1","__proto__":{"x":1}}'))).toThrow();
  });

  it('the manifest’s JSON Schema accepts every jobId parse accepts, and such a job is cancelled', async () => {
    // JSON Schema patterns carry no flags (validators compile them with `u` only), so a pattern that needs
    // `s` refuses there what parse accepts: here a job id holding a Unicode line separator (not a control character).
    const jobId = job('Pending', { jobId: 'job\u2028id' });
    const node = (plugin.manifest.paramsSchema as { properties: { jobId: { pattern?: string; allOf?: { pattern: string }[] } } }).properties.jobId;
    const patterns = [...(node.pattern ? [node.pattern] : []), ...(node.allOf ?? []).map((a) => a.pattern)];
    expect(patterns.length).toBeGreaterThan(0);
    for (const id of [jobId, 'job\u2029id', 'a b', 'x', '3861199d-c196-4791-bcd0-b45fde754f50']) {
      expect(() => plugin.parse(params(id))).not.toThrow();
      for (const pattern of patterns) expect(new RegExp(pattern, 'u').test(id), `${pattern} on ${JSON.stringify(id)}`).toBe(true);
    }
    // And it refuses what parse refuses: the dot segments.
    for (const id of ['.', '..']) {
      expect(() => plugin.parse(params(id))).toThrow(/cannot be "\." or "\.\."/);
      expect(patterns.every((pattern) => new RegExp(pattern, 'u').test(id)), id).toBe(false);
    }
    const [result] = await kit().cancel(ID, params(jobId));
    expect(result).toMatchObject({ target: jobId, outcome: 'cancelled' });
    expect(statusOf(jobId)).toBe('Canceled');
  });

  it('accepts a real job id and an explicit project id', () => {
    expect(plugin.parse({ region: 'cn-north-4', jobId: '3861199d-c196-4791-bcd0-b45fde754f50', projectId: 'b02ce40e8cb84a8e980fdb11fac657db' })).toEqual({
      region: 'cn-north-4',
      jobId: '3861199d-c196-4791-bcd0-b45fde754f50',
      projectId: 'b02ce40e8cb84a8e980fdb11fac657db',
    });
  });
});
