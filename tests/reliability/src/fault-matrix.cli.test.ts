/**
 * The fault matrix through the real CLI: `cancelkit cancel --from FILE --output ndjson --endpoint URL`,
 * spawned as a process against the emulator, under the same fault schedule as the library matrix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driveFaults, faultPlan } from './support/faults.js';
import { cleanEnv, lineCounter, parseNdjson, runCli, workDir } from './support/processes.js';
import { replayHint, scaled, seedFor } from './support/scale.js';
import {
  checkRun,
  faultCounts,
  honestFailureBudget,
  maxQpsProblems,
  PROVIDERS,
  populate,
  type ReportedRecord,
  startWorld,
  type World,
} from './support/world.js';

let world: World;
const dirs: ReturnType<typeof workDir>[] = [];
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world.stop();
  for (const d of dirs) d.cleanup();
});

describe('fault matrix through the CLI', () => {
  it('cancel --from a file under every fault: exactly one faithful NDJSON record per target, exit code 9 for the mix', async () => {
    const seed = seedFor('cli-matrix');
    const count = scaled(200, 20);
    const population = populate(world, count, seed, 'c');
    const plan = faultPlan(seed);
    const work = workDir('cli-matrix');
    dirs.push(work);
    const config = work.file('cancelkit.config.json', {
      providers: PROVIDERS,
      retry: { maxAttempts: 10, baseDelayMs: 20, maxDelayMs: 1_000 },
      timeoutMs: plan.timeoutMs,
      rateLimits: { '*': 30 },
    });
    const input = work.file('targets.ndjson', `${population.items.map((item) => JSON.stringify(item)).join('\n')}\n`);
    const lines = lineCounter();
    const faults = driveFaults(world, plan, () => lines.count, count);
    let result: Awaited<ReturnType<typeof runCli>>;
    try {
      result = await runCli(
        ['cancel', '--from', input, '--output', 'ndjson', '--endpoint', world.url, '--config', config, '--concurrency', '16', '--journal', work.file('journal.ndjson')],
        { cwd: work.dir, env: cleanEnv(work.dir), onStdout: lines.onChunk },
      );
    } finally {
      faults.stop();
    }
    const { records, summary } = parseNdjson(result.stdout);
    const { problems, honestFailures } = checkRun(world, population, records as unknown as ReportedRecord[]);
    expect(problems, `${problems.length} broken promises ${replayHint(seed)}; stderr: ${result.stderr.slice(-500)}`).toEqual([]);
    expect(honestFailures.length, `too many targets ran out of retries ${replayHint(seed)}`).toBeLessThanOrEqual(honestFailureBudget(count));
    expect(summary?.total).toBe(count);
    // Cancelled, finished, refused and unknown targets together: a partial result, not success.
    expect(result.code).toBe(9);
    expect(faults.slowWindowOpened).toBe(true);
    const hits = faultCounts(world);
    for (const fault of ['throttle', 'serverError', 'reset-before', 'reset-after']) {
      expect(hits[fault] ?? 0, `fault ${fault} never happened ${replayHint(seed)}`).toBeGreaterThan(0);
    }
    // The maxQps limit really throttled calls, each answered with the cloud's own throttling error.
    expect(maxQpsProblems(world), replayHint(seed)).toEqual([]);
  });
});
