/** Starts an emulator with the fake emulations on a random loopback port; `stopAll()` in afterEach. */
import { type RunningEmulator, startEmulator } from '../server.js';
import type { StartEmulatorOptions } from '../options.js';
import { allFakeEmulations } from './fake-emulations.js';

const running = new Set<RunningEmulator>();

export async function startFake(options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const emulator = await startEmulator({ port: 0, emulations: allFakeEmulations, ...options });
  running.add(emulator);
  return emulator;
}

export async function stopAll(): Promise<void> {
  const all = [...running];
  running.clear();
  await Promise.all(all.map((e) => e.stop()));
}
