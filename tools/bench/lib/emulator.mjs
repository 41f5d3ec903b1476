/** Parent side of the emulator process, plus the settings every figure shares. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { forkService } from './proc.mjs';

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT_DIR = path.resolve(BENCH_DIR, '..', '..');
export const CLI_BIN = path.join(ROOT_DIR, 'apps', 'cli', 'dist', 'bin.js');

/** The emulator's public demo key (it opens nothing but the emulator). */
export const DEMO_KEY = { accessKeyId: 'cancelkit-demo-ak', accessKeySecret: 'cancelkit-demo-sk' };
export const REGION = 'cn-hangzhou';

/**
 * Core config for our side of every comparison: the emulator endpoint and the demo key, and the
 * client-side rate limit lifted (the ECS manifest's default is 20 requests/s, a politeness setting for
 * the real cloud; the official SDK has none, so keeping it would measure a sleep, not the code).
 */
export function kitConfig(url) {
  return {
    endpoints: { 'alibaba.ecs': url },
    providers: { alibaba: { ...DEMO_KEY } },
    rateLimits: { 'alibaba.ecs': 1_000_000 },
  };
}

export async function startEmulatorProcess() {
  const service = forkService(path.join(BENCH_DIR, 'lib', 'emulator-process.mjs'));
  const { url } = await service.ready;
  return {
    url,
    seedEcs: (prefix, count) => service.call('seedEcs', { prefix, count }),
    ecsStatusCounts: (prefix) => service.call('ecsStatusCounts', { prefix }),
    requestSummary: () => service.call('requestSummary'),
    setFaults: (faults) => service.call('setFaults', faults),
    reset: () => service.call('reset'),
    stop: () => service.stop(),
  };
}
