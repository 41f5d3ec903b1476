/**
 * The fault mix every matrix run meets, as a schedule: the emulator's throttling, 5xx, resets before and
 * after the cloud applied the call and a `maxQps` limit all the time, plus a window in which the cloud is
 * slower than the client's request timeout (see `Witness.slowWindow`). During that window every call times
 * out and is applied anyway — exactly the "timed out, but did it happen?" case — so it is a window and
 * not the whole run.
 */
import type { FaultSettings } from '@cancelkit/emulator';
import type { World } from './world.js';

export interface FaultPlan {
  readonly base: FaultSettings;
  /** Client-side per-request timeout the run must use, in ms. */
  readonly timeoutMs: number;
  /** Latency beyond `timeoutMs`, applied during the window. */
  readonly slowLatencyMs: number;
  /** The window opens when this share of the records is in… */
  readonly slowAtShare: number;
  /** …and lasts this long. */
  readonly slowForMs: number;
}

export function faultPlan(seed: number): FaultPlan {
  return {
    base: { throttle: 0.08, serverError: 0.08, reset: 0.12, maxQps: 120, seed },
    // The timeout leaves room for a loaded 2-core CI machine (other suites run beside this one): only the
    // slow window, not ordinary scheduling delays, should make calls time out.
    timeoutMs: 1_000,
    slowLatencyMs: 1_400,
    slowAtShare: 0.3,
    slowForMs: 1_500,
  };
}

/**
 * Drives the schedule while a run is in progress: `progress()` returns how many records are in. Returns
 * a stop function (clears the faults) and whether the slow window really happened.
 */
export function driveFaults(
  world: World,
  plan: FaultPlan,
  progress: () => number,
  total: number,
): { stop(): void; readonly slowWindowOpened: boolean } {
  world.emulator.setFaults(plan.base);
  let phase: 'base' | 'slow' | 'after' = 'base';
  let slowSince = 0;
  let window: { close(): void } | undefined;
  const state = { slowWindowOpened: false };
  const timer = setInterval(() => {
    if (phase === 'base' && progress() >= total * plan.slowAtShare) {
      phase = 'slow';
      slowSince = Date.now();
      state.slowWindowOpened = true;
      window = world.witness.slowWindow(plan.slowLatencyMs);
    } else if (phase === 'slow' && Date.now() - slowSince >= plan.slowForMs) {
      phase = 'after';
      window?.close();
    }
  }, 10);
  return {
    stop() {
      clearInterval(timer);
      window?.close();
      world.emulator.clearFaults();
    },
    get slowWindowOpened() {
      return state.slowWindowOpened;
    },
  };
}
