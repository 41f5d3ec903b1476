/** `describeParseProperties`: fast-check properties every plugin's `parse` must hold. */
import {
  type CancelKit,
  type CancellablePlugin,
  createCancelKit,
  type EmulatorCredential,
  emulatorClientSettings,
  isCancelKitError,
  type ServiceEmulation,
} from '@cancelkit/core';
import { DEMO_CREDENTIALS, type RunningEmulator, startEmulator } from '@cancelkit/emulator';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

function credentialOf(demo: typeof DEMO_CREDENTIALS): EmulatorCredential {
  return { accessKeyId: demo.accessKeyId, secret: demo.accessKeySecret, projectId: demo.projectId };
}

const HOSTILE_TEXT = ['', ' ', '\r\n', '\u0000', '../', '..', '.', '%2e%2e%2f', '..\\..\\', 'a\r\nX-Injected: 1', '\u202e', '\ufeff', '\u2028', '\u0085', '\u007f'];
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.constantFrom(...HOSTILE_TEXT),
  fc.string({ unit: fc.constantFrom('\r', '\n', '\u0000', '\t', '/', '\\', '.', '%', '@', 'a', '1', '-'), maxLength: 24 }),
  fc.tuple(fc.string({ maxLength: 8 }), loneSurrogate, fc.string({ maxLength: 8 })).map(([a, s, b]) => `${a}${s}${b}`),
  fc.constantFrom(10_000, 100_000, 1_000_000).map((n) => 'x'.repeat(n)),
);
const junk: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.bigInt(),
  fc.boolean(),
  fc.constantFrom(null, undefined, Number.NaN, Number.POSITIVE_INFINITY, Symbol('x')),
  fc.date(),
  fc.array(fc.anything(), { maxLength: 4 }),
  fc.anything({ maxDepth: 4, withNullPrototype: true, withMap: true, withSet: true, withTypedArray: true }),
);
const pollutionKey = fc.constantFrom('__proto__', 'constructor', 'prototype');

/** An own property even for `__proto__`, as JSON.parse creates it. */
function withOwnKey(base: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...base };
  Object.defineProperty(copy, key, { value, enumerable: true, configurable: true, writable: true });
  return copy;
}

export interface ParsePropertiesOptions {
  /** The plugin's emulation: what parse refuses is sent through a kit to prove nothing reaches it. */
  emulation: ServiceEmulation;
  /** One valid params object; hostile inputs are built around it. */
  valid: Record<string, unknown>;
  /**
   * Base property runs of the first check (default 400; the others run half and three eighths of it).
   * Every count is multiplied by `RELIABILITY_SCALE` (see `propertyRuns`).
   */
  runs?: number;
}

/**
 * `RELIABILITY_SCALE` from the environment, read as the reliability suite reads it: unset or empty is 1;
 * anything but a positive number (`0`, `-1`, `ten`) is refused with a RangeError naming the value.
 */
export function reliabilityScale(raw: string | undefined = process.env.RELIABILITY_SCALE): number {
  if (raw === undefined || raw.trim() === '') return 1;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`RELIABILITY_SCALE must be a positive number such as 1 or 10, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** fast-check runs for a check: `base` × RELIABILITY_SCALE, rounded, at least 1. */
export function propertyRuns(base: number, scale: number = reliabilityScale()): number {
  return Math.max(1, Math.round(base * scale));
}

/**
 * Property-based checks of a plugin's `parse` (fast-check): random and hostile inputs — huge strings,
 * control characters, CRLF, NUL, `../`, lone surrogates, prototype-pollution keys, wrong types, nested
 * junk — only ever give a value or an InvalidInput naming a field; nothing else is thrown, nothing is
 * polluted, and what parse refuses never reaches the cloud (the emulator's request log stays empty).
 * Run counts (400 / 200 / 150 by default) scale with `RELIABILITY_SCALE`, like the reliability suite's:
 * `RELIABILITY_SCALE=10 npx vitest run` runs ten times as many. Call at the top level of a vitest file.
 */
export function describeParseProperties(plugin: CancellablePlugin<unknown>, options: ParsePropertiesOptions): void {
  // Read once, here: a bad RELIABILITY_SCALE fails the test file at once, naming the value.
  const scale = reliabilityScale();
  const base = options.runs ?? 400;
  const runs = {
    hostile: propertyRuns(base, scale),
    control: propertyRuns(base / 2, scale),
    refused: propertyRuns((base * 3) / 8, scale),
  };
  // Time grows with the runs: vitest's default timeout is sized for scale 1.
  const timeout = Math.round(30_000 * Math.max(1, scale));
  const VALID = options.valid;
  const keys = Object.keys(VALID);
  const hostileParams: fc.Arbitrary<unknown> = fc.oneof(
    junk,
    fc.constantFrom(...keys).chain((key) => junk.map((value) => ({ ...VALID, [key]: value }))),
    fc.constantFrom(...keys).map((key) => Object.fromEntries(Object.entries(VALID).filter(([k]) => k !== key))),
    fc.tuple(fc.oneof(pollutionKey, fc.string({ maxLength: 12 })), junk).map(([key, value]) => withOwnKey(VALID, key, value)),
    fc.tuple(fc.constantFrom(...keys), pollutionKey).map(([key, bad]) => ({ ...VALID, [key]: withOwnKey({}, bad, { polluted: 'yes' }) })),
    fc.jsonValue().map((value) => JSON.parse(JSON.stringify(value)) as unknown),
  );

  /** Parse, and classify the result; any other throwable fails the property. */
  function outcome(input: unknown): { ok: true; value: unknown } | { ok: false; fields: string[] } {
    try {
      return { ok: true, value: plugin.parse(input) };
    } catch (error) {
      if (!isCancelKitError(error) || error.code !== 'InvalidInput') {
        throw new Error(`parse threw something other than InvalidInput: ${String((error as Error)?.name)} ${String((error as Error)?.message).slice(0, 200)}`);
      }
      expect(error.issues.length).toBeGreaterThan(0);
      for (const issue of error.issues) {
        expect(typeof issue.field).toBe('string');
        expect(issue.message.length).toBeGreaterThan(0);
      }
      return { ok: false, fields: error.issues.map((i) => i.field) };
    }
  }

  /** Every string inside a parsed value (its params are plain JSON-like data). */
  function stringsIn(value: unknown): string[] {
    if (typeof value === 'string') return [value];
    if (typeof value !== 'object' || value === null) return [];
    return Object.values(value).flatMap(stringsIn);
  }

  let emulator: RunningEmulator;
  let kit: CancelKit;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, emulations: [options.emulation] });
    const { providers } = emulatorClientSettings([options.emulation], credentialOf(DEMO_CREDENTIALS));
    kit = createCancelKit({
      plugins: [plugin],
      config: { endpoints: { '*': emulator.url }, providers, env: {}, homeDir: '/nonexistent-property-home', retry: { maxAttempts: 1 } },
    });
  });
  afterAll(async () => {
    await kit.close();
    await emulator.stop();
  });

  describe(`${plugin.manifest.id} parse properties`, () => {
    it('hostile input gives a value or an InvalidInput naming a field, never another error', { timeout }, () => {
      fc.assert(
        fc.property(hostileParams, (input) => {
          const result = outcome(input);
          if (result.ok) {
            // Whatever parse accepts is a fixed point and names its targets as non-empty strings.
            expect(plugin.parse(result.value)).toEqual(result.value);
            for (const target of plugin.targets(result.value)) expect(target.length).toBeGreaterThan(0);
          }
        }),
        { numRuns: runs.hostile },
      );
      expect(Object.keys(Object.prototype)).toEqual([]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('a control character, CR/LF or NUL anywhere in a string param is refused naming that param, or never survives parse', { timeout }, () => {
      const stringKeys = keys.filter((k) => typeof VALID[k] === 'string');
      fc.assert(
        fc.property(
          fc.constantFrom(...stringKeys),
          fc.constantFrom('\r', '\n', '\r\n', '\u0000', '\u0007', '\u001b', '\u007f', '\u0085'),
          fc.nat(),
          (key, bad, at) => {
            const value = String(VALID[key]);
            const cut = at % (value.length + 1);
            const result = outcome({ ...VALID, [key]: `${value.slice(0, cut)}${bad}${value.slice(cut)}` });
            // Leading/trailing whitespace (CR, LF) may be trimmed away; a control character never reaches a request.
            if (result.ok) for (const text of stringsIn(result.value)) expect(text).not.toMatch(/\p{Cc}/u);
            else expect(result.fields.some((f) => f === key || f.startsWith(`${key}.`))).toBe(true);
          },
        ),
        { numRuns: runs.control },
      );
    });

    it('what parse refuses never reaches the cloud: kit.cancel rejects with InvalidInput and no request is sent', { timeout }, async () => {
      emulator.reset();
      await fc.assert(
        fc.asyncProperty(hostileParams, async (input) => {
          if (outcome(input).ok) return;
          const error = await kit.cancel(plugin.manifest.id, input).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(isCancelKitError(error) && error.code === 'InvalidInput').toBe(true);
        }),
        { numRuns: runs.refused },
      );
      expect(emulator.requests()).toEqual([]);
    });
  });
}
