/**
 * `@cancelkit/testing/property-inputs`: hostile input for property tests (huge strings, control characters,
 * CR/LF, NUL, `../`, lone surrogates, prototype-pollution keys, wrong types), the check that a refusal is
 * an InvalidInput naming its fields without a secret, and the knobs the reliability suite uses:
 * `RELIABILITY_SCALE` multiplies every numRuns (default 1), `RELIABILITY_SEED` replays a run (fast-check
 * prints the seed of a failure). Shared by both provider packages' signer and client properties.
 */
import { type CancelKitError, isCancelKitError } from '@cancelkit/core/plugin';
import fc from 'fast-check';
import { expect } from 'vitest';

function readScale(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 1;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`RELIABILITY_SCALE must be a positive number such as 1 or 10, got ${JSON.stringify(raw)}`);
  return value;
}

function readSeed(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '' || raw.trim() === 'random') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new RangeError(`RELIABILITY_SEED must be an integer, got ${JSON.stringify(raw)}`);
  return value;
}

export const SCALE = readScale(process.env.RELIABILITY_SCALE);
const SEED = readSeed(process.env.RELIABILITY_SEED);

/** A vitest timeout for a property test, grown with RELIABILITY_SCALE. */
export const PROPERTY_TIMEOUT_MS = Math.round(30_000 * Math.max(1, SCALE));

/** fast-check parameters: `base` runs × RELIABILITY_SCALE (at least 10), seeded per test when RELIABILITY_SEED is set. */
export function runs(base: number, label: string): { numRuns: number; seed?: number } {
  const numRuns = Math.max(10, Math.round(base * SCALE));
  if (SEED === undefined) return { numRuns };
  let hash = SEED >>> 0;
  for (let i = 0; i < label.length; i++) hash = Math.imul(hash ^ label.charCodeAt(i), 0x9e3779b1) >>> 0;
  return { numRuns, seed: hash & 0x7fffffff };
}

export const HOSTILE_TEXT = [
  '',
  ' ',
  '\t',
  '\r\n',
  '\n',
  '\r',
  '\u0000',
  'a\u0000b',
  'a\r\nX-Injected: 1',
  '../',
  '..',
  '.',
  '../../admin',
  '%2e%2e',
  '%2E.',
  '..\\..\\',
  '%',
  '%zz',
  '%0d%0a',
  '\u202e',
  '\ufeff',
  '\u2028',
  '\u0085',
  '\u007f',
  '__proto__',
  'constructor',
  'prototype',
  'é',
  '中文',
  '😀',
  '\ud800',
  '\udfff',
  'a\udc00b',
  'a,b;c:d=e',
];

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const hostileUnit = fc.constantFrom('\r', '\n', '\u0000', '\t', '/', '\\', '.', '%', '@', ' ', ',', ';', ':', '=', '?', '#', 'a', '1', '-', 'é', '\u0085', '\u202e', '\ud800');

/** Any string, weighted towards what breaks signers and parsers; now and then 20 KB to 1 MB long. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_TEXT) },
  { weight: 3, arbitrary: fc.string({ unit: hostileUnit, maxLength: 24 }) },
  { weight: 2, arbitrary: fc.tuple(fc.string({ maxLength: 8 }), loneSurrogate, fc.string({ maxLength: 8 })).map(([a, s, b]) => `${a}${s}${b}`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(20_000, 100_000, 1_000_000), fc.constantFrom('x', 'é', '\n', '/')).map(([n, c]) => c.repeat(n)) },
);

/** Anything a caller from plain JavaScript might pass where a string belongs. */
export const junk: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.bigInt()) },
  { weight: 1, arbitrary: fc.constantFrom(null, undefined, Number.NaN, Number.POSITIVE_INFINITY, Symbol('x')) },
  { weight: 1, arbitrary: fc.oneof(fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }), fc.object({ maxDepth: 1 }), fc.uint8Array({ maxLength: 8 })) },
);

export const pollutionKey = fc.constantFrom('__proto__', 'constructor', 'prototype', '__PROTO__', 'Constructor');

/** A copy with an own property `key`, even for `__proto__` (as JSON.parse creates it). */
export function withOwnKey(base: Readonly<Record<string, unknown>>, key: string, value: unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...base };
  Object.defineProperty(copy, key, { value, enumerable: true, configurable: true, writable: true });
  return copy;
}

/** Hostile name → value maps around a valid one: pollution keys, hostile names and values, and non-records. */
export function hostileRecord(valid: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.tuple(valid, pollutionKey, fc.oneof(hostileString, fc.constant('x'))).map(([base, key, value]) => withOwnKey(base, key, value)),
    fc.tuple(valid, hostileString, fc.string({ maxLength: 8 })).map(([base, key, value]) => withOwnKey(base, key, value)),
    fc.tuple(valid, fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/), junk).map(([base, key, value]) => withOwnKey(base, key, value)),
    fc.dictionary(hostileString, junk, { maxKeys: 4 }),
    fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.constant(null), fc.array(fc.string({ maxLength: 4 }), { minLength: 1, maxLength: 3 })),
  );
}

/** A distinctive marker to build secrets from: a message or header holding it holds (part of) the secret. */
export const secretMarker = fc.stringMatching(/^[0-9a-f]{16}$/).map((hex) => `K${hex}Z`);

/** A hostile secret, to be put around a marker (`withMarker`), or junk without one. */
export type SecretTemplate = { readonly text: string; readonly before: boolean } | { readonly junk: unknown };

/** Built once: making arbitraries per run (fc.chain) costs more than running the signer. */
export const hostileSecret: fc.Arbitrary<SecretTemplate> = fc.oneof(
  fc.tuple(hostileString, fc.boolean()).map(([text, before]) => ({ text, before })),
  junk.map((value) => ({ junk: value })),
);

export function withMarker(template: SecretTemplate, marker: string): unknown {
  if ('junk' in template) return template.junk;
  return template.before ? `${template.text}${marker}` : `${marker}${template.text}`;
}

export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: CancelKitError };

function describeThrown(error: unknown): string {
  const e = error as { name?: unknown; message?: unknown } | undefined;
  return `${String(e?.name)}: ${String(e?.message).slice(0, 300)}`;
}

/** Runs `fn`; anything thrown other than an InvalidInput fails the property. */
export function attempt<T>(fn: () => T): Outcome<T> {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    if (!isCancelKitError(error) || error.code !== 'InvalidInput') throw new Error(`threw something other than InvalidInput: ${describeThrown(error)}`);
    return { ok: false, error };
  }
}

/** The same for a promise. */
export async function attemptAsync<T>(fn: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    if (!isCancelKitError(error) || error.code !== 'InvalidInput') throw new Error(`rejected with something other than InvalidInput: ${describeThrown(error)}`);
    return { ok: false, error };
  }
}

/** The first part of a dotted field name: `headers.X-A` → `headers`. */
export function fieldRoot(field: string): string {
  const dot = field.indexOf('.');
  return dot === -1 ? field : field.slice(0, dot);
}

/**
 * A refusal as the taxonomy wants it: at least one issue, each naming a field `allowed` accepts, with a
 * message and a fix, every field named in the message, and no secret marker anywhere in it.
 */
export function expectNamedRefusal(error: CancelKitError, allowed: (root: string) => boolean, markers: readonly string[]): void {
  expect(error.issues.length).toBeGreaterThan(0);
  for (const issue of error.issues) {
    expect(allowed(fieldRoot(issue.field)), `unexpected field ${JSON.stringify(issue.field)} in: ${error.message.slice(0, 300)}`).toBe(true);
    expect(issue.message.length).toBeGreaterThan(0);
    expect(issue.hint?.length ?? 0).toBeGreaterThan(0);
    expect(error.message).toContain(issue.field);
  }
  expect(error.message.length).toBeLessThan(20_000);
  const everything = `${error.message}\n${JSON.stringify(error)}\n${JSON.stringify(error.issues)}`;
  for (const marker of markers) expect(everything).not.toContain(marker);
}

/** Object.prototype is untouched. */
export function expectNoPollution(): void {
  expect(Object.keys(Object.prototype)).toEqual([]);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(typeof ({} as { constructor: unknown }).constructor).toBe('function');
}
