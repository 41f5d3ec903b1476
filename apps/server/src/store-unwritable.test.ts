/**
 * The job database stops taking writes while a real `cancelkit-server` process (dist/bin.js) runs against
 * the real emulator. How: the test lowers the server process's file size limit (RLIMIT_FSIZE, through
 * `prlimit`) below the size its SQLite files already have, so every write SQLite makes from then on fails
 * with EFBIG — what node:sqlite surfaces as SQLITE_IOERR_WRITE ("disk I/O error"), as a full disk or a
 * quota would — while reads go on working. Raising the limit again makes the database writable again.
 * (A lock held by another process cannot happen while the server runs: it holds the file in EXCLUSIVE
 * locking mode, so a second opener fails at its own start — persistence.test.ts covers that.)
 *
 * The promises: a cancellation that cannot be recorded is answered 503 problem+json and nothing reaches
 * the cloud; a result that cannot be written is kept, logged and written once the database takes writes
 * again, and the job starts no new target meanwhile; a result the database never takes is in the log and
 * is flagged `interrupted` (inspect before retrying) after a restart — never silently lost.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ECS, type EmulatorWorld, startEmulatorWorld } from './test-support/emulator-world.js';
import { tempDir, until } from './test-support/harness.js';
import { SERVER_BIN, type ServerProcess, spawnServer } from './test-support/server-process.js';

const TOKEN = 'store-unwritable-token-0123456789';
/** Below the size the database's files reach at once: every write SQLite makes past it fails. */
const TINY_FILE_LIMIT = 4096;


/** Sets the soft RLIMIT_FSIZE of a running process (util-linux `prlimit`, or Python's resource.prlimit). */
function setFileSizeLimit(pid: number, bytes: number | 'unlimited'): void {
  try {
    execFileSync('prlimit', ['--pid', String(pid), `--fsize=${bytes}:`], { stdio: 'pipe' });
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const soft = bytes === 'unlimited' ? 'resource.RLIM_INFINITY' : String(bytes);
  execFileSync('python3', ['-c', `import resource; p=${pid}; h=resource.prlimit(p, resource.RLIMIT_FSIZE)[1]; resource.prlimit(p, resource.RLIMIT_FSIZE, (${soft}, h))`], {
    stdio: 'pipe',
  });
}

async function api(url: string, method: string, urlPath: string, options: { body?: unknown; headers?: Record<string, string> } = {}) {
  const response = await fetch(`${url}${urlPath}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
  return { status: response.status, headers: response.headers, text, json: (text === '' ? undefined : JSON.parse(text)) as any };
}

describe.skipIf(process.platform !== 'linux')('the job database stops taking writes while the server runs (emulator backend)', () => {
  let world: EmulatorWorld;
  let temp: ReturnType<typeof tempDir>;
  const children: ChildProcess[] = [];
  let n = 0;

  /** A server on a fresh database (or `database`, to restart on one). */
  const start = async (database?: string): Promise<ServerProcess & { database: string }> => {
    const configFile = path.join(temp.dir, `server-${++n}.json`);
    const db = database ?? path.join(temp.dir, `jobs-${n}.db`);
    writeFileSync(
      configFile,
      JSON.stringify({
        ...world.serverConfigFields,
        host: '127.0.0.1',
        port: 0,
        database: db,
        tokens: [{ name: 'ops', token: TOKEN }],
        logLevel: 'info',
        limits: { shutdownGraceMs: 300 },
      }),
    );
    const server = await spawnServer(configFile);
    children.push(server.child);
    return { ...server, database: db };
  };
  const statusOf = (id: string) => world.emulator.listOperations(ECS.service).find((op) => op.id === id)?.['status'];
  const stop = async (server: ServerProcess) => {
    server.child.kill('SIGTERM');
    return server.exited;
  };

  beforeAll(async () => {
    if (!existsSync(SERVER_BIN)) throw new Error(`${SERVER_BIN} is missing: build the server first (npx tsc -p tsconfig.build.json).`);
    world = await startEmulatorWorld();
    temp = tempDir();
  });
  afterEach(() => world.emulator.clearFaults());
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await world?.stop();
    temp?.remove();
  });

  it('a cancellation that cannot be recorded gets 503 problem+json and nothing reaches the cloud; once writable, the retry runs once', { timeout: 40_000 }, async () => {
    const server = await start();
    const first = world.ecsTask();
    expect((await api(server.url, 'POST', '/v1/cancellations', { body: { plugin: ECS.id, params: first.params } })).json.targets[0].outcome).toBe('cancelled');

    setFileSizeLimit(server.child.pid as number, TINY_FILE_LIMIT);
    const [one, two] = [world.ecsTask(), world.ecsTask()];
    const sentBefore = world.emulator.requests().length;
    const single = await api(server.url, 'POST', '/v1/cancellations', { body: { plugin: ECS.id, params: one.params }, headers: { 'idempotency-key': 'unwritable-1' } });
    const batch = await api(server.url, 'POST', '/v1/cancellations', { body: { targets: [{ plugin: ECS.id, params: one.params }, { plugin: ECS.id, params: two.params }] } });
    for (const refused of [single, batch]) {
      expect(refused.status, refused.text).toBe(503);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(refused.json).toMatchObject({ status: 503, code: 'Transient', type: 'urn:cancelkit:problem:transient' });
      expect(refused.json.detail).toMatch(/job database refuses writes\. No job was created and nothing was sent to the cloud/);
      expect(refused.json.hint).toMatch(/a retry is safe/);
      // Nothing about the server's files or internals reaches the client.
      expect(refused.text).not.toContain(server.database);
      expect(refused.text).not.toMatch(/\bat .+\.js:\d+/);
    }
    // The job is recorded before anything is sent: with no record, no call at all reached the cloud.
    expect(world.emulator.requests().length).toBe(sentBefore);
    expect([statusOf(one.id), statusOf(two.id)]).toEqual(['Processing', 'Processing']);
    // Reads still work and show no trace of the refused requests; readiness says why it is not ready.
    expect((await api(server.url, 'GET', '/v1/cancellations')).json.jobs).toHaveLength(1);
    const notReady = await api(server.url, 'GET', '/readyz');
    expect(notReady.status).toBe(503);
    expect(notReady.json).toMatchObject({ status: 'store-unwritable', storeUnwritableSince: expect.any(String) });
    // The operator's log names the file and why it refuses writes.
    expect(server.output()).toContain('cancellation refused: the job database refuses writes');
    expect(server.output()).toContain(`cannot write to the job database ${server.database}`);

    setFileSizeLimit(server.child.pid as number, 'unlimited');
    const ready = await api(server.url, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json.status).toBe('ready');
    const retried = await api(server.url, 'POST', '/v1/cancellations', { body: { plugin: ECS.id, params: one.params }, headers: { 'idempotency-key': 'unwritable-1' } });
    expect(retried.status, retried.text).toBe(200);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    expect(retried.json.targets[0].outcome).toBe('cancelled');
    expect(statusOf(one.id)).not.toBe('Processing');
    expect(world.emulator.requests().filter((r) => r.action === ECS.cancelAction).length).toBe(
      world.emulator.requests().slice(0, sentBefore).filter((r) => r.action === ECS.cancelAction).length + 1,
    );
    expect(await stop(server)).toEqual({ code: 0, signal: null });
  });

  it('results that cannot be written are kept and logged, no new target starts, and all are recorded once writes work again', { timeout: 40_000 }, async () => {
    const server = await start();
    const tasks = Array.from({ length: 4 }, () => world.ecsTask());
    world.emulator.setFaults({ latencyMs: 250 });
    const created = await api(server.url, 'POST', '/v1/cancellations', { body: { targets: tasks.map((t) => ({ plugin: ECS.id, params: t.params })), concurrency: 1 } });
    expect(created.status, created.text).toBe(202);
    const jobId: string = created.json.id;
    setFileSizeLimit(server.child.pid as number, TINY_FILE_LIMIT);
    const cancelsBefore = world.cancelCalls();

    // The first target's cancel is applied in the cloud, but its result cannot be written.
    await until('the unwritable result in the log', () => server.output().includes('could not record a target result'));
    const logged = server
      .output()
      .split('\n')
      .find((line) => line.includes('could not record a target result'));
    expect(JSON.parse(logged as string)).toMatchObject({ level: 50, jobId, plugin: ECS.id, target: tasks[0]?.id, outcome: 'cancelled' });
    expect(statusOf(tasks[0]?.id as string)).not.toBe('Processing');
    // Meanwhile the job starts no new target, and the record makes nothing up: the target is still pending.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(world.cancelCalls() - cancelsBefore).toBe(1);
    expect(tasks.slice(1).map((t) => statusOf(t.id))).toEqual(['Processing', 'Processing', 'Processing']);
    const meanwhile = (await api(server.url, 'GET', `/v1/cancellations/${jobId}`)).json;
    expect(meanwhile.status).toBe('running');
    expect(meanwhile.summary).toMatchObject({ total: 4, pending: 4 });
    expect((await api(server.url, 'GET', '/readyz')).status).toBe(503);

    setFileSizeLimit(server.child.pid as number, 'unlimited');
    const job = await until('the job to complete', async () => {
      const current = (await api(server.url, 'GET', `/v1/cancellations/${jobId}`)).json;
      return current.status === 'completed' ? current : undefined;
    });
    expect(job.summary).toMatchObject({ total: 4, cancelled: 4, pending: 0 });
    expect(job.targets.map((t: { target: string }) => t.target)).toEqual(tasks.map((t) => t.id));
    // Each cancel went out exactly once: the kept result was written, not re-earned by a second call.
    expect(world.cancelCalls() - cancelsBefore).toBe(4);
    expect(server.output()).toContain('the job database takes writes again');
    expect((await api(server.url, 'GET', '/readyz')).status).toBe(200);

    // And it is on disk: a restart on the same file shows the same job.
    expect(await stop(server)).toEqual({ code: 0, signal: null });
    const restarted = await start(server.database);
    expect((await api(restarted.url, 'GET', `/v1/cancellations/${jobId}`)).json).toMatchObject({ status: 'completed', summary: { cancelled: 4, pending: 0 } });
    expect(await stop(restarted)).toEqual({ code: 0, signal: null });
  });

  it('a result the database never takes is in the log, and after a restart its target is flagged interrupted, never lost', { timeout: 40_000 }, async () => {
    const server = await start();
    const tasks = [world.ecsTask(), world.ecsTask()];
    world.emulator.setFaults({ latencyMs: 250 });
    const created = await api(server.url, 'POST', '/v1/cancellations', { body: { targets: tasks.map((t) => ({ plugin: ECS.id, params: t.params })), concurrency: 1 } });
    expect(created.status, created.text).toBe(202);
    const jobId: string = created.json.id;
    setFileSizeLimit(server.child.pid as number, TINY_FILE_LIMIT);
    const cancelsBefore = world.cancelCalls();
    await until('the unwritable result in the log', () => server.output().includes('could not record a target result'));

    // Stopped while the database still refuses writes: a clean exit, and the log carries the result.
    expect(await stop(server)).toEqual({ code: 0, signal: null });
    const end = server
      .output()
      .split('\n')
      .find((line) => line.includes('could not record the end of the job'));
    expect(end, server.output().slice(-3_000)).toBeDefined();
    expect(JSON.parse(end as string)).toMatchObject({ level: 50, jobId, resultsNotRecorded: [{ plugin: ECS.id, target: tasks[0]?.id, outcome: 'cancelled' }] });
    expect(server.output()).not.toMatch(/unhandled|uncaught/i);

    const restarted = await start(server.database);
    const job = (await api(restarted.url, 'GET', `/v1/cancellations/${jobId}`)).json;
    expect(job.status).toBe('interrupted');
    expect(job.summary).toMatchObject({ total: 2, interrupted: 2, pending: 0 });
    for (const t of job.targets) expect(t.reason).toMatch(/may or may not have reached the cloud\. Inspect the operation before retrying/);
    expect(restarted.output()).toContain('marked interrupted');
    // The cloud agrees: the first cancel was applied, the second target was never sent.
    expect(statusOf(tasks[0]?.id as string)).not.toBe('Processing');
    expect(statusOf(tasks[1]?.id as string)).toBe('Processing');
    expect(world.cancelCalls() - cancelsBefore).toBe(1);
    expect(await stop(restarted)).toEqual({ code: 0, signal: null });
  });
});
