/**
 * Sizes and seeds. Every size in this package is a CI-sized default multiplied by `RELIABILITY_SCALE`
 * (e.g. `RELIABILITY_SCALE=10` runs the 2,000-target matrix the issue asks for). `RELIABILITY_SEED` replays
 * a run: every test prints the seed it used when it fails.
 */

function readScale(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 1;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`RELIABILITY_SCALE must be a positive number such as 1 or 10, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function readSeed(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '' || raw.trim() === 'random') return Math.floor(Math.random() * 0x7fffffff);
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new RangeError(`RELIABILITY_SEED must be an integer, got ${JSON.stringify(raw)}`);
  return value;
}

export const SCALE = readScale(process.env.RELIABILITY_SCALE);
export const BASE_SEED = readSeed(process.env.RELIABILITY_SEED);

/** `base` × RELIABILITY_SCALE, at least `min`. */
export function scaled(base: number, min = 1): number {
  return Math.max(min, Math.round(base * SCALE));
}

/** A per-test seed derived from the run's seed, so two tests never share a fault sequence. */
export function seedFor(label: string): number {
  let hash = BASE_SEED >>> 0;
  for (let i = 0; i < label.length; i++) hash = Math.imul(hash ^ label.charCodeAt(i), 0x9e3779b1) >>> 0;
  return hash & 0x7fffffff;
}

/** Text to append to assertion messages so a failure names the seed that reproduces it. */
export function replayHint(seed: number): string {
  return `(fault seed ${seed}; replay with RELIABILITY_SEED=${BASE_SEED} RELIABILITY_SCALE=${SCALE})`;
}

/** mulberry32: a tiny seeded PRNG for the test's own choices (which targets, where to kill). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
