/**
 * The demo scenarios this emulation carries (`cancelkit demo` runs them): each one, seeded in the
 * emulator and cancelled through createCancelKit over real HTTP, gives the outcome it promises.
 */
import { kitFor } from '@cancelkit/alibaba-openapi/testing';
import type { CancelKit } from '@cancelkit/core';
import { type RunningEmulator, startEmulator } from '@cancelkit/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import emulation from './emulation.js';
import plugin from './index.js';

const scenarios = emulation.demo ?? [];
let emu: RunningEmulator;
let kit: CancelKit;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, emulations: [emulation] });
  kit = kitFor(plugin, emulation.service, emu.url);
});
afterAll(async () => {
  await kit.close();
  await emu.stop();
});

describe('demo scenarios', () => {
  it('there are one to three, all cancelled by the plugin of this package', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(1);
    expect(scenarios.length).toBeLessThanOrEqual(3);
    for (const scenario of scenarios) expect(scenario.plugin).toBe(plugin.manifest.id);
  });

  for (const scenario of scenarios) {
    it(`${scenario.title}: ${scenario.expected}`, async () => {
      const op = scenario.seed ? emu.createOperation(emulation.service, { ...scenario.seed }) : undefined;
      const records = await kit.cancel(scenario.plugin, scenario.params(op));
      expect(records.map((r) => r.outcome), JSON.stringify(records.map((r) => r.error))).toEqual([scenario.expected]);
    });
  }
});
