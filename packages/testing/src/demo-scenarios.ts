/** `describeDemoScenarios`: every demo scenario an emulation carries gives the outcome it promises. */
import { type CancelKit, type CancellablePlugin, createCancelKit, type EmulatorCredential, emulatorClientSettings, type ServiceEmulation } from '@cancelkit/core';
import { DEMO_CREDENTIALS, type RunningEmulator, startEmulator } from '@cancelkit/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Seeds each of `emulation.demo` in a fresh emulator and cancels it through `createCancelKit` over real
 * HTTP, configured the way hosts configure it (from the protocol's own client settings), expecting the
 * scenario's outcome (`cancelkit demo` runs the same scenarios). Call at the top level of a vitest file.
 */
export function describeDemoScenarios(plugin: CancellablePlugin<unknown>, emulation: ServiceEmulation): void {
  const credential: EmulatorCredential = {
    accessKeyId: DEMO_CREDENTIALS.accessKeyId,
    secret: DEMO_CREDENTIALS.accessKeySecret,
    projectId: DEMO_CREDENTIALS.projectId,
  };
  const scenarios = emulation.demo ?? [];
  let emu: RunningEmulator;
  let kit: CancelKit;

  beforeAll(async () => {
    emu = await startEmulator({ port: 0, emulations: [emulation], credentials: [credential] });
    kit = createCancelKit({
      plugins: [plugin],
      config: {
        endpoints: { [emulation.service]: emu.url },
        providers: emulatorClientSettings([emulation], credential).providers,
        env: {},
        homeDir: '/nonexistent-cancelkit-test-home',
        retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
      },
    });
  });
  afterAll(async () => {
    await kit?.close();
    await emu?.stop();
  });

  describe(`${plugin.manifest.id} demo scenarios`, () => {
    it('there are one to three, all cancelled by this plugin', () => {
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
}
