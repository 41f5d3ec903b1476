/**
 * Fuzzing every plugin's `parse` through the library's public paths (cancel, plan, inspect and the batch
 * engine) with all five plugins installed and the emulator listening: hostile input only ever produces
 * InvalidInput — as a rejection, or as one `failed` record per batch item — and never a request.
 * (The plugins' own `src/parse.property.test.ts` fuzz `parse` directly.)
 */
import { type BatchItem, type CancelKit, createCancelKit, isCancelKitError, type TargetResult } from '@cancelkit/core';
import ecs from '@cancelkit/plugin-alibaba-ecs';
import oos from '@cancelkit/plugin-alibaba-oos';
import opensearch from '@cancelkit/plugin-alibaba-opensearch';
import tair from '@cancelkit/plugin-alibaba-tair';
import dds from '@cancelkit/plugin-huaweicloud-dds';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hostileParams, hostileString, VALID_PARAMS } from './support/hostile.js';
import { scaled, seedFor } from './support/scale.js';
import { kitConfig, startWorld, type World } from './support/world.js';

let world: World;
let kit: CancelKit;
beforeAll(async () => {
  world = await startWorld();
  kit = createCancelKit({ plugins: [ecs, tair, oos, opensearch, dds], config: kitConfig(world, { retry: { maxAttempts: 1 } }) });
});
afterAll(async () => {
  await kit.close();
  await world.stop();
});
beforeEach(() => world.emulator.reset());

const PLUGIN_IDS = Object.keys(VALID_PARAMS);

/** True when `parse` refuses the input (what the properties below are about). */
function refused(plugin: string, params: unknown): boolean {
  try {
    kit.parse(plugin, params);
    return false;
  } catch (error) {
    if (isCancelKitError(error) && error.code === 'InvalidInput') return true;
    throw new Error(`parse threw ${String((error as Error)?.name)}: ${String((error as Error)?.message).slice(0, 200)}`);
  }
}

/** A batch item `parse` refuses: hostile params for a real plugin, or an id no plugin has. */
const refusedItem: fc.Arbitrary<BatchItem> = fc.oneof(
  fc
    .constantFrom(...PLUGIN_IDS)
    .chain((plugin) => hostileParams(VALID_PARAMS[plugin] as Record<string, unknown>).map((params) => ({ plugin, params })))
    .filter((item) => refused(item.plugin, item.params)),
  fc.tuple(fc.oneof(hostileString, fc.jsonValue().map((v) => v as unknown as string)), fc.jsonValue()).map(([plugin, params]) => ({ plugin, params })).filter(
    (item) => !PLUGIN_IDS.includes(item.plugin),
  ),
);

describe('hostile input through the library', () => {
  it('a batch of refused items: one failed InvalidInput record per item, in order of items, and nothing sent', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(refusedItem, { minLength: 1, maxLength: 12 }), async (items) => {
        const records = [];
        for await (const record of kit.run(items, { concurrency: 4 })) records.push(record);
        expect(records).toHaveLength(items.length);
        expect(new Set(records.map((r) => r.item)).size).toBe(items.length);
        for (const record of records) {
          expect(record.outcome).toBe('failed');
          expect(record.error?.code).toBe('InvalidInput');
          expect(record.attempts).toBe(0);
          // The record names its target without carrying a megabyte of input along.
          expect(record.target.length).toBeLessThanOrEqual(256);
        }
      }),
      { numRuns: scaled(60, 10), seed: seedFor('fuzz-batch') },
    );
    expect(world.emulator.requests()).toEqual([]);
  });

  it('cancel, plan and inspect reject refused params with InvalidInput naming a field, and send nothing', async () => {
    const refusedParams = fc
      .constantFrom(...PLUGIN_IDS)
      .chain((plugin) => hostileParams(VALID_PARAMS[plugin] as Record<string, unknown>).map((params) => ({ plugin, params })))
      .filter((item) => refused(item.plugin, item.params));
    await fc.assert(
      fc.asyncProperty(refusedParams, fc.constantFrom('cancel', 'plan', 'inspect') as fc.Arbitrary<'cancel' | 'plan' | 'inspect'>, async ({ plugin, params }, call) => {
        const error = await kit[call](plugin, params).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isCancelKitError(error) && error.code === 'InvalidInput').toBe(true);
        if (isCancelKitError(error)) expect(error.issues.length).toBeGreaterThan(0);
      }),
      { numRuns: scaled(200, 20), seed: seedFor('fuzz-calls') },
    );
    expect(world.emulator.requests()).toEqual([]);
  });

  it('whatever the input, a batch never loses an item and never throws: exactly one record per target', async () => {
    // Accepted inputs (including ones the plugins should refuse but do not yet, see docs/reliability.md)
    // may reach the emulator; the promise here is only that every item is accounted for.
    const anyItem = fc
      .constantFrom(...PLUGIN_IDS)
      .chain((plugin) => hostileParams(VALID_PARAMS[plugin] as Record<string, unknown>).map((params) => ({ plugin, params })));
    await fc.assert(
      fc.asyncProperty(fc.array(anyItem, { minLength: 1, maxLength: 8 }), async (items) => {
        // Per item: the distinct targets parse gives, or undefined when parse refuses (one record then).
        const expected = items.map((item): string[] | undefined => {
          try {
            return [...new Set(kit.plugin(item.plugin).targets(kit.parse(item.plugin, item.params)))].sort();
          } catch {
            return undefined;
          }
        });
        const records: TargetResult[] = [];
        for await (const record of kit.run(items, { concurrency: 4 })) records.push(record);
        expect(records).toHaveLength(expected.reduce((sum, targets) => sum + (targets?.length ?? 1), 0));
        expected.forEach((targets, item) => {
          const own = records.filter((r) => r.item === item);
          if (targets === undefined) {
            expect(own, `item ${item}`).toHaveLength(1);
            expect(own[0]?.error?.code, `item ${item}`).toBe('InvalidInput');
          } else {
            // Each target of the item exactly once: none lost, none twice, none made up.
            expect(own.map((r) => r.target).sort(), `item ${item}`).toEqual(targets);
          }
        });
      }),
      { numRuns: scaled(40, 10), seed: seedFor('fuzz-any') },
    );
  });
});
