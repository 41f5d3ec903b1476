/**
 * Server hardening against a spawned `cancelkit-server` (cloud backend pointed at the emulator):
 * unauthenticated and wrongly scoped calls on every route (taken from its own OpenAPI document, so a new
 * route is covered automatically), oversized and malformed bodies, slow clients, the idempotency race,
 * and SQLite files that are locked or read-only. Whatever is refused never reaches the cloud.
 */
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cleanEnv, SERVER_BIN, type ServerProcess, spawnNode, startServerProcess, workDir } from './support/processes.js';
import { scaled, seedFor } from './support/scale.js';
import { API_TOKENS, api, serverConfig, waitForJob } from './support/server.js';
import { SECRETS, startWorld, Witness, type World } from './support/world.js';

const BODY_LIMIT = 64 * 1024;
const REQUEST_TIMEOUT_MS = 3_000;

let world: World;
let server: ServerProcess;
const work = workDir('server-hardening');
let configFile: string;
let databaseFile: string;

beforeAll(async () => {
  world = await startWorld();
  databaseFile = work.file('jobs.db');
  configFile = work.file(
    'server.json',
    serverConfig(world, { database: databaseFile, limits: { bodyBytes: BODY_LIMIT, requestTimeoutMs: REQUEST_TIMEOUT_MS } }),
  );
  server = await startServerProcess(['--config', configFile], { cwd: work.dir, env: cleanEnv(work.dir) });
});
afterAll(async () => {
  await server?.stop();
  await world.stop();
  work.cleanup();
});
beforeEach(() => {
  world.emulator.reset();
  world.witness.clear();
});

const ecsTask = () => world.emulator.createOperation('alibaba.ecs', { taskAction: 'ImportImage', taskStatus: 'Processing' }).id;
const ecsParams = (taskId: string) => ({ regionId: 'cn-hangzhou', taskId });
const ddsJob = () => world.emulator.createOperation('huaweicloud.dds', { status: 'Pending', projectId: SECRETS.huaweiProjectId }).id;

async function jobCount(): Promise<number> {
  const listed = await api(server.url, 'GET', '/v1/cancellations?limit=200');
  return (listed.body as { jobs: unknown[] }).jobs.length;
}

/** Every /v1 operation of the server's own OpenAPI document, with path parameters filled in. */
async function v1Routes(fill: Record<string, string>): Promise<{ method: string; route: string }[]> {
  const doc = (await api(server.url, 'GET', '/openapi.json', { token: null })).body as { paths: Record<string, Record<string, unknown>> };
  const routes: { method: string; route: string }[] = [];
  for (const [template, operations] of Object.entries(doc.paths)) {
    if (!template.startsWith('/v1/')) continue;
    for (const method of Object.keys(operations)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      routes.push({ method: method.toUpperCase(), route: template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(fill[name] ?? 'x')) });
    }
  }
  return routes;
}

describe('authentication and scope', () => {
  it('every /v1 route answers 401 problem+json to a missing, wrong or malformed credential, and nothing runs', async () => {
    const created = await api(server.url, 'POST', '/v1/cancellations', { body: { plugin: 'alibaba.ecs.task', params: ecsParams(ecsTask()) } });
    expect(created.status).toBe(200);
    const jobId = (created.body as { id: string }).id;
    const routes = await v1Routes({ id: jobId, pluginId: 'alibaba.ecs.task' });
    expect(routes.length).toBeGreaterThanOrEqual(6);
    world.emulator.reset();
    const before = await jobCount();
    const bad: { label: string; headers: Record<string, string> }[] = [
      { label: 'no Authorization', headers: {} },
      { label: 'wrong token', headers: { authorization: 'Bearer reliability-api-token-that-is-wrong-000' } },
      { label: 'token of another length', headers: { authorization: `Bearer ${API_TOKENS.admin}x` } },
      { label: 'Basic scheme', headers: { authorization: `Basic ${Buffer.from(`admin:${API_TOKENS.admin}`).toString('base64')}` } },
      { label: 'bare scheme', headers: { authorization: 'Bearer' } },
      { label: 'token without scheme', headers: { authorization: API_TOKENS.admin } },
      { label: 'empty token', headers: { authorization: 'Bearer ' } },
    ];
    const body = { plugin: 'alibaba.ecs.task', params: ecsParams(ecsTask()) };
    for (const { method, route } of routes) {
      for (const { label, headers } of bad) {
        const response = await api(server.url, method, route, { token: null, headers, ...(method === 'POST' ? { body } : {}) });
        expect(response.status, `${method} ${route} with ${label}`).toBe(401);
        expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
        expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect((response.body as { code: string }).code).toBe('Unauthenticated');
        expect(response.text).not.toContain(API_TOKENS.admin);
      }
    }
    expect(world.emulator.requests()).toEqual([]);
    expect(await jobCount()).toBe(before);
  });

  it('a token scoped to ECS gets 403 for every other plugin on every route, sees none of their jobs, and nothing runs', async () => {
    const ddsJobCreated = await api(server.url, 'POST', '/v1/cancellations', { body: { plugin: 'huaweicloud.dds.scheduled-job', params: { region: 'cn-north-4', jobId: ddsJob() } } });
    expect(ddsJobCreated.status).toBe(200);
    const foreignJob = (ddsJobCreated.body as { id: string }).id;
    world.emulator.reset();
    const scoped = { token: API_TOKENS.ecsOnly };
    const plugins = await api(server.url, 'GET', '/v1/plugins', scoped);
    expect((plugins.body as { plugins: { id: string }[] }).plugins.map((p) => p.id)).toEqual(['alibaba.ecs.task']);
    const attempts: { method: string; route: string; body?: unknown }[] = [
      { method: 'GET', route: '/v1/plugins/huaweicloud.dds.scheduled-job' },
      { method: 'POST', route: '/v1/cancellations', body: { plugin: 'huaweicloud.dds.scheduled-job', params: { region: 'cn-north-4', jobId: ddsJob() } } },
      // A batch that mixes an allowed plugin with a forbidden one is refused as a whole: nothing runs.
      {
        method: 'POST',
        route: '/v1/cancellations',
        body: { targets: [{ plugin: 'alibaba.ecs.task', params: ecsParams(ecsTask()) }, { plugin: 'alibaba.oos.execution', params: { regionId: 'cn-hangzhou', executionId: 'exec-1' } }] },
      },
      { method: 'GET', route: `/v1/cancellations/${foreignJob}` },
      { method: 'GET', route: `/v1/cancellations/${foreignJob}/events` },
    ];
    for (const { method, route, body } of attempts) {
      const response = await api(server.url, method, route, { ...scoped, ...(body !== undefined ? { body } : {}) });
      expect(response.status, `${method} ${route}`).toBe(403);
      expect((response.body as { code: string }).code).toBe('PermissionDenied');
    }
    const listed = await api(server.url, 'GET', '/v1/cancellations?limit=200', scoped);
    expect((listed.body as { jobs: { id: string }[] }).jobs.map((j) => j.id)).not.toContain(foreignJob);
    const filtered = await api(server.url, 'GET', '/v1/cancellations?plugin=huaweicloud.dds.scheduled-job', scoped);
    expect((filtered.body as { jobs: unknown[] }).jobs).toEqual([]);
    expect(world.emulator.requests()).toEqual([]);
  });
});

describe('bodies', () => {
  it('an oversized body gets 413, declared or chunked, and nothing runs', async () => {
    const before = await jobCount();
    const big = JSON.stringify({ targets: Array.from({ length: 2_000 }, (_, i) => ({ plugin: 'alibaba.ecs.task', params: ecsParams(`t-${i}`) })) });
    expect(big.length).toBeGreaterThan(BODY_LIMIT);
    const declared = await api(server.url, 'POST', '/v1/cancellations', { rawBody: big });
    expect(declared.status).toBe(413);
    expect((declared.body as { code: string }).code).toBe('InvalidInput');
    // Without Content-Length (chunked): the limit holds while the body streams in.
    const chunked = await fetch(`${server.url}/v1/cancellations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_TOKENS.admin}`, 'content-type': 'application/json' },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(big));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit).then(
      (r) => r.status,
      () => 'connection closed',
    );
    expect([413, 'connection closed']).toContain(chunked);
    expect(world.emulator.requests()).toEqual([]);
    expect(await jobCount()).toBe(before);
  });

  it('malformed JSON, wrong media types, pollution keys and random bytes get a 4xx problem, never a 5xx, and nothing runs', async () => {
    const before = await jobCount();
    const fixed: { body: string | Uint8Array; type?: string }[] = [
      { body: '{' },
      { body: '{"plugin":' },
      { body: 'null' },
      { body: '[]' },
      { body: '"alibaba.ecs.task"' },
      { body: '{"plugin":"alibaba.ecs.task","params":{"__proto__":{"polluted":"yes"},"regionId":"cn-hangzhou","taskId":"t-1"}}' },
      { body: '{"constructor":{"prototype":{"polluted":"yes"}},"plugin":"alibaba.ecs.task","params":{}}' },
      { body: '{"plugin":"alibaba.ecs.task","params":{"regionId":"cn-hangzhou","taskId":"t-1"},"endpoint":"http://evil.example"}' },
      { body: '{"plugin":"alibaba.ecs.task","params":{"regionId":"cn-hangzhou","taskId":"t-1","accessKeySecret":"x"}}' },
      { body: new Uint8Array([0x7b, 0xff, 0xfe, 0x00, 0x7d]) },
      { body: '\ufeff{"plugin":"alibaba.ecs.task"}' },
      { body: 'plugin=alibaba.ecs.task', type: 'application/x-www-form-urlencoded' },
      { body: '{"plugin":"alibaba.ecs.task"}', type: 'text/plain' },
    ];
    const post = (body: string | Uint8Array, type = 'application/json') =>
      fetch(`${server.url}/v1/cancellations`, { method: 'POST', headers: { authorization: `Bearer ${API_TOKENS.admin}`, 'content-type': type }, body });
    for (const { body, type } of fixed) {
      const response = await post(body, type);
      const text = await response.text();
      expect(response.status, `${String(body).slice(0, 60)} → ${text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
      expect(response.status, `${String(body).slice(0, 60)} → ${text.slice(0, 200)}`).toBeLessThan(500);
      expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
    }
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.uint8Array({ maxLength: 200 }), fc.jsonValue().map((v) => JSON.stringify(v))), async (body) => {
        const response = await post(body);
        await response.arrayBuffer();
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
      }),
      { numRuns: scaled(100, 20), seed: seedFor('server-bodies') },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(world.emulator.requests()).toEqual([]);
    expect(await jobCount()).toBe(before);
    expect((await api(server.url, 'GET', '/healthz', { token: null })).status).toBe(200);
  });

  it('slow clients do not hold the server: with many bodies trickling in, others are still served at once', async () => {
    const { port } = new URL(server.url);
    const sockets: net.Socket[] = [];
    const trickle: NodeJS.Timeout[] = [];
    try {
      for (let i = 0; i < 50; i++) {
        const socket = net.connect(Number(port), '127.0.0.1');
        socket.on('error', () => undefined);
        socket.write(
          `POST /v1/cancellations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${API_TOKENS.admin}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`,
        );
        trickle.push(setInterval(() => socket.writable && socket.write(' '), 200));
        sockets.push(socket);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      const started = Date.now();
      const response = await api(server.url, 'POST', '/v1/cancellations', { body: { plugin: 'alibaba.ecs.task', params: ecsParams(ecsTask()) } });
      expect(response.status).toBe(200);
      expect((response.body as { targets: { outcome: string }[] }).targets[0]?.outcome).toBe('cancelled');
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      for (const t of trickle) clearInterval(t);
      for (const s of sockets) s.destroy();
    }
  });

  it('a slow-loris client is cut off within about requestTimeoutMs, for trickled headers and trickled bodies', async () => {
    const { port } = new URL(server.url);
    const trickled = (first: string) =>
      new Promise<{ ms: number; answer: string }>((resolve) => {
        const started = Date.now();
        const socket = net.connect(Number(port), '127.0.0.1');
        let answer = '';
        socket.on('data', (chunk) => {
          answer += chunk.toString('latin1');
        });
        socket.on('error', () => undefined);
        socket.write(first);
        const timer = setInterval(() => socket.writable && socket.write(first.endsWith('\r\n\r\n{') ? ' ' : 'X-Slow: 1\r\n'), 200);
        socket.on('close', () => {
          clearInterval(timer);
          resolve({ ms: Date.now() - started, answer: answer.split('\r\n')[0] ?? '' });
        });
      });
    const [headers, body] = await Promise.all([
      trickled('POST /v1/cancellations HTTP/1.1\r\nHost: x\r\n'),
      trickled(
        `POST /v1/cancellations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${API_TOKENS.admin}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`,
      ),
    ]);
    // Node checks deadlines once a second: allow the timeout plus that interval plus scheduling slack.
    for (const cut of [headers, body]) expect(cut.ms).toBeLessThan(REQUEST_TIMEOUT_MS + 4_000);
    expect(headers.answer).toMatch(/^HTTP\/1\.1 408/);
    expect(body.answer).toMatch(/^HTTP\/1\.1 (408|503)/);
  });
});

describe('idempotency', () => {
  it('the same key and body sent 20 times at once: one job, 19 replays, and the cloud is called once', async () => {
    const taskId = ecsTask();
    const body = { plugin: 'alibaba.ecs.task', params: ecsParams(taskId) };
    const key = `race-${taskId}`;
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => api(server.url, 'POST', '/v1/cancellations', { body, headers: { 'idempotency-key': key } })),
    );
    for (const r of responses) expect([200, 202]).toContain(r.status);
    const ids = new Set(responses.map((r) => (r.body as { id: string }).id));
    expect(ids.size).toBe(1);
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(19);
    await waitForJob(server.url, [...ids][0] as string);
    const cancels = world.emulator.requests().filter((r) => r.action === 'CancelTask');
    expect(cancels).toHaveLength(1);
    expect(world.witness.addressed.get(Witness.key('alibaba.ecs', taskId))).toBe(1);
    expect(world.witness.transitions.get(Witness.key('alibaba.ecs', taskId))).toBe(1);
  });

  it('the same key with 20 different bodies at once: one job runs, the others get 422, and only one target is touched', async () => {
    const tasks = Array.from({ length: 20 }, () => ecsTask());
    const key = `race-different-${tasks[0]}`;
    const responses = await Promise.all(
      tasks.map((taskId) => api(server.url, 'POST', '/v1/cancellations', { body: { plugin: 'alibaba.ecs.task', params: ecsParams(taskId) }, headers: { 'idempotency-key': key } })),
    );
    expect(responses.filter((r) => r.status === 422)).toHaveLength(19);
    const winner = responses.find((r) => r.status !== 422);
    if (!winner) throw new Error('every request got 422: none ran');
    expect([200, 202]).toContain(winner.status);
    await waitForJob(server.url, (winner.body as { id: string }).id);
    expect(world.emulator.requests().filter((r) => r.action === 'CancelTask')).toHaveLength(1);
    expect(world.witness.transitions.size).toBe(1);
  });
});

describe('the SQLite file', () => {
  it('a second server on the same file exits with a clear "locked" error; the first keeps serving with its jobs intact', async () => {
    const before = await jobCount();
    const second = spawnNode(SERVER_BIN, ['--config', configFile, '--port', '0'], { cwd: work.dir, env: cleanEnv(work.dir) });
    const exit = await second.exited;
    expect(exit.code).toBe(1);
    expect(second.stderr()).toContain(path.basename(databaseFile));
    expect(second.stderr()).toMatch(/locked/i);
    expect(second.stderr()).not.toMatch(/\n\s+at /);
    expect((await api(server.url, 'GET', '/readyz', { token: null })).status).toBe(200);
    expect(await jobCount()).toBe(before);
  });

  it('a file another process holds an exclusive lock on: the server exits with a clear error instead of losing writes', async () => {
    const dir = workDir('sqlite-locked');
    try {
      const file = dir.file('held.db');
      const holder = new DatabaseSync(file);
      holder.exec('PRAGMA locking_mode = EXCLUSIVE; CREATE TABLE IF NOT EXISTS t (x); BEGIN EXCLUSIVE; INSERT INTO t VALUES (1);');
      try {
        const config = dir.file('server.json', serverConfig(world, { database: file }));
        const spawned = spawnNode(SERVER_BIN, ['--config', config], { cwd: dir.dir, env: cleanEnv(dir.dir) });
        const exit = await spawned.exited;
        expect(exit.code).toBe(1);
        expect(spawned.stderr()).toContain('held.db');
        expect(spawned.stderr()).toMatch(/locked/i);
      } finally {
        holder.exec('ROLLBACK');
        holder.close();
      }
    } finally {
      dir.cleanup();
    }
  });

  it('a read-only database file: the server exits with a clear "read-only" error (run as an unprivileged user when the tests run as root)', async () => {
    const dir = workDir('sqlite-readonly');
    try {
      const file = dir.file('readonly.db');
      const seed = new DatabaseSync(file);
      seed.exec('CREATE TABLE IF NOT EXISTS t (x)');
      seed.close();
      const config = dir.file('server.json', serverConfig(world, { database: file }));
      // Root writes through file modes; the server then runs as "nobody", for whom the file really is read-only.
      const asRoot = process.getuid?.() === 0;
      const home = path.join(dir.dir, 'home');
      mkdirSync(home);
      if (asRoot) chownSync(home, 65534, 65534);
      chmodSync(dir.dir, 0o755);
      chmodSync(config, 0o644);
      chmodSync(file, 0o444);
      writeFileSync(path.join(dir.dir, 'README'), 'read-only database test\n');
      const spawned = spawnNode(SERVER_BIN, ['--config', config], {
        cwd: dir.dir,
        env: cleanEnv(home),
        ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
      });
      const exit = await spawned.exited;
      expect(exit.code, spawned.stderr()).toBe(1);
      expect(spawned.stderr()).toContain('readonly.db');
      expect(spawned.stderr()).toMatch(/read-only|readonly/i);
      expect(spawned.stderr()).not.toMatch(/\n\s+at /);
    } finally {
      dir.cleanup();
    }
  });
});
