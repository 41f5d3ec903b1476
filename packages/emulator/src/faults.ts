/**
 * Fault injection for cloud calls (never for `/_emulator/` admin calls). Every random choice draws from
 * one seeded PRNG in request order, so the same seed and the same requests meet the same faults.
 */
import { type InputIssue, invalidInput } from '@cancelkit/core/plugin';
import { mulberry32, type Random, randomSeed } from './rng.js';

export interface FaultSettings {
  /** Probability (0..1) that a call is answered with the protocol's throttling error. */
  throttle?: number;
  /** Probability (0..1) that a call is answered with the protocol's 5xx error. */
  serverError?: number;
  /**
   * Probability (0..1) that the connection is reset: half of those (by the seeded RNG) before the handler
   * runs (nothing changed), half after it applied the change (changed, but the client never hears).
   */
  reset?: number;
  /** Probability (0..1) that the connection is reset before the handler runs (nothing changed). */
  resetBefore?: number;
  /** Probability (0..1) that the connection is reset after the handler applied the change (changed, unheard). */
  resetAfter?: number;
  /** Delay before every cloud call is answered, in ms (0..60000). */
  latencyMs?: number;
  /** Calls beyond this many in any 1-second window get the protocol's throttling error. */
  maxQps?: number;
  /** Seed of the PRNG behind the probabilities (any integer). */
  seed?: number;
  /**
   * Calls the caller has no permission for, answered with the protocol's permission error (a RAM or IAM
   * policy that does not grant them): action names (`CancelTask`), service ids (`alibaba.ecs`), or `*`.
   * Deterministic and drawn from no PRNG, so adding it leaves every seeded fault sequence as it was.
   */
  deny?: string[];
}

export type FaultDecision = 'none' | 'maxQps' | 'throttle' | 'serverError' | 'reset-before' | 'reset-after';

/**
 * Entries of `deny`: an action name, a service id, or `*` alone (matching is exact, so `Cancel*` would
 * never match anything); no spaces or control characters.
 */
const DENY_ENTRY = /^(?:\*|[\w.:-]{1,128})$/;
const MAX_DENY_ENTRIES = 256;

export const MAX_LATENCY_MS = 60_000;

/** Every fault field and what it does, in the order a call meets them (shown by `GET /_emulator/`). */
export const FAULT_FIELDS: Readonly<Record<keyof FaultSettings, string>> = Object.freeze({
  latencyMs: '0..60000: every cloud call waits this long first',
  maxQps: 'integer >= 1: calls beyond this many in any sliding 1-second window get the protocol throttling error',
  throttle: "0..1: probability of the protocol's throttling error",
  serverError: "0..1: probability of the protocol's 5xx error",
  reset: '0..1: probability of a TCP reset, 50/50 (seeded) before the handler (nothing changed) or after it applied the change',
  resetBefore: '0..1: probability of a TCP reset before the handler runs: nothing changed, the client hears nothing',
  resetAfter: '0..1: probability of a TCP reset after the handler applied the change: changed, the client hears nothing',
  seed: 'integer: seeds the PRNG behind the probabilities; same seed and same requests, same faults',
  deny: 'array of action names ("CancelTask"), service ids ("alibaba.ecs") or "*": those calls get the protocol permission error (403), before any other fault',
});
const PROBABILITIES = ['throttle', 'serverError', 'reset', 'resetBefore', 'resetAfter'] as const;
const KNOWN_FIELDS = new Set<string>([...PROBABILITIES, 'latencyMs', 'maxQps', 'seed', 'deny']);

/** Checks fault settings from JSON or code; names every bad field. `null` means "off" for any field. */
export function parseFaultSettings(input: unknown): FaultSettings {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalidInput([{ field: '', message: 'must be a JSON object such as {"throttle": 0.2, "seed": 7}' }], 'faults');
  }
  const raw = input as Record<string, unknown>;
  const issues: InputIssue[] = [];
  const settings: FaultSettings = {};
  for (const key of Object.keys(raw)) {
    if (!KNOWN_FIELDS.has(key)) {
      issues.push({ field: key, message: 'is not a fault', hint: `known faults: ${[...KNOWN_FIELDS].join(', ')}` });
    }
  }
  for (const key of PROBABILITIES) {
    const value = raw[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
      issues.push({ field: key, message: `must be a probability from 0 to 1, got ${JSON.stringify(value)}` });
    } else settings[key] = value;
  }
  const latency = raw.latencyMs;
  if (latency !== undefined && latency !== null) {
    if (typeof latency !== 'number' || !Number.isFinite(latency) || latency < 0 || latency > MAX_LATENCY_MS) {
      issues.push({ field: 'latencyMs', message: `must be a number of milliseconds from 0 to ${MAX_LATENCY_MS}, got ${JSON.stringify(latency)}` });
    } else settings.latencyMs = latency;
  }
  const maxQps = raw.maxQps;
  if (maxQps !== undefined && maxQps !== null) {
    if (typeof maxQps !== 'number' || !Number.isInteger(maxQps) || maxQps < 1) {
      issues.push({ field: 'maxQps', message: `must be an integer of at least 1, got ${JSON.stringify(maxQps)}`, hint: 'leave it out for no limit' });
    } else settings.maxQps = maxQps;
  }
  const seed = raw.seed;
  if (seed !== undefined && seed !== null) {
    if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
      issues.push({ field: 'seed', message: `must be an integer, got ${JSON.stringify(seed)}` });
    } else settings.seed = seed;
  }
  const deny = raw.deny;
  if (deny !== undefined && deny !== null) {
    if (!Array.isArray(deny) || deny.length > MAX_DENY_ENTRIES) {
      issues.push({ field: 'deny', message: `must be an array of at most ${MAX_DENY_ENTRIES} action names or service ids, got ${JSON.stringify(deny)?.slice(0, 80)}`, hint: 'e.g. {"deny": ["CancelTask"]}' });
    } else {
      const bad = deny.findIndex((entry) => typeof entry !== 'string' || !DENY_ENTRY.test(entry));
      if (bad >= 0) {
        issues.push({ field: `deny[${bad}]`, message: `must be an action name, a service id or "*", got ${JSON.stringify(deny[bad])?.slice(0, 80)}`, hint: 'e.g. "CancelTask" or "alibaba.ecs"' });
      } else if (deny.length > 0) settings.deny = [...new Set(deny as string[])];
    }
  }
  if (issues.length > 0) throw invalidInput(issues, 'faults');
  return settings;
}

export class FaultInjector {
  #settings: FaultSettings = {};
  #seed = randomSeed();
  #random: Random = mulberry32(this.#seed);
  /** Times (ms) of the calls admitted in the last second, oldest first, for `maxQps`. */
  #admitted: number[] = [];
  #admittedHead = 0;

  /** Replaces all faults (PUT semantics) and reseeds the PRNG. */
  set(settings: FaultSettings): void {
    this.#settings = parseFaultSettings(settings);
    this.#seed = this.#settings.seed ?? randomSeed();
    this.#random = mulberry32(this.#seed);
    this.#admitted = [];
    this.#admittedHead = 0;
  }

  clear(): void {
    this.#settings = {};
    this.#seed = randomSeed();
    this.#random = mulberry32(this.#seed);
    this.#admitted = [];
    this.#admittedHead = 0;
  }

  /** The active faults and the seed in use (so a run without an explicit seed can be replayed). */
  current(): FaultSettings & { seed: number } {
    // A copy all the way down: a caller editing the answer must not change the active faults.
    const { deny } = this.#settings;
    return { ...this.#settings, ...(deny ? { deny: [...deny] } : {}), seed: this.#seed };
  }

  get latencyMs(): number {
    return this.#settings.latencyMs ?? 0;
  }

  /** Whether `deny` refuses this service's action: by action name, by service id, or `*`. */
  denies(service: string, action: string): boolean {
    const deny = this.#settings.deny;
    return deny !== undefined && (deny.includes(action) || deny.includes(service) || deny.includes('*'));
  }

  /** Decides the fate of one authenticated cloud call. */
  decide(now: number): FaultDecision {
    const { maxQps, throttle, serverError, reset, resetBefore, resetAfter } = this.#settings;
    if (maxQps !== undefined && !this.#admit(now, maxQps)) return 'maxQps';
    if (throttle !== undefined && throttle > 0 && this.#random() < throttle) return 'throttle';
    if (serverError !== undefined && serverError > 0 && this.#random() < serverError) return 'serverError';
    if (reset !== undefined && reset > 0 && this.#random() < reset) {
      return this.#random() < 0.5 ? 'reset-before' : 'reset-after';
    }
    // Drawn only when set, after `reset`, so runs that use only the older faults meet the same faults
    // for the same seed as before these two existed.
    if (resetBefore !== undefined && resetBefore > 0 && this.#random() < resetBefore) return 'reset-before';
    if (resetAfter !== undefined && resetAfter > 0 && this.#random() < resetAfter) return 'reset-after';
    return 'none';
  }

  /** Sliding one-second window: admits the call if fewer than `maxQps` were admitted in the last 1000 ms. */
  #admit(now: number, maxQps: number): boolean {
    const times = this.#admitted;
    while (this.#admittedHead < times.length && (times[this.#admittedHead] ?? 0) <= now - 1000) this.#admittedHead++;
    if (this.#admittedHead > 1024 && this.#admittedHead * 2 > times.length) {
      this.#admitted = times.slice(this.#admittedHead);
      this.#admittedHead = 0;
    }
    if (this.#admitted.length - this.#admittedHead >= maxQps) return false;
    this.#admitted.push(now);
    return true;
  }
}
