/**
 * The server with the five real plugins against the real emulator over HTTP: every request signed by
 * the provider packages and verified by the emulator, exactly as against the cloud.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CancellablePlugin, EmulatedOperation, ServiceEmulation } from '@cancelkit/core';
import { DEMO_CREDENTIALS, type RunningEmulator, startEmulator } from '@cancelkit/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveServerConfig } from './config.js';
import { type StartedServer, startServer } from './start.js';
import { ADMIN_TOKEN, startTestServer, type TestServer } from './test-support/harness.js';

const SERVER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface PluginCase {
  readonly pkg: string;
  readonly id: string;
  readonly service: string;
  /** The emulator's name (in its request log) for the cancel call. */
  readonly cancelAction: string;
  readonly params: (op: EmulatedOperation) => Record<string, unknown>;
}

const str = (value: unknown, fallback: string): string => (typeof value === 'string' ? value : fallback);

const CASES: readonly PluginCase[] = [
  {
    pkg: '@cancelkit/plugin-alibaba-ecs',
    id: 'alibaba.ecs.task',
    service: 'alibaba.ecs',
    cancelAction: 'CancelTask',
    params: (op) => ({ regionId: str(op['regionId'], 'cn-hangzhou'), taskId: op.id }),
  },
  {
    pkg: '@cancelkit/plugin-alibaba-tair',
    id: 'alibaba.tair.ops-event',
    service: 'alibaba.tair',
    cancelAction: 'CancelActiveOperationTasks',
    params: (op) => ({ ids: [op.id] }),
  },
  {
    pkg: '@cancelkit/plugin-alibaba-oos',
    id: 'alibaba.oos.execution',
    service: 'alibaba.oos',
    cancelAction: 'CancelExecution',
    params: (op) => ({ regionId: str(op['regionId'], 'cn-hangzhou'), executionId: op.id }),
  },
  {
    pkg: '@cancelkit/plugin-alibaba-opensearch',
    id: 'alibaba.opensearch.fsm-task',
    service: 'alibaba.opensearch',
    cancelAction: 'StopTask',
    params: (op) => ({ regionId: str(op['regionId'], 'cn-hangzhou'), instanceId: str(op['instanceId'], 'ha-cn-demo'), fsmId: op.id }),
  },
  {
    pkg: '@cancelkit/plugin-huaweicloud-dds',
    id: 'huaweicloud.dds.scheduled-job',
    service: 'huaweicloud.dds',
    cancelAction: 'CancelScheduledTask',
    params: (op) => ({ region: 'cn-north-4', jobId: op.id }),
  },
];

const one = <T>(value: T | readonly T[]): T => (Array.isArray(value) ? (value[0] as T) : (value as T));

async function loadCase(c: PluginCase): Promise<{ plugin: CancellablePlugin<unknown>; emulation: ServiceEmulation }> {
  const pluginModule = (await import(c.pkg)) as { default: CancellablePlugin<unknown> | CancellablePlugin<unknown>[] };
  const emulationModule = (await import(`${c.pkg}/emulation`)) as { default: ServiceEmulation | ServiceEmulation[] };
  return { plugin: one(pluginModule.default), emulation: one(emulationModule.default) };
}

describe('every plugin through the server against the emulator', () => {
  const loaded = new Map<string, { plugin: CancellablePlugin<unknown>; emulation: ServiceEmulation }>();
  const loadErrors = new Map<string, unknown>();
  let emulator: RunningEmulator;
  let server: TestServer;

  beforeAll(async () => {
    for (const c of CASES) {
      try {
        loaded.set(c.id, await loadCase(c));
      } catch (error) {
        loadErrors.set(c.id, error);
      }
    }
    emulator = await startEmulator({ port: 0, host: '127.0.0.1', emulations: [...loaded.values()].map((l) => l.emulation) });
    server = await startTestServer({
      plugins: [...loaded.values()].map((l) => l.plugin),
      database: ':memory:',
      tokens: [{ name: 'admin', token: ADMIN_TOKEN }],
      cancelkit: {
        endpoints: { '*': emulator.url },
        // The manifests' per-service QPS would space these calls out; the tests are not about pacing.
        rateLimits: { '*': 1000 },
        providers: {
          alibaba: { accessKeyId: DEMO_CREDENTIALS.accessKeyId, accessKeySecret: DEMO_CREDENTIALS.accessKeySecret },
          huaweicloud: { ak: DEMO_CREDENTIALS.accessKeyId, sk: DEMO_CREDENTIALS.accessKeySecret, projectId: DEMO_CREDENTIALS.projectId },
        },
        env: {},
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    await emulator?.stop();
  });

  const need = (c: PluginCase) => {
    const entry = loaded.get(c.id);
    if (!entry) throw new Error(`${c.pkg} could not be loaded (is it built?): ${String(loadErrors.get(c.id))}`);
    return entry;
  };

  for (const c of CASES) {
    it(`${c.id}: cancels, then reports already-finished and not-found, with the cloud's request ids`, async () => {
      need(c);
      const op = emulator.createOperation(c.service, {});
      const first = await server.request('POST', '/v1/cancellations', { body: { plugin: c.id, params: c.params(op) } });
      expect(first.status, first.text).toBe(200);
      expect(first.json.targets).toHaveLength(1);
      expect(first.json.targets[0], first.text).toMatchObject({ plugin: c.id, target: op.id, outcome: 'cancelled' });
      expect(first.json.targets[0].requestId).toEqual(expect.any(String));

      const cancels = emulator.requests().filter((r) => r.action === c.cancelAction);
      expect(cancels.length).toBeGreaterThanOrEqual(1);
      expect(cancels.every((r) => r.signature?.ok === true)).toBe(true);

      const again = await server.request('POST', '/v1/cancellations', { body: { plugin: c.id, params: c.params(op) } });
      expect(again.json.targets[0].outcome).toBe('already-finished');
      const missing = await server.request('POST', '/v1/cancellations', { body: { plugin: c.id, params: c.params({ ...op, id: `${op.id.slice(0, -3)}999` }) } });
      expect(missing.json.targets[0].outcome).toBe('not-found');
    });
  }

  it('calls the cloud once when 20 identical requests with one Idempotency-Key race (emulator request log)', async () => {
    const c = CASES.find((x) => loaded.has(x.id));
    if (!c) throw new Error(`no plugin could be loaded: ${[...loadErrors.values()].map(String).join('; ')}`);
    const op = emulator.createOperation(c.service, {});
    const body = { plugin: c.id, params: c.params(op) };
    const cancelsOf = () => emulator.requests().filter((r) => r.action === c.cancelAction).length;
    const before = cancelsOf();
    emulator.setFaults({ latencyMs: 40 });
    try {
      const answers = await Promise.all(Array.from({ length: 20 }, () => server.request('POST', '/v1/cancellations', { body, headers: { 'idempotency-key': `race-${op.id}` } })));
      expect(new Set(answers.map((a) => a.status))).toEqual(new Set([200]));
      expect(new Set(answers.map((a) => a.json.id)).size).toBe(1);
      expect(answers.every((a) => a.json.targets[0].outcome === 'cancelled')).toBe(true);
    } finally {
      emulator.clearFaults();
    }
    expect(cancelsOf() - before).toBe(1);
  });

  it('streams a mixed batch over SSE and audits it', async () => {
    const available = CASES.filter((c) => loaded.has(c.id));
    if (available.length === 0) throw new Error('no plugin could be loaded');
    const targets = available.flatMap((c) => [0, 1].map(() => ({ plugin: c.id, params: c.params(emulator.createOperation(c.service, {})) })));
    const created = await server.request('POST', '/v1/cancellations', { body: { targets } });
    expect(created.status).toBe(202);
    const stream = await fetch(`${server.url}${created.json.links.events}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const text = await stream.text();
    expect(text.match(/^event: result$/gm)).toHaveLength(targets.length);
    expect(text).toMatch(/event: done\ndata: .*"status":"completed"/);
    const audit = await server.request('GET', `/v1/cancellations?plugin=${available[0]?.id}&outcome=cancelled`);
    expect(audit.json.jobs.map((j: { id: string }) => j.id)).toContain(created.json.id);
    const job = (await server.request('GET', `/v1/cancellations/${created.json.id}`)).json;
    expect(job.summary).toMatchObject({ total: targets.length, cancelled: targets.length });
  });

  it('never logs the cloud secret or the API token', () => {
    const logs = server.logs.join('');
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(DEMO_CREDENTIALS.accessKeySecret);
    expect(logs).not.toContain(ADMIN_TOKEN);
  });
});

describe('`cancelkit-server` with no configuration', () => {
  let started: StartedServer | undefined;
  afterAll(async () => {
    await started?.close();
  });

  it('starts the emulator backend, prints a dev token and a curl that works as printed', { timeout: 20_000 }, async () => {
    const lines: string[] = [];
    started = await startServer(resolveServerConfig({ port: 0 }, {}, SERVER_DIR), {
      print: (line) => lines.push(line),
      logDestination: { write: () => {} },
    });
    const printed = lines.join('\n');
    expect(started.devToken).toMatch(/^ckdev_/);
    expect(printed).toContain(`dev token (none was configured; valid until this process exits): ${started.devToken}`);
    expect(printed).toContain('backend: in-process emulator at http://127.0.0.1:');
    expect((await fetch(`${started.url}/readyz`).then((r) => r.json())) as unknown).toMatchObject({ status: 'ready', backend: expect.stringMatching(/^emulator at /) });

    const curl = lines.find((l) => l.includes('/v1/cancellations'));
    const match = /curl -s (\S+) -H '([^']+)' -H '([^']+)' -d '(.*)'$/.exec(curl ?? '');
    expect(match, printed).not.toBeNull();
    const [, url, auth, contentType, data] = match as unknown as [string, string, string, string, string];
    const [authName, authValue] = auth.split(': ');
    const response = await fetch(url, { method: 'POST', headers: { [authName ?? '']: authValue ?? '', 'content-type': contentType.split(': ')[1] ?? '' }, body: data });
    const job = (await response.json()) as { status: string; targets: { outcome: string }[] };
    expect(response.status).toBe(200);
    expect(job.targets[0]?.outcome).toBe('cancelled');
  });

  it('runs as `node dist/bin.js` and stops with exit code 0 on SIGTERM', { timeout: 20_000 }, async () => {
    const child = spawn(process.execPath, [path.join(SERVER_DIR, 'dist/bin.js'), '--port', '0', '--log-level', 'warn'], {
      cwd: SERVER_DIR,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'] ?? '' },
    });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner:\n${stderr}`)), 15_000);
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        if (stderr.includes('Try it:') && /\/v1\/plugins -H/.test(stderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then(() => reject(new Error(`exited early:\n${stderr}`)));
    });
    const url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
    const token = /dev token .*: (ckdev_\S+)/.exec(stderr)?.[1];
    const plugins = await fetch(`${url}/v1/plugins`, { headers: { authorization: `Bearer ${token}` } });
    expect(plugins.status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
