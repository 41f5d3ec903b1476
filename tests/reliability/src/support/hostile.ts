/**
 * fast-check arbitraries for hostile input: huge strings, control characters, CRLF, NUL, `../`, lone
 * surrogates, prototype-pollution keys, wrong types and nested junk.
 */
import fc from 'fast-check';

export const HOSTILE_TEXT: readonly string[] = [
  '',
  ' ',
  '\r\n',
  '\u0000',
  '../',
  '..',
  '.',
  '%2e%2e%2f',
  '..\\..\\',
  'a\r\nX-Injected: 1',
  '\u202e',
  '\ufeff',
  '\u2028',
  '\u0085',
  '\u007f',
  '{"__proto__":{"polluted":"yes"}}',
];

export const loneSurrogate: fc.Arbitrary<string> = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.constantFrom(...HOSTILE_TEXT),
  fc.string({ unit: fc.constantFrom('\r', '\n', '\u0000', '\t', '/', '\\', '.', '%', '@', 'a', '1', '-'), maxLength: 24 }),
  fc.tuple(fc.string({ maxLength: 8 }), loneSurrogate, fc.string({ maxLength: 8 })).map(([a, s, b]) => `${a}${s}${b}`),
  fc.constantFrom(10_000, 100_000, 1_000_000).map((n) => 'x'.repeat(n)),
);

/** Any value of a wrong type, including ones JSON cannot carry (the library API takes `unknown`). */
export const junk: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.bigInt(),
  fc.boolean(),
  fc.constantFrom(null, undefined, Number.NaN, Number.POSITIVE_INFINITY),
  fc.date(),
  fc.array(fc.anything(), { maxLength: 4 }),
  fc.anything({ maxDepth: 4, withNullPrototype: true, withMap: true, withSet: true, withTypedArray: true }),
);

export const pollutionKey: fc.Arbitrary<string> = fc.constantFrom('__proto__', 'constructor', 'prototype');

/** An own property even for `__proto__`, as JSON.parse creates it. */
export function withOwnKey(base: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...base };
  Object.defineProperty(copy, key, { value, enumerable: true, configurable: true, writable: true });
  return copy;
}

/** Hostile variations of one valid params object. */
export function hostileParams(valid: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(valid);
  return fc.oneof(
    junk,
    fc.constantFrom(...keys).chain((key) => junk.map((value) => ({ ...valid, [key]: value }))),
    fc.constantFrom(...keys).map((key) => Object.fromEntries(Object.entries(valid).filter(([k]) => k !== key))),
    fc.tuple(fc.oneof(pollutionKey, fc.string({ maxLength: 12 })), junk).map(([key, value]) => withOwnKey(valid, key, value)),
    fc.tuple(fc.constantFrom(...keys), pollutionKey).map(([key, bad]) => ({ ...valid, [key]: withOwnKey({}, bad, { polluted: 'yes' }) })),
    fc.jsonValue().map((value) => JSON.parse(JSON.stringify(value)) as unknown),
  );
}

/** One valid params object per plugin, the base the hostile variations start from. */
export const VALID_PARAMS: Readonly<Record<string, Record<string, unknown>>> = {
  'alibaba.ecs.task': { regionId: 'cn-hangzhou', taskId: 't-bp198jigq7l0h5ac1234' },
  'alibaba.tair.ops-event': { ids: '1508850,1508310', regionId: 'cn-hangzhou' },
  'alibaba.oos.execution': { regionId: 'cn-hangzhou', executionId: 'exec-8a2aaf460fdf47c6b5ef' },
  'alibaba.opensearch.fsm-task': { regionId: 'cn-hangzhou', instanceId: 'ha-cn-7mz2nx41h01', fsmId: 'tisplus_opensearch@datasource_flow_fsm@1@MANUAL' },
  'huaweicloud.dds.scheduled-job': { region: 'cn-north-4', jobId: '3861199d-c196-4791-bcd0-b45fde754f50' },
};
