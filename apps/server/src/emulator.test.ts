/**
 * The server with the five real plugins against the real emulator over HTTP: every request signed by
 * the provider packages and verified by the emulator, exactly as against the cloud. Authentication,
 * token scopes, idempotency, SSE and the OpenAPI document are checked here, where a mistake would reach
 * a (emulated) cloud.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_CREDENTIALS } from '@cancelkit/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { resolveServerConfig } from './config.js';
import { type StartedServer, startServer } from './start.js';
import { CASES, ECS, type EmulatorWorld, startEmulatorWorld } from './test-support/emulator-world.js';
import { ADMIN_TOKEN, LIMITED_TOKEN, startTestServer, type TestServer } from './test-support/harness.js';

const SERVER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PROBLEM = 'application/problem+json';
const OOS = CASES.find((c) => c.id === 'alibaba.oos.execution') ?? ECS;

/** A validator for `schema`, a part of the OpenAPI document: its `#/components/schemas/…` refs resolve. */
function validatorFor(doc: { components: { schemas: Record<string, unknown> } }, schema: unknown): z.ZodType {
  const REF = '#/components/schemas/';
  // Only the components the schema reaches: the rest (request envelopes) are not needed to read answers.
  const needed = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && value.startsWith(REF)) {
        const name = value.slice(REF.length);
        if (!needed.has(name)) {
          needed.add(name);
          visit(doc.components.schemas[name]);
        }
      } else visit(value);
    }
  };
  visit(schema);
  const defs = Object.fromEntries([...needed].map((name) => [name, doc.components.schemas[name]]));
  const rooted = JSON.parse(JSON.stringify({ ...(schema as object), $defs: defs }).replaceAll(`"${REF}`, '"#/$defs/'));
  return z.fromJSONSchema(rooted);
}

/** The value of one Prometheus sample, 0 when absent. */
function sample(metrics: string, name: string, labels: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('every plugin through the server against the emulator', () => {
  let world: EmulatorWorld;
  let server: TestServer;

  beforeAll(async () => {
    world = await startEmulatorWorld();
    server = await startTestServer({
      plugins: world.plugins,
      database: ':memory:',
      tokens: [
        { name: 'admin', token: ADMIN_TOKEN },
        { name: 'limited', token: LIMITED_TOKEN, plugins: [ECS.id] },
      ],
      cancelkit: world.cancelkit,
    });
  });
  afterAll(async () => {
    await server?.close();
    await world?.stop();
  });

  for (const c of CASES) {
    it(`${c.id}: cancels, then reports already-finished and not-found, with the cloud's request ids`, async () => {
      const emulator = world.emulator;
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

  describe('authentication', () => {
    it('answers 401 problem+json without a token, with a wrong one and with another scheme; nothing reaches the cloud', async () => {
      const task = world.ecsTask();
      const cloudCallsBefore = world.emulator.requests().length;
      const jobsBefore = (await server.request('GET', '/v1/cancellations?limit=200')).json.jobs.length;
      const attempts: { label: string; token: string | null; headers?: Record<string, string> }[] = [
        { label: 'none', token: null },
        { label: 'wrong', token: 'not-the-right-token-at-all' },
        { label: 'Basic scheme', token: null, headers: { authorization: `Basic ${ADMIN_TOKEN}` } },
      ];
      for (const { label, token, headers } of attempts) {
        for (const [method, route, body] of [
          ['GET', '/v1/plugins', undefined],
          ['POST', '/v1/cancellations', { plugin: ECS.id, params: task.params }],
        ] as const) {
          const answer = await server.request(method, route, { token, ...(headers ? { headers } : {}), ...(body ? { body } : {}) });
          expect(answer.status, `${label}: ${method} ${route}`).toBe(401);
          expect(answer.headers.get('content-type')).toContain(PROBLEM);
          expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
          expect(answer.json).toMatchObject({ status: 401, code: 'Unauthenticated', type: 'urn:cancelkit:problem:unauthenticated' });
          expect(answer.text).not.toContain('not-the-right-token');
        }
      }
      expect(world.emulator.requests().length).toBe(cloudCallsBefore);
      expect((await server.request('GET', '/v1/cancellations?limit=200')).json.jobs).toHaveLength(jobsBefore);
      expect(world.emulator.listOperations(ECS.service).find((op) => op.id === task.id)?.['status']).toBe('Processing');
    });

    it('limits a token to its plugins: 403 for the others, nothing sent, and it sees only its own', async () => {
      const listed = await server.request('GET', '/v1/plugins', { token: LIMITED_TOKEN });
      expect(listed.json.plugins.map((p: { id: string }) => p.id)).toEqual([ECS.id]);
      const oosOp = world.emulator.createOperation(OOS.service, {});
      const ecs = world.ecsTask();
      const cloudCallsBefore = world.emulator.requests().length;
      const denied = await server.request('POST', '/v1/cancellations', { token: LIMITED_TOKEN, body: { plugin: OOS.id, params: OOS.params(oosOp) } });
      expect(denied.status).toBe(403);
      expect(denied.json).toMatchObject({ code: 'PermissionDenied', status: 403 });
      expect(denied.json.detail).toContain(OOS.id);
      // A batch mixing an allowed plugin with a forbidden one is refused as a whole.
      const deniedInBatch = await server.request('POST', '/v1/cancellations', {
        token: LIMITED_TOKEN,
        body: { targets: [{ plugin: ECS.id, params: ecs.params }, { plugin: OOS.id, params: OOS.params(oosOp) }] },
      });
      expect(deniedInBatch.status).toBe(403);
      expect((await server.request('GET', `/v1/plugins/${OOS.id}`, { token: LIMITED_TOKEN })).status).toBe(403);
      expect(world.emulator.requests().length).toBe(cloudCallsBefore);

      const foreign = await server.request('POST', '/v1/cancellations', { body: { plugin: OOS.id, params: OOS.params(oosOp) } });
      expect(foreign.json.targets[0].outcome).toBe('cancelled');
      expect((await server.request('GET', `/v1/cancellations/${foreign.json.id}`, { token: LIMITED_TOKEN })).status).toBe(403);
      const audit = await server.request('GET', '/v1/cancellations?limit=200', { token: LIMITED_TOKEN });
      expect(audit.json.jobs.map((j: { id: string }) => j.id)).not.toContain(foreign.json.id);

      const allowed = await server.request('POST', '/v1/cancellations', { token: LIMITED_TOKEN, body: { plugin: ECS.id, params: ecs.params } });
      expect(allowed.status).toBe(200);
      expect(allowed.json).toMatchObject({ requestedBy: 'limited', targets: [{ target: ecs.id, outcome: 'cancelled' }] });
    });

    it("names in hints only the plugins the token may use, never every installed one", async () => {
      const others = CASES.filter((c) => c.id !== ECS.id).map((c) => c.id);
      const missing = await server.request('GET', '/v1/plugins/nope', { token: LIMITED_TOKEN });
      expect(missing.status).toBe(404);
      expect(missing.json.hint).toBe(`Plugins this token may use: ${ECS.id}.`);
      const unknown = await server.request('POST', '/v1/cancellations', { token: LIMITED_TOKEN, body: { plugin: 'nope.x', params: {} } });
      expect(unknown.status).toBe(400);
      expect(unknown.json.issues).toEqual([expect.objectContaining({ field: 'plugin', hint: `Plugins this token may use: ${ECS.id}.` })]);
      for (const id of others) expect(`${missing.text}${unknown.text}`).not.toContain(id);
      // An unrestricted token is told about every plugin.
      const admin = await server.request('GET', '/v1/plugins/nope');
      for (const c of CASES) expect(admin.json.hint).toContain(c.id);
    });
  });

  it('answers 422 for the same Idempotency-Key with a different body, and sends nothing for it', async () => {
    const a = world.ecsTask();
    const b = world.ecsTask();
    const first = await server.request('POST', '/v1/cancellations', { body: { plugin: ECS.id, params: a.params }, headers: { 'idempotency-key': `k-${a.id}` } });
    expect(first.status).toBe(200);
    expect(first.json.targets[0].outcome).toBe('cancelled');
    const cloudCallsBefore = world.emulator.requests().length;
    const other = await server.request('POST', '/v1/cancellations', { body: { plugin: ECS.id, params: b.params }, headers: { 'idempotency-key': `k-${a.id}` } });
    expect(other.status).toBe(422);
    expect(other.headers.get('content-type')).toContain(PROBLEM);
    expect(other.json).toMatchObject({ status: 422, code: 'InvalidInput' });
    expect(other.json.detail).toContain(first.json.id);
    expect(world.emulator.requests().length).toBe(cloudCallsBefore);
    expect(world.emulator.listOperations(ECS.service).find((op) => op.id === b.id)?.['status']).toBe('Processing');
  });

  it('calls the cloud once when 20 identical requests with one Idempotency-Key race (emulator request log)', async () => {
    const c = ECS;
    const op = world.emulator.createOperation(c.service, {});
    const body = { plugin: c.id, params: c.params(op) };
    const before = world.cancelCalls(c);
    world.emulator.setFaults({ latencyMs: 40 });
    try {
      const answers = await Promise.all(Array.from({ length: 20 }, () => server.request('POST', '/v1/cancellations', { body, headers: { 'idempotency-key': `race-${op.id}` } })));
      expect(new Set(answers.map((a) => a.status))).toEqual(new Set([200]));
      expect(new Set(answers.map((a) => a.json.id)).size).toBe(1);
      expect(answers.every((a) => a.json.targets[0].outcome === 'cancelled')).toBe(true);
    } finally {
      world.emulator.clearFaults();
    }
    expect(world.cancelCalls(c) - before).toBe(1);
  });

  it('streams a mixed batch over SSE, audits it, and counts the stream once in /metrics', async () => {
    const targets = CASES.flatMap((c) => [0, 1].map(() => ({ plugin: c.id, params: c.params(world.emulator.createOperation(c.service, {})) })));
    const created = await server.request('POST', '/v1/cancellations', { body: { targets } });
    expect(created.status).toBe(202);
    const streamed = `method="GET",route="/v1/cancellations/:id/events",status="200"`;
    const countBefore = sample((await server.request('GET', '/metrics', { token: null })).text, 'cancelkit_http_requests_total', streamed);
    const stream = await fetch(`${server.url}${created.json.links.events}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const text = await stream.text();
    expect(text.match(/^event: result$/gm)).toHaveLength(targets.length);
    expect(text).toMatch(/event: done\ndata: .*"status":"completed"/);
    // The hook that would count it a second time runs as the stream ends; give it that moment.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const countAfter = sample((await server.request('GET', '/metrics', { token: null })).text, 'cancelkit_http_requests_total', streamed);
    expect(countAfter - countBefore).toBe(1);

    const audit = await server.request('GET', `/v1/cancellations?plugin=${ECS.id}&outcome=cancelled`);
    expect(audit.json.jobs.map((j: { id: string }) => j.id)).toContain(created.json.id);
    const job = (await server.request('GET', `/v1/cancellations/${created.json.id}`)).json;
    expect(job.summary).toMatchObject({ total: targets.length, cancelled: targets.length });
  });

  it("the OpenAPI document describes both 200 answers of POST /v1/cancellations: a job and a dry run's plan", async () => {
    const doc = (await server.request('GET', '/openapi.json', { token: null })).json;
    const ok = validatorFor(doc, doc.paths['/v1/cancellations'].post.responses['200'].content['application/json'].schema);
    const running = world.ecsTask();
    const done = world.ecsTask();
    await server.request('POST', '/v1/cancellations', { body: { plugin: ECS.id, params: done.params } });
    const dryRun = await server.request('POST', '/v1/cancellations', {
      body: { targets: [{ plugin: ECS.id, params: running.params }, { plugin: ECS.id, params: done.params }], dryRun: true },
    });
    expect(dryRun.status).toBe(200);
    expect(dryRun.json.plan.map((p: { target: string; action: string }) => [p.target, p.action])).toEqual([
      [running.id, 'cancel'],
      [done.id, 'skip'],
    ]);
    const checked = ok.safeParse(dryRun.json);
    expect(checked.success, JSON.stringify(checked.error?.issues)).toBe(true);
    const single = await server.request('POST', '/v1/cancellations', { body: { plugin: ECS.id, params: running.params } });
    expect(single.status).toBe(200);
    expect(ok.safeParse(single.json).success).toBe(true);
    // Not a schema that takes anything: a dry run missing its plan is not a 200 answer.
    expect(ok.safeParse({ dryRun: true }).success).toBe(false);
  });

  it('a dry run the cloud throttles answers 429 with Retry-After; one it refuses answers 403 without', async () => {
    const op = world.ecsTask();
    world.emulator.setFaults({ throttle: 1 });
    try {
      const throttled = await server.request('POST', '/v1/cancellations', { body: { plugin: ECS.id, params: op.params, dryRun: true } });
      expect(throttled.json).toMatchObject({ status: 429, code: 'Throttled', providerCode: 'Throttling.User' });
      expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      world.emulator.setFaults({ deny: ['*'] });
      const denied = await server.request('POST', '/v1/cancellations', { body: { plugin: ECS.id, params: op.params, dryRun: true } });
      expect(denied.json).toMatchObject({ status: 403, code: 'PermissionDenied', providerCode: 'Forbidden.RAM' });
      expect(denied.headers.get('retry-after')).toBeNull();
    } finally {
      world.emulator.clearFaults();
    }
  });

  it('never logs the cloud secret or the API token', () => {
    const logs = server.logs.join('');
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(DEMO_CREDENTIALS.accessKeySecret);
    expect(logs).not.toContain(ADMIN_TOKEN);
    expect(logs).not.toContain(LIMITED_TOKEN);
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
