/**
 * The demo scenarios this emulation carries (`cancelkit demo` runs them): each one, seeded in the
 * emulator and cancelled through createCancelKit over real HTTP, gives the outcome it promises. The kit
 * is configured the way hosts configure it, from the protocol's own client settings.
 */
import { type CancelKit, createCancelKit } from '@cancelkit/core';
import type { EmulatorCredential } from '@cancelkit/core/emulation';
import { type RunningEmulator, startEmulator } from '@cancelkit/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import emulation from './emulation.js';
import plugin from './index.js';

const DEMO: EmulatorCredential = { accessKeyId: 'cancelkit-demo-ak', secret: 'cancelkit-demo-sk', projectId: 'cancelkit-demo-project' };
const scenarios = emulation.demo ?? [];
let emu: RunningEmulator;
let kit: CancelKit;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, emulations: [emulation], credentials: [DEMO] });
  const settings = emulation.protocol.clientSettings?.(DEMO);
  if (!settings) throw new Error('the DDS protocol gives no client settings');
  kit = createCancelKit({
    plugins: [plugin],
    config: {
      endpoints: { [emulation.service]: emu.url },
      providers: settings.providers,
      env: {},
      homeDir: '/nonexistent-cancelkit-test-home',
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
    },
  });
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
