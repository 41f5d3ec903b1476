/**
 * The job runner's shutdown over real HTTP against the fake cloud: what the database says about a job
 * the shutdown cut short, read back from the file once the server has stopped.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStore } from './store.js';
import { type FakeCloud, fakeCloudPlugin, startFakeCloud } from './test-support/fake-cloud.js';
import { startTestServer, tempDir, until } from './test-support/harness.js';

describe('JobRunner shutdown (fake cloud)', () => {
  let cloud: FakeCloud;
  let temp: ReturnType<typeof tempDir>;

  beforeAll(async () => {
    cloud = await startFakeCloud();
    temp = tempDir();
  });
  afterAll(async () => {
    await cloud?.close();
    temp?.remove();
  });

  it('a job whose last targets are aborted in flight by the shutdown ends interrupted, not completed', async () => {
    const db = path.join(temp.dir, 'aborted-last.db');
    const server = await startTestServer({ plugins: [fakeCloudPlugin()], database: db, cancelkit: { endpoints: { '*': cloud.url } }, limits: { shutdownGraceMs: 50 } });
    let closing: Promise<void> | undefined;
    cloud.add('running', 'abort-last-1');
    // The cloud holds the cancel past the grace period, so the shutdown aborts it in flight.
    cloud.delayMs = 2_000;
    try {
      const answer = await server.request('POST', '/v1/cancellations', {
        body: { plugin: 'fake.jobs.job', params: { ids: ['abort-last-1'] }, precheck: false },
        headers: { prefer: 'respond-async' },
      });
      expect(answer.status, answer.text).toBe(202);
      await until('the cancel to reach the cloud', () => cloud.cancelCalls().some((ids) => ids.includes('abort-last-1')));
      closing = server.close();
      await closing;
    } finally {
      await (closing ?? server.close());
      cloud.delayMs = 0;
    }
    const store = new JobStore(db);
    try {
      const [job] = store.listJobs({ limit: 1 }).jobs;
      // Its reason says what a caller must do: the cancel was sent, so inspect before retrying.
      expect(job?.targets).toMatchObject([{ target: 'abort-last-1', outcome: 'interrupted', reason: expect.stringContaining('may or may not have reached the cloud') }]);
      expect(job).toMatchObject({ status: 'interrupted', note: 'The server shut down while this job was running.', summary: { total: 1, interrupted: 1, pending: 0 } });
    } finally {
      store.close();
    }
  });
});
