import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeOpenError, JobStore, StoreError } from './store.js';
import { type FakeCloud, fakeCloudPlugin, startFakeCloud } from './test-support/fake-cloud.js';
import { startTestServer, type TestServer, tempDir } from './test-support/harness.js';

async function until<T>(fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the SQLite store across restarts', () => {
  let cloud: FakeCloud;
  let temp: ReturnType<typeof tempDir>;
  const servers: TestServer[] = [];
  const start = async (database: string, limits = {}) => {
    const server = await startTestServer({ plugins: [fakeCloudPlugin()], database, cancelkit: { endpoints: { '*': cloud.url } }, limits });
    servers.push(server);
    return server;
  };

  beforeAll(async () => {
    cloud = await startFakeCloud();
    temp = tempDir();
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
    cloud.delayMs = 0;
  });
  afterAll(async () => {
    await cloud.close();
    temp.remove();
  });

  it('keeps every audit record and idempotency key after a restart on the same file', async () => {
    const db = path.join(temp.dir, 'restart.db');
    cloud.add('running', 'keep-1', 'keep-2', 'keep-3');
    const first = await start(db);
    const single = await first.request('POST', '/v1/cancellations', { body: { plugin: 'fake.jobs.job', params: { ids: ['keep-1'] } }, headers: { 'idempotency-key': 'restart-key' } });
    const batch = await first.request('POST', '/v1/cancellations', {
      body: { targets: [{ plugin: 'fake.jobs.job', params: { ids: ['keep-2'] } }, { plugin: 'fake.jobs.job', params: { ids: ['keep-3', 'keep-missing'] } }] },
    });
    expect(batch.status).toBe(202);
    await until(async () => ((await first.request('GET', `/v1/cancellations/${batch.json.id}`)).json.status === 'completed' ? true : undefined));
    const before = (await first.request('GET', '/v1/cancellations')).json.jobs;
    await first.close();

    const second = await start(db);
    const after = (await second.request('GET', '/v1/cancellations')).json.jobs;
    expect(after).toEqual(before);
    expect(after.map((j: { id: string }) => j.id)).toEqual([batch.json.id, single.json.id]);
    const job = (await second.request('GET', `/v1/cancellations/${batch.json.id}`)).json;
    expect(job.summary).toMatchObject({ total: 3, cancelled: 2, 'not-found': 1, pending: 0 });
    // The idempotency key survived too: a replay answers from the store and the cloud is not called.
    const callsBefore = cloud.calls.length;
    const replay = await second.request('POST', '/v1/cancellations', { body: { plugin: 'fake.jobs.job', params: { ids: ['keep-1'] } }, headers: { 'idempotency-key': 'restart-key' } });
    expect(replay.json.id).toBe(single.json.id);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(cloud.calls.length).toBe(callsBefore);
  });

  it('shuts down gracefully: stops starting targets, records the rest as interrupted, refuses new work', async () => {
    const db = path.join(temp.dir, 'shutdown.db');
    const ids = Array.from({ length: 8 }, (_, i) => `grace-${i}`);
    cloud.add('running', ...ids);
    cloud.delayMs = 150;
    const server = await start(db, { shutdownGraceMs: 60 });
    const batch = await server.request('POST', '/v1/cancellations', {
      body: { targets: ids.map((id) => ({ plugin: 'fake.jobs.job', params: { ids: [id] } })), concurrency: 1, precheck: false },
    });
    expect(batch.status).toBe(202);
    await until(async () => ((await server.request('GET', `/v1/cancellations/${batch.json.id}`)).json.summary.cancelled >= 1 ? true : undefined));
    const closing = server.app.close();
    const refused = await server.request('POST', '/v1/cancellations', { body: { plugin: 'fake.jobs.job', params: { ids: ['late-1'] } } });
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
    for (const t of untouched) expect(cloud.ops.get(t.target)).toBe('running');
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
