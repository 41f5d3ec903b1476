/**
 * The audit trail across restarts, against the real emulator: a server writes jobs to a SQLite file and
 * stops (gracefully, or in the middle of a batch); the next server on the same file shows every record.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeOpenError, JobStore, StoreError } from './store.js';
import { ECS, type EmulatorWorld, startEmulatorWorld } from './test-support/emulator-world.js';
import { startTestServer, type TestServer, tempDir, until } from './test-support/harness.js';

describe('the SQLite store across restarts (emulator backend)', () => {
  let world: EmulatorWorld;
  let temp: ReturnType<typeof tempDir>;
  const servers: TestServer[] = [];
  const start = async (database: string, limits = {}) => {
    const server = await startTestServer({ plugins: world.plugins, database, cancelkit: world.cancelkit, limits });
    servers.push(server);
    return server;
  };
  const statusOf = (id: string) => world.emulator.listOperations(ECS.service).find((op) => op.id === id)?.['status'];

  beforeAll(async () => {
    world = await startEmulatorWorld();
    temp = tempDir();
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
    world.emulator.clearFaults();
  });
  afterAll(async () => {
    await world?.stop();
    temp?.remove();
  });

  it('keeps every audit record and idempotency key after a restart on the same file', async () => {
    const db = path.join(temp.dir, 'restart.db');
    const [one, two, three] = [world.ecsTask(), world.ecsTask(), world.ecsTask()];
    const missing = { ...three.params, taskId: `${three.id.slice(0, -3)}999` };
    const first = await start(db);
    const single = await first.request('POST', '/v1/cancellations', { body: { plugin: ECS.id, params: one.params }, headers: { 'idempotency-key': 'restart-key' } });
    expect(single.status).toBe(200);
    const batch = await first.request('POST', '/v1/cancellations', {
      body: { targets: [{ plugin: ECS.id, params: two.params }, { plugin: ECS.id, params: three.params }, { plugin: ECS.id, params: missing }] },
    });
    expect(batch.status).toBe(202);
    await until('the batch to complete', async () => ((await first.request('GET', `/v1/cancellations/${batch.json.id}`)).json.status === 'completed' ? true : undefined));
    const before = (await first.request('GET', '/v1/cancellations')).json.jobs;
    await first.close();

    const second = await start(db);
    const after = (await second.request('GET', '/v1/cancellations')).json.jobs;
    expect(after).toEqual(before);
    expect(after.map((j: { id: string }) => j.id)).toEqual([batch.json.id, single.json.id]);
    const job = (await second.request('GET', `/v1/cancellations/${batch.json.id}`)).json;
    expect(job.summary).toMatchObject({ total: 3, cancelled: 2, 'not-found': 1, pending: 0 });
    // The cloud's request ids are kept with each outcome (a target skipped by the precheck has its inspection's).
    for (const t of job.targets) expect(t.requestId ?? t.state?.requestId, JSON.stringify(t)).toEqual(expect.any(String));
    expect(statusOf(two.id)).not.toBe('Processing');
    // The idempotency key survived too: a replay answers from the store and the cloud is not called.
    const callsBefore = world.emulator.requests().length;
    const replay = await second.request('POST', '/v1/cancellations', { body: { plugin: ECS.id, params: one.params }, headers: { 'idempotency-key': 'restart-key' } });
    expect(replay.json.id).toBe(single.json.id);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(world.emulator.requests().length).toBe(callsBefore);
  });

  it('shuts down gracefully: stops starting targets, records the rest as interrupted, refuses new work', async () => {
    const db = path.join(temp.dir, 'shutdown.db');
    const tasks = Array.from({ length: 8 }, () => world.ecsTask());
    world.emulator.setFaults({ latencyMs: 150 });
    const server = await start(db, { shutdownGraceMs: 60 });
    const batch = await server.request('POST', '/v1/cancellations', {
      body: { targets: tasks.map((t) => ({ plugin: ECS.id, params: t.params })), concurrency: 1, precheck: false },
    });
    expect(batch.status).toBe(202);
    await until('a first cancel', async () => ((await server.request('GET', `/v1/cancellations/${batch.json.id}`)).json.summary.cancelled >= 1 ? true : undefined));
    const closing = server.app.close();
    const refused = await server.request('POST', '/v1/cancellations', { body: { plugin: ECS.id, params: world.ecsTask().params } });
    expect(refused.status).toBe(503);
    expect(refused.json).toMatchObject({ code: 'Transient', status: 503 });
    await closing;
    servers.splice(servers.indexOf(server), 1);

    const reopened = await start(db);
    const job = (await reopened.request('GET', `/v1/cancellations/${batch.json.id}`)).json;
    expect(job.status).toBe('interrupted');
    expect(job.summary.pending).toBe(0);
    expect(job.summary.cancelled + job.summary.interrupted + job.summary.failed).toBe(8);
    expect(job.summary.cancelled).toBeGreaterThanOrEqual(1);
    const untouched = job.targets.filter((t: { reason?: string }) => t.reason?.includes('nothing was sent'));
    expect(untouched.length).toBeGreaterThanOrEqual(4);
    // "Nothing was sent" is a fact the emulator confirms.
    for (const t of untouched) expect(statusOf(t.target)).toBe('Processing');
    for (const t of job.targets.filter((x: { outcome: string }) => x.outcome === 'cancelled')) expect(statusOf(t.target)).not.toBe('Processing');
    expect(job.targets.every((t: { outcome: string }) => t.outcome !== 'pending')).toBe(true);
  });
});

describe('JobStore startup errors', () => {
  const temp = tempDir();
  afterAll(() => temp.remove());

  it('refuses a database file another server holds, with a clear message', () => {
    const file = path.join(temp.dir, 'locked.db');
    const owner = new JobStore(file);
    try {
      let error: unknown;
      try {
        new JobStore(file, { busyTimeoutMs: 50 }).close();
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(StoreError);
      expect((error as Error).message).toMatch(/locked by another process.*One server owns one database file/);
    } finally {
      owner.close();
    }
    // Released when the owner closes.
    new JobStore(file).close();
  });

  it('refuses a read-only database file with a clear message', () => {
    // SQLITE_READONLY as SQLite reports it; root can write through file modes, so the mapping is checked directly too.
    expect(describeOpenError('/x/jobs.db', { errcode: 8, message: 'attempt to write a readonly database' }).message).toMatch(
      /jobs\.db: it is read-only\. Give the server write access/,
    );
    if (process.getuid?.() === 0) return;
    const file = path.join(temp.dir, 'readonly.db');
    new JobStore(file).close();
    chmodSync(file, 0o444);
    try {
      expect(() => new JobStore(file)).toThrow(/read-only/);
    } finally {
      chmodSync(file, 0o644);
    }
  });

  it('refuses a file that is not a SQLite database', () => {
    const file = path.join(temp.dir, 'not-a-db.db');
    writeFileSync(file, 'this is not sqlite, just text that is long enough to be read as a header.........................................');
    expect(() => new JobStore(file)).toThrow(/not a SQLite database/);
  });
});
