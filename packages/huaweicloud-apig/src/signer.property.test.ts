/**
 * Hostile input to the signers (fast-check): `signSdkHmacSha256`, `signDerivedHmacSha256` (V11) and
 * `canonicalRequestOf`. Whatever the method, URL (path segments, query), header names and values
 * (X-Security-Token and X-Sdk-Date among them), body, AK, SK or date, a signer either returns a signature
 * this package's own verifier accepts, or throws an InvalidInput whose issues name the bad field (and only
 * fields that are bad) with a fix, and that never holds the SK. Nothing else is ever thrown and no
 * prototype is touched. Runs scale with RELIABILITY_SCALE.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rfc3986Encode } from './encoding.js';
import { canonicalRequestOf, formatSdkDate, parseSdkDate, signDerivedHmacSha256, signSdkHmacSha256 } from './signer.js';
import {
  attempt,
  expectNamedRefusal,
  expectNoPollution,
  hostileRecord,
  hostileSecret,
  hostileString,
  junk,
  PROPERTY_TIMEOUT_MS,
  runs,
  type SecretTemplate,
  secretMarker,
  withMarker,
} from '@cancelkit/testing/property-inputs';
import { type ReceivedRequest, verifySdkHmacSha256 } from './verifier.js';

// ------------------------------------------------------------------------------------ valid inputs

const method = fc.constantFrom('GET', 'DELETE', 'POST', 'PUT', 'PATCH', 'get');
const origin = fc.constantFrom('https://dds.cn-north-4.myhuaweicloud.com', 'http://127.0.0.1:8787', 'https://[::1]:8443');
/** Raw ids: any well-formed text but dot segments, each encoded once (as callApig does). */
const segment = fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }).filter((s) => s !== '.' && s !== '..');
const queryText = fc.string({ unit: 'binary', maxLength: 20 });
const url = fc
  .record({
    origin,
    segments: fc.array(segment, { maxLength: 4 }),
    query: fc.array(fc.tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }), queryText), { maxLength: 4 }),
    asObject: fc.boolean(),
  })
  .map(({ origin: o, segments, query, asObject }) => {
    const search = query.map(([k, v]) => `${rfc3986Encode(k)}=${rfc3986Encode(v)}`).join('&');
    const text = `${o}/${segments.map(rfc3986Encode).join('/')}${search ? `?${search}` : ''}`;
    return asObject ? new URL(text) : text;
  });
const headerName = fc
  .oneof(fc.stringMatching(/^[a-z][a-z0-9-]{0,14}$/), fc.constantFrom('content-type', 'x-project-id', 'x-security-token', 'x-sdk-content-sha256', 'host'))
  .filter((n) => !['authorization', 'x-sdk-date', 'constructor', 'prototype'].includes(n));
const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,30}$/);
const headers = fc.dictionary(headerName, headerValue, { maxKeys: 4 });
const body = fc.option(fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), fc.uint8Array({ maxLength: 60 })), { nil: undefined });
const ak = fc.oneof(fc.stringMatching(/^[A-Z0-9]{20}$/), fc.stringMatching(/^HST\.[A-Za-z0-9]{8,16}$/));
const time = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 0, 1) });
const date = fc.option(fc.oneof(time, time.map((ms) => formatSdkDate(ms))), { nil: undefined });
const scope = fc.stringMatching(/^[a-z][a-z0-9-]{1,15}$/);

// ---------------------------------------------------------------------------------- hostile inputs

const hostileMethod = fc.oneof(junk, fc.constantFrom('GET\r\n', 'G ET', 'GET/', 'ÄGET', 'DELETE\u0000'));
const hostileUrl = fc.oneof(
  junk,
  fc.constantFrom(
    'not a url',
    '/relative/path',
    '//dds.example.com/x',
    'javascript:alert(1)',
    'file:///etc/passwd',
    'ftp://h/x',
    'https://user:pw@h/x',
    'https://h/v3/../admin',
    'https://h/v3/%2e%2e/admin',
    'https://h/v3/.%2E/admin',
    'https://h/v3/./x',
    'https://h/a\r\nb',
    'https://h/a\tb',
    'https://h/a\\..\\b',
    'https://h/\ud800',
    ' https://h/x',
    `https://h/${'x'.repeat(20_000)}`,
    `https://h/?q=${'y'.repeat(20_000)}`,
  ),
  fc.constantFrom('ftp://h/x', 'https://user:pw@h/x', 'file:///etc/passwd').map((text) => new URL(text)),
  fc.tuple(origin, hostileString, hostileString).map(([o, path, query]) => `${o}/${path}?${query}`),
);
const hostileHeaders = fc.oneof(
  hostileRecord(headers),
  fc.constantFrom({ Authorization: 'SDK-HMAC-SHA256 x' }, { 'X-Sdk-Date': '2026-01-01' }, { 'X-A': '1', 'x-a': '2' }, { 'x-a': 'é' }, { 'x-a\r\nx-b': '1' }),
);
const hostileDate = fc.oneof(junk, fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, 9e15, -9e15, Date.UTC(10_000, 0, 1), '20260230T000000Z', '2026-01-01', '20260101T000000Z\r\n'));
const hostileAk = fc.oneof(junk, fc.constantFrom('a,b', 'a b', 'a\r\n', 'é', 'x'.repeat(300)));

type Field = 'method' | 'url' | 'headers' | 'body' | 'ak' | 'sk' | 'date' | 'regionId' | 'serviceName';

interface Case {
  method: unknown;
  url: unknown;
  headers: unknown;
  body: unknown;
  ak: unknown;
  sk: unknown;
  date: unknown;
  regionId: unknown;
  serviceName: unknown;
}

const HOSTILE: Record<Field, fc.Arbitrary<unknown>> = {
  method: hostileMethod,
  url: hostileUrl,
  headers: hostileHeaders,
  body: fc.oneof(junk, fc.constantFrom('a\ud800b', 5, {}, [1, 2])),
  ak: hostileAk,
  sk: hostileSecret,
  date: hostileDate,
  regionId: fc.oneof(junk, fc.constantFrom('cn-north-4/x', 'cn north', '')),
  serviceName: fc.oneof(junk, fc.constantFrom('dds,x', 'd/s')),
};

const validCase = fc
  .record({
    mark: secretMarker,
    skPrefix: fc.stringMatching(/^[\x20-\x7e]{0,10}$/),
    fields: fc.record({ method, url, headers, body, ak, date, regionId: fc.oneof(fc.constantFrom('cn-north-4', 'eu-west-101'), scope), serviceName: fc.oneof(fc.constantFrom('dds', 'ecs'), scope) }),
  })
  .map(({ mark, skPrefix, fields }) => ({ mark, value: { ...fields, sk: `${skPrefix}${mark}` } as Case }));

interface Corrupted {
  readonly value: Case;
  readonly mark: string;
  readonly bad: readonly Field[];
  readonly v11: boolean;
}

/** One field, or each field with a chance of one in four, made hostile; built once, no per-run arbitraries. */
function corrupted(fields: readonly Field[], mixed: boolean, v11: boolean): fc.Arbitrary<Corrupted> {
  const apply = (valid: { value: Case; mark: string }, pairs: readonly (readonly [Field, unknown])[]): Corrupted => {
    const next = { ...valid.value } as unknown as Record<string, unknown>;
    for (const [field, value] of pairs) next[field] = field === 'sk' ? withMarker(value as SecretTemplate, valid.mark) : value;
    return { value: next as unknown as Case, mark: valid.mark, bad: pairs.map(([field]) => field), v11 };
  };
  if (!mixed) {
    const one = fc.oneof(...fields.map((field) => HOSTILE[field].map((value) => [field, value] as const)));
    return fc.tuple(validCase, one).map(([valid, pair]) => apply(valid, [pair]));
  }
  const NONE = Symbol('valid');
  const parts = fields.map((field) => fc.oneof({ weight: 3, arbitrary: fc.constant(NONE) }, { weight: 1, arbitrary: HOSTILE[field] }).map((value) => [field, value] as const));
  return fc.tuple(validCase, fc.tuple(...parts)).map(([valid, pairs]) => apply(valid, pairs.filter(([, value]) => value !== NONE)));
}

const SDK_FIELDS: readonly Field[] = ['method', 'url', 'headers', 'body', 'ak', 'sk', 'date'];
const V11_FIELDS: readonly Field[] = [...SDK_FIELDS, 'regionId', 'serviceName'];

// ----------------------------------------------------------------------------------------- helpers

/** The request a server receives for what was signed: lower-case names, host from the URL unless given. */
function received(c: Case, added: Record<string, string>): ReceivedRequest {
  const parsed = typeof c.url === 'string' ? new URL(c.url) : (c.url as URL);
  const lower: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...(c.headers as Record<string, string>), ...added })) lower[name.toLowerCase()] = value;
  lower.host ??= parsed.host;
  const data = c.body as string | Uint8Array | undefined;
  return {
    method: c.method as string,
    rawPath: parsed.pathname,
    rawQuery: parsed.search.slice(1),
    headers: lower,
    body: data === undefined ? new Uint8Array(0) : typeof data === 'string' ? Buffer.from(data, 'utf8') : data,
  };
}

/** When the request says it was signed (the verifier's window is checked against that). */
function signedAt(request: ReceivedRequest): number {
  return parseSdkDate(request.headers['x-sdk-date'] ?? '') ?? Date.now();
}

function check(c: Corrupted): void {
  const { value, mark, bad, v11 } = c;
  const request = { method: value.method, url: value.url, headers: value.headers, ...(value.body !== undefined ? { body: value.body } : {}) };
  const key = { ak: value.ak, sk: value.sk };
  const options = { ...(value.date !== undefined ? { date: value.date } : {}), ...(v11 ? { regionId: value.regionId, serviceName: value.serviceName } : {}) };
  const outcome = attempt(() => (v11 ? signDerivedHmacSha256(request as never, key as never, options as never) : signSdkHmacSha256(request as never, key as never, options as never)));
  if (!outcome.ok) {
    expectNamedRefusal(outcome.error, (root) => bad.includes(root as Field), [mark]);
    return;
  }
  const added = outcome.value;
  expect(JSON.stringify(added)).not.toContain(mark);
  const got = received(value, added);
  // A signed X-Security-Token makes the key a temporary one with that token.
  const token = got.headers['x-security-token'];
  const verdict = verifySdkHmacSha256(got, {
    now: signedAt(got),
    lookupKey: (id) => (id === value.ak ? { secret: value.sk as string, ...(token !== undefined ? { securityToken: token.trim() } : {}) } : undefined),
  });
  expect(verdict).toMatchObject({ ok: true, accessKeyId: value.ak, algorithm: v11 ? 'V11-HMAC-SHA256' : 'SDK-HMAC-SHA256' });
}

// ------------------------------------------------------------------------------------------- tests

describe('signSdkHmacSha256 and signDerivedHmacSha256 under hostile input', () => {
  it(
    'valid input always signs, and the signature verifies (both algorithms)',
    () => {
      fc.assert(
        fc.property(validCase, fc.boolean(), ({ value, mark }, v11) => check({ value, mark, bad: [], v11 })),
        runs(200, 'sdk-valid'),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'one hostile field: a verifying signature, or an InvalidInput naming only that field, with a fix and never the SK',
    () => {
      fc.assert(
        fc.property(fc.oneof(corrupted(SDK_FIELDS, false, false), corrupted(V11_FIELDS, false, true)), check),
        runs(400, 'sdk-one-field'),
      );
      expectNoPollution();
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'hostile values in any mix of fields: a verifying signature, or an InvalidInput naming bad fields only',
    () => {
      fc.assert(
        fc.property(fc.oneof(corrupted(SDK_FIELDS, true, false), corrupted(V11_FIELDS, true, true)), check),
        runs(300, 'sdk-mixed'),
      );
      expectNoPollution();
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'canonicalRequestOf gives a canonical request or an InvalidInput naming method, url, headers, body or date',
    () => {
      fc.assert(
        fc.property(corrupted(['method', 'url', 'headers', 'body', 'date'], true, false), ({ value, bad }) => {
          const outcome = attempt(() =>
            canonicalRequestOf({ method: value.method, url: value.url, headers: value.headers, body: value.body } as never, (value.date === undefined ? {} : { date: value.date }) as never),
          );
          if (outcome.ok) expect(outcome.value.split('\n').length).toBeGreaterThanOrEqual(6);
          else expectNamedRefusal(outcome.error, (root) => bad.includes(root as Field), []);
        }),
        runs(200, 'sdk-canonical'),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it('refuses each classic attack by name, never echoing the SK', () => {
    const key = { ak: 'AK0000000000000000001', sk: 'the-secret-key-value' };
    const base = { method: 'GET', url: 'https://dds.cn-north-4.myhuaweicloud.com/v3/p/jobs', headers: { 'content-type': 'application/json' } };
    const fields = (request: object, k: object = key, options: object = {}) => {
      const outcome = attempt(() => signSdkHmacSha256({ ...base, ...request } as never, k as never, options));
      if (outcome.ok) throw new Error('expected a refusal');
      expect(JSON.stringify(outcome.error)).not.toContain('the-secret-key-value');
      return outcome.error.issues.map((i) => i.field);
    };
    expect(fields({ headers: { 'x-a\r\nx-b': '1' } })).toEqual(['headers.x-a\\u000d\\u000ax-b']);
    expect(fields({ headers: JSON.parse('{"__proto__": "x"}') })).toEqual(['headers.__proto__']);
    expect(fields({ headers: { Authorization: 'x' } })).toEqual(['headers.Authorization']);
    expect(fields({ url: 'https://h/v3/../admin' })).toEqual(['url']);
    expect(fields({ url: 'https://h/v3/a\r\nb' })).toEqual(['url']);
    expect(fields({ url: 'https://u:p@h/v3' })).toEqual(['url']);
    expect(fields({ method: undefined, headers: undefined })).toEqual(['method', 'headers']);
    expect(fields({}, { ak: 'a,b\r\n', sk: 'the-secret-key-value\n' })).toEqual(['ak', 'sk']);
    expect(fields({}, key, { date: Number.NaN })).toEqual(['date']);
  });
});
