/**
 * `cancelkit emulator` through the built CLI: credential flags (and their precedence over the
 * CANCELKIT_EMULATOR_* variables) with real ACS3 signatures from `cancelkit cancel`, a banner that never
 * prints a non-demo secret, and used nonces kept by `--state` across a restart (a captured signed request
 * replayed after the restart is refused and changes nothing).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cliEnv, runCli, scratchDir, spawnCli } from '../test-support/e2e.js';

let scratch: ReturnType<typeof scratchDir>;
const running: ReturnType<typeof spawnCli>[] = [];

beforeEach(() => {
  scratch = scratchDir();
});
afterEach(async () => {
  for (const server of running.splice(0)) {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGTERM');
      await server.done;
    }
  }
  scratch.cleanup();
});

/** Spawns `cancelkit emulator --port 0 …` and waits for its banner; `env` is all it sees besides PATH/HOME. */
async function startCliEmulator(args: string[], env: Record<string, string> = {}): Promise<{ url: string; server: ReturnType<typeof spawnCli> }> {
  const server = spawnCli(['emulator', '--port', '0', ...args], { cwd: scratch.dir, env: { PATH: process.env.PATH ?? '', HOME: scratch.dir, NO_COLOR: '1', ...env } });
  running.push(server);
  const deadline = Date.now() + 30_000;
  let url: string | undefined;
  while (!url && Date.now() < deadline && server.child.exitCode === null) {
    url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(server.stdout())?.[1];
    if (!url) await new Promise((r) => setTimeout(r, 25));
  }
  if (!url) throw new Error(`the emulator did not start: ${server.stdout()}`);
  // The banner is written in one piece after listening; wait for its last line.
  while (!server.stdout().includes('Ctrl-C stops it.') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return { url, server };
}

async function stopCliEmulator(server: ReturnType<typeof spawnCli>): Promise<{ stdout: string; stderr: string }> {
  server.child.kill('SIGTERM');
  const stopped = await server.done;
  expect(stopped.code, `signal ${String(stopped.signal)}; stderr: ${stopped.stderr}`).toBe(0);
  return stopped;
}

// biome-ignore lint/suspicious/noExplicitAny: test helper returning parsed JSON for terse assertions
type Json = any;

async function admin(url: string, method: string, p: string, body?: unknown): Promise<{ status: number; text: string; json: Json }> {
  const res = await fetch(`${url}${p}`, {
    method,
    ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, text, json: text ? JSON.parse(text) : undefined };
}

/** `cancelkit cancel alibaba.ecs.task` signed (ACS3) with the given Alibaba key. */
function cancelEcs(url: string, task: { id: string; regionId: string }, key: { id: string; secret: string }, extra: string[] = []) {
  return runCli(['cancel', 'alibaba.ecs.task', '--region-id', task.regionId, '--task-id', task.id, '--endpoint', url, '-o', 'json', ...extra], {
    cwd: scratch.dir,
    env: cliEnv(scratch.dir, { ALIBABA_CLOUD_ACCESS_KEY_ID: key.id, ALIBABA_CLOUD_ACCESS_KEY_SECRET: key.secret }),
  });
}

const FLAG_SECRET = 'flag-secret-7f3a9c';
const ENV_SECRET = 'env-secret-51d2e8';

describe('cancelkit emulator credential flags', () => {
  it('accepts the key given by flags (over the environment), signs ACS3 with it, and never prints its secret', async () => {
    const { url, server } = await startCliEmulator(['--access-key-id', 'team-ak', '--access-key-secret', FLAG_SECRET, '--project-id', 'team-project'], {
      CANCELKIT_EMULATOR_ACCESS_KEY_ID: 'env-ak',
      CANCELKIT_EMULATOR_ACCESS_KEY_SECRET: ENV_SECRET,
      CANCELKIT_EMULATOR_PROJECT_ID: 'env-project',
    });
    const banner = server.stdout();
    expect(banner).toContain('credentials (from flags):');
    expect(banner).toMatch(/access key id\s+team-ak/);
    expect(banner).toMatch(/access key secret\s+\(as given with --access-key-secret\)/);
    expect(banner).toMatch(/project id\s+team-project/);
    for (const secret of [FLAG_SECRET, ENV_SECRET, 'cancelkit-demo-sk']) expect(banner).not.toContain(secret);
    expect(banner).not.toContain('export ');

    const index = await admin(url, 'GET', '/_emulator/');
    expect(index.json.credentials).toEqual({ accessKeyIds: ['team-ak'], tokens: 0 });
    expect(index.text).not.toContain(FLAG_SECRET);

    const task = (await admin(url, 'POST', '/_emulator/operations', { service: 'alibaba.ecs', taskAction: 'ImportImage', taskStatus: 'Processing' })).json;
    const demo = await cancelEcs(url, task, { id: 'cancelkit-demo-ak', secret: 'cancelkit-demo-sk' });
    expect(demo.code, demo.stderr).toBe(3);
    const envKey = await cancelEcs(url, task, { id: 'env-ak', secret: ENV_SECRET });
    expect(envKey.code, envKey.stderr).toBe(3);
    const wrongSecret = await cancelEcs(url, task, { id: 'team-ak', secret: ENV_SECRET });
    expect(wrongSecret.code, wrongSecret.stderr).toBe(3);
    expect((await admin(url, 'GET', `/_emulator/operations/alibaba.ecs/${task.id}`)).json.status).toBe('Processing');

    const team = await cancelEcs(url, task, { id: 'team-ak', secret: FLAG_SECRET });
    expect(team.code, team.stderr).toBe(0);
    expect(JSON.parse(team.stdout).results[0].outcome).toBe('cancelled');
    const requests = (await admin(url, 'GET', '/_emulator/requests')).json.requests as { action: string; accessKeyId?: string; signature?: { scheme: string; ok: boolean; code?: string } }[];
    const refused = requests.filter((r) => r.signature?.ok === false).map((r) => r.signature?.code);
    expect(refused).toEqual(['InvalidAccessKeyId.NotFound', 'InvalidAccessKeyId.NotFound', 'SignatureDoesNotMatch']);
    expect(requests.filter((r) => r.action === 'CancelTask').at(-1)).toMatchObject({ accessKeyId: 'team-ak', signature: { scheme: 'ACS3-HMAC-SHA256', ok: true } });

    const stopped = await stopCliEmulator(server);
    expect(`${stopped.stdout}${stopped.stderr}`).not.toContain(FLAG_SECRET);
  });

  it('layers a flag over the other variables, names where the secret came from, and redacts it from --debug output', async () => {
    const { url, server } = await startCliEmulator(['--access-key-id', 'flag-ak', '--debug'], {
      CANCELKIT_EMULATOR_ACCESS_KEY_ID: 'env-ak',
      CANCELKIT_EMULATOR_ACCESS_KEY_SECRET: ENV_SECRET,
    });
    const banner = server.stdout();
    expect(banner).toContain('credentials (from flags and CANCELKIT_EMULATOR_*):');
    expect(banner).toMatch(/access key id\s+flag-ak/);
    expect(banner).toMatch(/access key secret\s+\(as set in CANCELKIT_EMULATOR_ACCESS_KEY_SECRET\)/);
    expect(banner).toMatch(/project id\s+cancelkit-demo-project/);
    expect(banner).not.toContain(ENV_SECRET);

    const task = (await admin(url, 'POST', '/_emulator/operations', { service: 'alibaba.ecs', taskAction: 'ExportImage', taskStatus: 'Processing' })).json;
    const ok = await cancelEcs(url, task, { id: 'flag-ak', secret: ENV_SECRET });
    expect(ok.code, ok.stderr).toBe(0);
    const stopped = await stopCliEmulator(server);
    expect(stopped.stderr).toContain('CancelTask'); // --debug access-log lines were written…
    expect(`${stopped.stdout}${stopped.stderr}`).not.toContain(ENV_SECRET); // …without the secret
  });

  it('prints the demo key and its export lines when only a project id is given', async () => {
    const { server } = await startCliEmulator(['--project-id', 'my-project']);
    const banner = server.stdout();
    expect(banner).toContain('credentials (the public demo key; it opens nothing but this emulator):');
    expect(banner).toMatch(/access key secret\s+cancelkit-demo-sk/);
    expect(banner).toMatch(/project id\s+my-project/);
    expect(banner).toContain('export HUAWEICLOUD_SDK_PROJECT_ID=my-project');
    await stopCliEmulator(server);
  });

  it('refuses an empty credential flag as a usage error, starting nothing', async () => {
    const run = await runCli(['emulator', '--port', '0', '--access-key-secret', ''], { cwd: scratch.dir, env: { PATH: process.env.PATH ?? '', HOME: scratch.dir } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--access-key-secret needs a value');
    expect(run.stdout).not.toContain('listening');
  });
});

describe('cancelkit emulator --faults', () => {
  it('starts with the given faults: the banner shows them and a denied CancelTask exits 4, changing nothing', async () => {
    const { url, server } = await startCliEmulator(['--faults', '{"deny":["CancelTask"],"seed":5}']);
    expect(JSON.parse(/^faults: (.*)$/m.exec(server.stdout())?.[1] ?? 'null')).toEqual({ deny: ['CancelTask'], seed: 5 });
    const task = (await admin(url, 'POST', '/_emulator/operations', { service: 'alibaba.ecs', taskAction: 'ImportImage', taskStatus: 'Processing' })).json;
    const run = await cancelEcs(url, task, { id: 'cancelkit-demo-ak', secret: 'cancelkit-demo-sk' });
    expect(run.code, run.stderr).toBe(4);
    expect(JSON.parse(run.stdout).results[0]).toMatchObject({ outcome: 'failed', error: { code: 'PermissionDenied', providerCode: 'Forbidden.RAM' } });
    expect((await admin(url, 'GET', `/_emulator/operations/alibaba.ecs/${task.id}`)).json.status).toBe('Processing');
    await stopCliEmulator(server);
  });

  it('refuses faults that are not JSON or name a bad field as a usage error, starting nothing', async () => {
    const env = { PATH: process.env.PATH ?? '', HOME: scratch.dir };
    for (const [faults, message] of [
      ['{throttle:0.2}', '--faults is not JSON'],
      ['{"throttle":2}', '--faults: throttle must be a probability from 0 to 1'],
      ['{"thrtotle":0.2}', '--faults: thrtotle is not a fault'],
    ] as const) {
      const run = await runCli(['emulator', '--port', '0', '--faults', faults], { cwd: scratch.dir, env });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain(message);
      expect(run.stdout).not.toContain('listening');
    }
  });
});

describe('cancelkit emulator --state keeps used nonces', () => {
  it('refuses a captured signed request replayed after a restart, with the cloud nonce code, changing nothing', async () => {
    const statePath = path.join(scratch.dir, 'emulator-state.json');
    const first = await startCliEmulator(['--state', statePath]);
    const task = (await admin(first.url, 'POST', '/_emulator/operations', { service: 'alibaba.ecs', taskAction: 'ImportImage', taskStatus: 'Processing' })).json;

    // Capture the CancelTask the CLI signs (ACS3, demo key) on a listener of our own, answering it with
    // a permission error so the CLI neither retries nor re-signs.
    type Captured = { method: string; url: string; headers: http.IncomingHttpHeaders; body: Buffer };
    const captured: Captured[] = [];
    const trap = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        captured.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(403, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ RequestId: 'trap', Code: 'Forbidden.RAM', Message: 'captured' }));
      });
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
    const trapUrl = `http://127.0.0.1:${(trap.address() as AddressInfo).port}`;
    try {
      const sent = await cancelEcs(trapUrl, task, { id: 'cancelkit-demo-ak', secret: 'cancelkit-demo-sk' }, ['--no-precheck']);
      expect(sent.code, sent.stderr).toBe(4);
    } finally {
      await new Promise((resolve) => trap.close(resolve));
    }
    expect(captured).toHaveLength(1);
    const request = captured[0] as Captured;
    expect(request.headers['x-acs-action']).toBe('CancelTask');
    expect(request.headers['x-acs-signature-nonce']).toBeTruthy();

    /** Sends the captured request byte for byte (same target, headers — host included — and body). */
    const replay = (url: string) =>
      new Promise<{ status: number; json: Json }>((resolve, reject) => {
        const target = new URL(url);
        const req = http.request({ host: target.hostname, port: target.port, method: request.method, path: request.url, headers: request.headers, agent: false }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
        });
        req.on('error', reject);
        req.end(request.body);
      });

    const original = await replay(first.url);
    expect(original.status, JSON.stringify(original.json)).toBe(200);
    expect((await admin(first.url, 'GET', `/_emulator/operations/alibaba.ecs/${task.id}`)).json.status).toBe('Deleted');
    await stopCliEmulator(first.server);

    const second = await startCliEmulator(['--state', statePath]);
    // The task is back to Processing: a replay that got through would cancel it again.
    await admin(second.url, 'POST', '/_emulator/operations', { service: 'alibaba.ecs', taskId: task.id, regionId: task.regionId, taskAction: 'ImportImage', taskStatus: 'Processing' });
    const again = await replay(second.url);
    expect([again.status, again.json.Code]).toEqual([400, 'SignatureNonceUsed']);
    expect((await admin(second.url, 'GET', `/_emulator/operations/alibaba.ecs/${task.id}`)).json.status).toBe('Processing');
    const last = (await admin(second.url, 'GET', '/_emulator/requests')).json.requests.at(-1);
    expect(last).toMatchObject({ action: 'CancelTask', status: 400, signature: { scheme: 'ACS3-HMAC-SHA256', ok: false, code: 'SignatureNonceUsed' } });
    await stopCliEmulator(second.server);
  });
});
