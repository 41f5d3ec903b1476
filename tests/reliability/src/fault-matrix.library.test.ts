/**
 * The fault matrix at library level: `createCancelKit` with the five real plugins against the emulator over
 * real HTTP, under throttling, 5xx, resets before and after apply, latency beyond the request timeout and
 * a `maxQps` limit. Sizes scale with RELIABILITY_SCALE (200 targets by default, 2,000 at 10).
 */
import { type CancelKit, createCancelKit, type TargetResult } from '@cancelkit/core';
import ecs from '@cancelkit/plugin-alibaba-ecs';
import oos from '@cancelkit/plugin-alibaba-oos';
import opensearch from '@cancelkit/plugin-alibaba-opensearch';
import tair from '@cancelkit/plugin-alibaba-tair';
import dds from '@cancelkit/plugin-huaweicloud-dds';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { driveFaults, faultPlan } from './support/faults.js';
import { replayHint, scaled, seedFor } from './support/scale.js';
import {
  checkRun,
  faultCounts,
  honestFailureBudget,
  kitConfig,
  maxQpsProblems,
  type Population,
  populate,
  startWorld,
  type World,
} from './support/world.js';

const PLUGINS = [ecs, tair, oos, opensearch, dds];

let world: World;
const kits: CancelKit[] = [];

beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world.stop();
});
afterEach(async () => {
  await Promise.all(kits.splice(0).map((k) => k.close()));
  world.emulator.reset();
  world.witness.clear();
});

function kit(timeoutMs: number): CancelKit {
  const k = createCancelKit({
    plugins: PLUGINS,
    config: kitConfig(world, {
      timeoutMs,
      concurrency: 16,
      // Per service; five services together exceed the emulator's maxQps, so the limit is really hit.
      rateLimits: { '*': 30 },
      retry: { maxAttempts: 10, baseDelayMs: 20, maxDelayMs: 1_000 },
    }),
  });
  kits.push(k);
  return k;
}

async function collect(k: CancelKit, items: Parameters<CancelKit['run']>[0], onRecord: () => void): Promise<TargetResult[]> {
  const records: TargetResult[] = [];
  for await (const record of k.run(items)) {
    records.push(record);
    onRecord();
  }
  return records;
}

function expectPromisesHeld(population: Population, records: readonly TargetResult[], seed: number): void {
  const { problems, honestFailures } = checkRun(world, population, records);
  expect(problems, `${problems.length} broken promises ${replayHint(seed)}`).toEqual([]);
  expect(honestFailures.length, `too many targets ran out of retries ${replayHint(seed)}: ${honestFailures.join('; ')}`).toBeLessThanOrEqual(
    honestFailureBudget(population.targets.length),
  );
}

describe('fault matrix through createCancelKit', () => {
  it('a batch across all five services under every fault: exactly one faithful record per target', async () => {
    const seed = seedFor('library-matrix');
    const count = scaled(200, 20);
    const population = populate(world, count, seed);
    const plan = faultPlan(seed);
    let done = 0;
    const faults = driveFaults(world, plan, () => done, count);
    let records: TargetResult[];
    try {
      records = await collect(kit(plan.timeoutMs), population.items, () => done++);
    } finally {
      faults.stop();
    }
    expectPromisesHeld(population, records, seed);

    // The run really met every fault, including a reset after the cloud applied a cancel and timeouts.
    const hits = faultCounts(world);
    expect(faults.slowWindowOpened).toBe(true);
    for (const fault of ['throttle', 'serverError', 'reset-before', 'reset-after']) {
      expect(hits[fault] ?? 0, `fault ${fault} never happened ${replayHint(seed)}`).toBeGreaterThan(0);
    }
    // The maxQps limit really throttled calls, each answered with the cloud's own throttling error.
    expect(maxQpsProblems(world), replayHint(seed)).toEqual([]);
    // Some cancels were ambiguous and were settled by asking the cloud, not by guessing.
    expect(records.some((r) => r.outcome === 'cancelled' && r.attempts > 1)).toBe(true);
  });

  it('resets after apply on every other call: each cancelled target is confirmed through inspect, none reported failed', async () => {
    const seed = seedFor('library-reset-after');
    const count = scaled(40, 10);
    const population = populate(world, count, seed, 'ra');
    world.emulator.setFaults({ reset: 0.5, seed });
    const records = await collect(kit(2_000), population.items, () => undefined);
    world.emulator.clearFaults();
    expectPromisesHeld(population, records, seed);
    // None reported failed: a reset is answered by asking the cloud (inspect), never by giving up.
    expect(
      records.filter((r) => r.outcome === 'failed').map((r) => `${r.plugin} ${r.target}: ${r.error?.code} ${r.error?.message}`),
      replayHint(seed),
    ).toEqual([]);
    expect(faultCounts(world)['reset-after'] ?? 0).toBeGreaterThan(0);
    expect(records.filter((r) => r.reason === 'Confirmed through inspect after an ambiguous failure.').length).toBeGreaterThan(0);
  });

  it('every call slower than the timeout for a while: late cancels the cloud applied are still reported cancelled', async () => {
    const seed = seedFor('library-timeouts');
    const count = scaled(40, 10);
    const population = populate(world, count, seed, 'to');
    // Slow for the first 600 ms of the run only: every attempt in that window times out after 200 ms.
    const window = world.witness.slowWindow(350);
    const timer = setTimeout(() => window.close(), 600);
    let records: TargetResult[];
    try {
      records = await collect(kit(200), population.items, () => undefined);
    } finally {
      clearTimeout(timer);
      window.close();
    }
    expectPromisesHeld(population, records, seed);
    expect(records.some((r) => r.attempts > 1 || r.outcome === 'cancelled')).toBe(true);
  });
});
