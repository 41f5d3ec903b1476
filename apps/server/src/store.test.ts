import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { completedJobRecord, type JobRecord, JobStore, type NewJob, type ResultToRecord } from './store.js';
import { tempDir } from './test-support/harness.js';

const T0 = Date.parse('2026-11-23T10:00:00.000Z');

function newJob(id: string, targets: string[], kind: NewJob['kind'] = 'single'): NewJob {
  return {
    id,
    kind,
    requestedBy: 'admin',
    requestId: `req-${id}`,
    items: [{ plugin: 'fake.jobs.job', params: { ids: targets } }],
    options: { precheck: true },
    targets: targets.map((target) => ({ item: 0, plugin: 'fake.jobs.job', target })),
  };
}

function result(target: string, extra: Partial<ResultToRecord> = {}): ResultToRecord {
  return { item: 0, plugin: 'fake.jobs.job', target, outcome: 'cancelled', requestId: `cloud-${target}`, attempts: 1, durationMs: 12.4, ...extra };
}

describe('JobStore writes (records built from what was written, not read back)', () => {
  const opened: JobStore[] = [];
  const temps: ReturnType<typeof tempDir>[] = [];
  afterEach(() => {
    for (const store of opened.splice(0)) store.close();
    for (const temp of temps.splice(0)) temp.remove();
  });
  const open = (file = ':memory:') => {
    const store = new JobStore(file);
    opened.push(store);
    return store;
  };

  it('createJob returns exactly what getJob reads back, queued or started at once, with an idempotency key', () => {
    const store = open();
    const queued = store.createJob(newJob('j-queued', ['a', 'b'], 'batch'), T0);
    expect(queued.kind).toBe('created');
    if (queued.kind !== 'created') return;
    expect(queued.job).toEqual(store.getJob('j-queued'));
    expect(JSON.stringify(queued.job)).toBe(JSON.stringify(store.getJob('j-queued')));
    expect(queued.job.status).toBe('queued');

    const started = store.createJob(newJob('j-started', ['c']), T0, { key: 'k-1', bodyHash: 'h', ttlMs: 60_000 }, T0 + 1);
    if (started.kind !== 'created') throw new Error('expected a new job');
    expect(JSON.stringify(started.job)).toBe(JSON.stringify(store.getJob('j-started')));
    expect(started.job).toMatchObject({ status: 'running', startedAt: '2026-11-23T10:00:00.001Z', idempotencyKey: 'k-1' });
  });

  it('records the last result and completes the job in one write; the records match a read-back', () => {
    const store = open();
    const created = store.createJob(newJob('j-1', ['only']), T0, undefined, T0);
    if (created.kind !== 'created') throw new Error('expected a new job');
    const record = store.recordResult(
      'j-1',
      result('only', {
        outcome: 'not-cancellable',
        reason: 'locked',
        providerCode: 'Locked',
        error: { code: 'NotCancellable', message: 'locked', retryable: false },
        state: { target: 'only', found: true, status: 'locked', terminal: false, cancelled: false, cancellable: false, reason: 'locked' },
        waited: undefined,
      }),
      T0 + 5,
      true,
    );
    const stored = store.getJob('j-1') as JobRecord;
    expect(stored).toMatchObject({ status: 'completed', finishedAt: '2026-11-23T10:00:00.005Z', startedAt: '2026-11-23T10:00:00.000Z' });
    expect(JSON.stringify(record)).toBe(JSON.stringify(stored.targets[0]));
    expect(record).toMatchObject({ seq: 1, durationMs: 12, outcome: 'not-cancellable' });
    const built = completedJobRecord(created.job, [record as NonNullable<typeof record>], created.job.startedAt, T0 + 5);
    expect(JSON.stringify(built)).toBe(JSON.stringify(stored));
  });

  it('ignores a result for a target that is not pending, without using up a sequence number', () => {
    const store = open();
    store.createJob(newJob('j-2', ['x', 'y'], 'batch'), T0, undefined, T0);
    expect(store.recordResult('j-2', result('x'), T0 + 1)).toMatchObject({ seq: 1 });
    expect(store.recordResult('j-2', result('x'), T0 + 2)).toBeUndefined();
    expect(store.recordResult('j-2', result('not-in-job'), T0 + 2)).toBeUndefined();
    expect(store.recordResult('j-2', result('y'), T0 + 3, true)).toMatchObject({ seq: 2 });
    expect(store.settledSince('j-2', 0).map((t) => [t.target, t.seq])).toEqual([
      ['x', 1],
      ['y', 2],
    ]);
    expect(store.getJob('j-2')?.status).toBe('completed');
  });

  it('after a crash, a job completed in that write stays completed; a half-settled one is interrupted, its settled target kept', () => {
    const temp = tempDir();
    temps.push(temp);
    const file = path.join(temp.dir, 'jobs.db');
    const first = new JobStore(file);
    first.createJob(newJob('done', ['d']), T0, undefined, T0);
    first.recordResult('done', result('d'), T0 + 1, true);
    first.createJob(newJob('half', ['h1', 'h2'], 'batch'), T0, undefined, T0);
    first.recordResult('half', result('h1'), T0 + 2);
    first.close(); // what a kill leaves on disk: every committed transaction, nothing else

    const second = open(file);
    expect(second.recoverInterrupted(T0 + 10)).toEqual(['half']);
    expect(second.getJob('done')).toMatchObject({ status: 'completed', summary: { cancelled: 1, pending: 0 } });
    const half = second.getJob('half');
    expect(half).toMatchObject({ status: 'interrupted', summary: { cancelled: 1, interrupted: 1, pending: 0 } });
    expect(half?.targets.map((t) => [t.target, t.outcome, t.seq])).toEqual([
      ['h1', 'cancelled', 1],
      ['h2', 'interrupted', 2],
    ]);
  });
});
