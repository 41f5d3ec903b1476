/**
 * The fault matrix through the real server: `cancelkit-server` spawned with a cloud backend pointed at the
 * emulator, one batch job over HTTP, under the same fault schedule as the library matrix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driveFaults, faultPlan } from './support/faults.js';
import { cleanEnv, type ServerProcess, startServerProcess, workDir } from './support/processes.js';
import { replayHint, scaled, seedFor } from './support/scale.js';
import { api, serverConfig, waitForJob } from './support/server.js';
import { checkRun, faultCounts, honestFailureBudget, maxQpsProblems, populate, startWorld, type World } from './support/world.js';

let world: World;
let server: ServerProcess;
const work = workDir('server-matrix');
const plan = faultPlan(seedFor('server-matrix'));

beforeAll(async () => {
  world = await startWorld();
  const config = work.file('server.json', serverConfig(world, { database: work.file('jobs.db'), timeoutMs: plan.timeoutMs }));
  server = await startServerProcess(['--config', config], { cwd: work.dir, env: cleanEnv(work.dir) });
});
afterAll(async () => {
  await server?.stop();
  await world.stop();
  work.cleanup();
});

describe('fault matrix through the server', () => {
  it('one batch job under every fault: exactly one faithful target record per target in the stored job', async () => {
    const seed = plan.base.seed ?? 0;
    const count = scaled(200, 20);
    const population = populate(world, count, seed, 's');
    let settled = 0;
    const faults = driveFaults(world, plan, () => settled, count);
    let job: Awaited<ReturnType<typeof waitForJob>>;
    try {
      const created = await api(server.url, 'POST', '/v1/cancellations', { body: { targets: population.items, concurrency: 16 } });
      expect(created.status, created.text.slice(0, 500)).toBe(202);
      expect(created.headers.get('location')).toMatch(/^\/v1\/cancellations\//);
      job = await waitForJob(server.url, (created.body as { id: string }).id, (n) => {
        settled = n;
      });
    } finally {
      faults.stop();
    }
    expect(job.status).toBe('completed');
    const { problems, honestFailures } = checkRun(world, population, job.targets);
    expect(problems, `${problems.length} broken promises ${replayHint(seed)}`).toEqual([]);
    expect(honestFailures.length, `too many targets ran out of retries ${replayHint(seed)}`).toBeLessThanOrEqual(honestFailureBudget(count));
    expect(job.summary.total).toBe(count);
    expect(job.summary.pending ?? 0).toBe(0);
    expect(faults.slowWindowOpened).toBe(true);
    const hits = faultCounts(world);
    for (const fault of ['throttle', 'serverError', 'reset-before', 'reset-after']) {
      expect(hits[fault] ?? 0, `fault ${fault} never happened ${replayHint(seed)}`).toBeGreaterThan(0);
    }
    // The maxQps limit really throttled calls, each answered with the cloud's own throttling error.
    expect(maxQpsProblems(world), replayHint(seed)).toEqual([]);
  });
});
