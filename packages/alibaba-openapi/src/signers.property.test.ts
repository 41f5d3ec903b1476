/**
 * Hostile input to every signing entry point (fast-check): `signAcs3`, `signRpcV1Params`,
 * `signRoaV1Request`, and the primitives `signRpcV1` / `signRoaV1`. Whatever the method, host, path, query
 * names and values, header names and values, body, AccessKey id, secret, STS token, date or nonce, a
 * signer either returns a signature this package's own verifier accepts, or throws an InvalidInput whose
 * issues name the bad field (and only fields that are bad) with a fix, and that holds no secret. Nothing
 * else is ever thrown and no prototype is touched. Runs scale with RELIABILITY_SCALE.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoSeconds, signAcs3, verifyAcs3 } from './acs3.js';
import { buildPath, percentEncode } from './encoding.js';
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
import { signRoaV1, signRoaV1Request, signRpcV1, signRpcV1Params, verifyRoaV1, verifyRpcV1 } from './v1.js';
import { parseHttpDate, parseIsoSeconds, type ReceivedRequest, type VerifyContext } from './verdict.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');

// ------------------------------------------------------------------------------------ valid inputs

const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'get', 'Patch');
const host = fc.constantFrom('ecs.cn-hangzhou.aliyuncs.com', '127.0.0.1:8787', '[::1]:8080', 'h', 'searchengine.cn-hangzhou.aliyuncs.com');
/** Raw ids as plugins pass them: any well-formed text but dot segments. */
const segment = fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).filter((s) => s !== '.' && s !== '..');
const path = fc.oneof(fc.constant('/'), fc.array(segment, { minLength: 1, maxLength: 4 }).map((segments) => buildPath(segments)));
const queryName = fc.oneof(fc.stringMatching(/^[A-Za-z][A-Za-z0-9._-]{0,15}$/), fc.string({ unit: 'binary', minLength: 1, maxLength: 12 })).filter(
  (n) => !['__proto__', 'constructor', 'prototype'].includes(n),
);
const queryValue = fc.string({ unit: 'binary', maxLength: 40 });
const query = fc.dictionary(queryName, queryValue, { maxKeys: 5 });
/** Lower-case names only: two spellings of one name are refused (a duplicate), which is not this field's fault. */
const headerName = fc.oneof(fc.stringMatching(/^x-acs-[a-z0-9-]{1,12}$/), fc.stringMatching(/^[a-z][a-z0-9-]{0,14}$/), fc.constantFrom('content-type', 'accept', 'user-agent'));
const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,30}$/);
const headers = fc.dictionary(headerName, headerValue, { maxKeys: 3 }).filter((h) => !Object.keys(h).some((n) => ['constructor', 'prototype', '__proto__'].includes(n)));
const body = fc.option(fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), fc.uint8Array({ maxLength: 60 })), { nil: undefined });
const action = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,20}$/);
const version = fc.constantFrom('2014-05-26', '2021-10-25', '2019-06-01', 'v');
const accessKeyId = fc.oneof(fc.stringMatching(/^[A-Za-z0-9]{8,30}$/), fc.stringMatching(/^STS\.[A-Za-z0-9]{8,20}$/));
const isoDate = fc.option(
  fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 0, 1) }).map((ms) => isoSeconds(ms)),
  { nil: undefined },
);
const httpDate = fc.option(
  fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 0, 1) }).map((ms) => new Date(ms).toUTCString()),
  { nil: undefined },
);
const nonce = fc.option(fc.stringMatching(/^[!-~]{1,40}$/), { nil: undefined });

// ---------------------------------------------------------------------------------- hostile inputs

const hostileMethod = fc.oneof(junk, fc.constantFrom('GET\r\n', 'G ET', 'GET/', 'ÄGET', 'GET\u0000', 'M-SEARCH'));
const hostileHost = fc.oneof(junk, fc.constantFrom('h\r\nX: 1', 'evil.com/path', 'a b', 'user@h', 'h:99999999', '[::1', 'é.com', 'h#x'));
const hostilePath = fc.oneof(
  junk,
  fc.constantFrom('/a/../b', '/%2e%2e/x', '/x/%2E', '/.', '/a b', '/a?b', '/a#b', 'a/b', '/%zz', '/%4', '/é', '/a\\b', '/a\r\nb', `/${'a'.repeat(9000)}`),
);
const hostileDate = fc.oneof(junk, fc.constantFrom('2026-02-30T00:00:00Z', 'Mon, 01 Jun 2026 12:00:00 GMT', '2026-01-01T00:00:00Z\r\n', '2026-01-01'));
const hostileHttpDate = fc.oneof(junk, fc.constantFrom('2026-06-01T12:00:00Z', 'Mon, 01 Jun 2026 12:00:00 GMT\r\nX: 1', 'not a date GMT', 'Mon, 01 Jun 2026 12:00:00'));
const hostileAccessKeyId = fc.oneof(junk, fc.constantFrom('a,b', 'a:b', 'a;b', 'a=b', 'a b', 'a\r\n', 'é', 'x'.repeat(300)));

// ----------------------------------------------------------------------------------------- helpers

function queryString(query: Readonly<Record<string, string>>): string {
  return Object.keys(query)
    .map((k) => `${percentEncode(k)}=${percentEncode(query[k] as string)}`)
    .join('&');
}

function bytesOf(body: string | Uint8Array | undefined): Uint8Array {
  return body === undefined ? new Uint8Array(0) : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

/** A verifier that knows exactly the given key (and its STS token), at time `now`. */
function verifyContext(now: number, id: string, secret: string, token: string | undefined): VerifyContext {
  return {
    now,
    lookupKey: (asked) => (asked === id ? { secret, ...(token ? { securityToken: token } : {}) } : undefined),
    useNonce: () => true,
  };
}

interface Case {
  method: unknown;
  host: unknown;
  path: unknown;
  query: unknown;
  headers: unknown;
  body: unknown;
  action: unknown;
  version: unknown;
  accessKeyId: unknown;
  accessKeySecret: unknown;
  securityToken: unknown;
  date: unknown;
  nonce: unknown;
}
type Field = keyof Case;

/** A valid case, with its secret and token built around markers that must never show up in an error. */
const validCase = fc
  .record({
    secretMark: secretMarker,
    tokenMark: secretMarker,
    withToken: fc.boolean(),
    secretPrefix: fc.stringMatching(/^[\x20-\x7e]{0,10}$/),
    fields: fc.record({ method, host, path, query, headers, body, action, version, accessKeyId, date: isoDate, nonce }),
  })
  .map(({ secretMark, tokenMark, withToken, secretPrefix, fields }) => ({
    markers: [secretMark, tokenMark] as const,
    value: {
      ...fields,
      accessKeySecret: `${secretPrefix}${secretMark}`,
      securityToken: withToken ? `STS.${tokenMark}/+=` : undefined,
    } as Case,
  }));

/** For each field, hostile values (built once). Secrets and tokens are templates, put around their markers later. */
function hostileFor(field: Field, acs3: boolean): fc.Arbitrary<unknown> {
  switch (field) {
    case 'method':
      return hostileMethod;
    case 'host':
      return hostileHost;
    case 'path':
      return hostilePath;
    case 'query':
      return hostileRecord(query);
    case 'headers':
      return hostileRecord(headers);
    case 'body':
      return fc.oneof(junk, fc.constantFrom('a\ud800b', 5, {}, [1, 2]));
    case 'action':
    case 'version':
      return fc.oneof(junk, fc.constantFrom('A\r\nB', '', '   ', 'é'));
    case 'accessKeyId':
      return hostileAccessKeyId;
    case 'accessKeySecret':
    case 'securityToken':
      return hostileSecret;
    case 'date':
      return acs3 ? hostileDate : hostileHttpDate;
    case 'nonce':
      return fc.oneof(junk, fc.constantFrom('n\n', ' n', 'x'.repeat(200)));
  }
}

const ACS3_FIELDS: readonly Field[] = ['method', 'host', 'path', 'query', 'headers', 'body', 'action', 'version', 'accessKeyId', 'accessKeySecret', 'securityToken', 'date', 'nonce'];

interface Corrupted {
  readonly value: Case;
  readonly markers: readonly string[];
  readonly bad: readonly Field[];
}

/** Puts hostile values into a valid case; a hostile secret or token goes around its marker. */
function corrupt(valid: { value: Case; markers: readonly string[] }, hostile: readonly (readonly [Field, unknown])[]): Corrupted {
  const next = { ...valid.value } as unknown as Record<string, unknown>;
  for (const [field, value] of hostile) {
    next[field] =
      field === 'accessKeySecret' ? withMarker(value as SecretTemplate, valid.markers[0] as string) : field === 'securityToken' ? withMarker(value as SecretTemplate, valid.markers[1] as string) : value;
  }
  return { value: next as unknown as Case, markers: valid.markers, bad: hostile.map(([field]) => field) };
}

/** One field (or, mixed, each field with a chance of one in four) replaced by a hostile value. */
function corrupted(fields: readonly Field[], acs3: boolean, mixed: boolean): fc.Arbitrary<Corrupted> {
  if (!mixed) {
    const one = fc.oneof(...fields.map((field) => hostileFor(field, acs3).map((value) => [field, value] as const)));
    return fc.tuple(validCase, one).map(([valid, pair]) => corrupt(valid, [pair]));
  }
  const NONE = Symbol('valid');
  const parts = fields.map((field) =>
    fc.oneof({ weight: 3, arbitrary: fc.constant(NONE) }, { weight: 1, arbitrary: hostileFor(field, acs3) }).map((value) => [field, value] as const),
  );
  return fc.tuple(validCase, fc.tuple(...parts)).map(([valid, pairs]) => corrupt(valid, pairs.filter(([, value]) => value !== NONE)));
}

function credentialsOf(c: Case): Record<string, unknown> {
  return { accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, ...(c.securityToken !== undefined ? { securityToken: c.securityToken } : {}) };
}

function optionsOf(c: Case, dateName: 'date' | 'timestamp'): Record<string, unknown> {
  return { ...(c.date !== undefined ? { [dateName]: c.date } : {}), ...(c.nonce !== undefined ? { nonce: c.nonce } : {}) };
}

/** The markers of secrets, and that the secret's marker never shows in what a signer returns. */
function expectNoMarkers(value: unknown, markers: readonly string[]): void {
  const text = JSON.stringify(value);
  expect(text).not.toContain(markers[0]);
}

// -------------------------------------------------------------------------------------------- ACS3

function checkAcs3(c: Case, markers: readonly string[], bad: readonly Field[]): void {
  const outcome = attempt(() =>
    signAcs3(
      {
        method: c.method,
        host: c.host,
        path: c.path,
        query: c.query,
        headers: c.headers,
        body: c.body,
        action: c.action,
        version: c.version,
      } as never,
      credentialsOf(c) as never,
      optionsOf(c, 'date') as never,
    ),
  );
  if (!outcome.ok) {
    expectNamedRefusal(outcome.error, (root) => bad.includes(root as Field), markers);
    return;
  }
  const headers = outcome.value;
  expectNoMarkers(headers, markers);
  const request: ReceivedRequest = {
    method: c.method as string,
    rawPath: c.path as string,
    rawQuery: queryString((c.query ?? {}) as Record<string, string>),
    headers,
    body: bytesOf(c.body as string | Uint8Array | undefined),
  };
  const now = c.date === undefined ? Date.now() : (parseIsoSeconds(c.date as string) as number);
  const verdict = verifyAcs3(request, verifyContext(now, c.accessKeyId as string, c.accessKeySecret as string, c.securityToken as string | undefined));
  expect(verdict).toEqual({ ok: true, scheme: 'ACS3-HMAC-SHA256', accessKeyId: c.accessKeyId });
}

describe('signAcs3 under hostile input', () => {
  it('valid input always signs, and the signature verifies', () => {
    fc.assert(
      fc.property(validCase, ({ value, markers }) => checkAcs3(value, markers, [])),
      runs(200, 'acs3-valid'),
    );
  }, PROPERTY_TIMEOUT_MS);

  it('one hostile field: a verifying signature, or an InvalidInput naming only that field, with a fix and no secret', () => {
    fc.assert(
      fc.property(corrupted(ACS3_FIELDS, true, false), ({ value, markers, bad }) => checkAcs3(value, markers, bad)),
      runs(400, 'acs3-one-field'),
    );
    expectNoPollution();
  }, PROPERTY_TIMEOUT_MS);

  it('hostile values in any mix of fields: a verifying signature, or an InvalidInput naming bad fields only', () => {
    fc.assert(
      fc.property(corrupted(ACS3_FIELDS, true, true), ({ value, markers, bad }) => checkAcs3(value, markers, bad)),
      runs(300, 'acs3-mixed'),
    );
    expectNoPollution();
  }, PROPERTY_TIMEOUT_MS);

  it('refuses each classic attack by name', () => {
    const base = { method: 'POST', host: 'h', path: '/', action: 'A', version: '2020-01-01' };
    const key = { accessKeyId: 'ak', accessKeySecret: 'the-secret-value' };
    const refusal = (request: object, credentials: object = key, options: object = {}) => {
      const outcome = attempt(() => signAcs3({ ...base, ...request } as never, credentials as never, options));
      if (outcome.ok) throw new Error('expected a refusal');
      expect(JSON.stringify(outcome.error)).not.toContain('the-secret-value');
      return outcome.error.issues.map((i) => i.field);
    };
    expect(refusal({ headers: { 'x-a\r\nx-b': 'v' } })).toEqual(['headers.x-a\\u000d\\u000ax-b']);
    expect(refusal({ headers: JSON.parse('{"__proto__": "x"}') })).toEqual(['headers.__proto__']);
    expect(refusal({ headers: { Constructor: 'x' } })).toEqual(['headers.Constructor']);
    expect(refusal({ headers: { 'X-Acs-A': '1', 'x-acs-a': '2' } })).toEqual(['headers.x-acs-a']);
    expect(refusal({ headers: { 'x-acs-a': 'é' } })).toEqual(['headers.x-acs-a']);
    expect(refusal({ query: { a: '\ud800' } })).toEqual(['query.a']);
    expect(refusal({ query: JSON.parse('{"__proto__": "x"}') })).toEqual(['query.__proto__']);
    expect(refusal({ path: '/a/../b' })).toEqual(['path']);
    expect(refusal({ path: '/x/%2E%2e' })).toEqual(['path']);
    expect(refusal({ method: undefined, body: 5 })).toEqual(['method', 'body']);
    expect(refusal({}, { accessKeyId: 'a\r\nX: 1', accessKeySecret: 'the-secret-value\n' })).toEqual(['accessKeyId', 'accessKeySecret']);
    expect(refusal({}, key, { date: '../' })).toEqual(['date']);
    expect(refusal({ query: { a: 'x'.repeat(9_000), b: 'y'.repeat(9_000) } })).toEqual(['query']);
  });
});

// ------------------------------------------------------------------------------------------ RPC V1

const RPC_FIELDS: readonly Field[] = ['method', 'query', 'accessKeyId', 'accessKeySecret', 'securityToken', 'date', 'nonce'];

function checkRpcV1(c: Case, markers: readonly string[], bad: readonly Field[]): void {
  // signRpcV1Params names its fields params.<name> and timestamp: map them onto this test's names.
  const rename = (root: string) => (root === 'params' ? 'query' : root === 'timestamp' ? 'date' : root);
  const outcome = attempt(() => signRpcV1Params(c.method as string, c.query as never, credentialsOf(c) as never, optionsOf(c, 'timestamp') as never));
  if (!outcome.ok) {
    expectNamedRefusal(outcome.error, (root) => bad.includes(rename(root) as Field), markers);
    return;
  }
  const signed = outcome.value;
  expectNoMarkers(signed, markers);
  const now = c.date === undefined ? Date.now() : (parseIsoSeconds(c.date as string) as number);
  const verdict = verifyRpcV1(
    { method: c.method as string, rawPath: '/', rawQuery: queryString(signed), headers: {}, body: new Uint8Array(0) },
    verifyContext(now, c.accessKeyId as string, c.accessKeySecret as string, c.securityToken as string | undefined),
  );
  expect(verdict).toEqual({ ok: true, scheme: 'RPC-V1-HMAC-SHA1', accessKeyId: c.accessKeyId });
}

describe('signRpcV1Params and signRpcV1 under hostile input', () => {
  it('one hostile field, or a mix: a verifying signature, or an InvalidInput naming bad fields only', () => {
    fc.assert(
      fc.property(fc.oneof(corrupted(RPC_FIELDS, true, false), corrupted(RPC_FIELDS, true, true)), ({ value, markers, bad }) => checkRpcV1(value, markers, bad)),
      runs(300, 'rpc-v1'),
    );
    expectNoPollution();
  }, PROPERTY_TIMEOUT_MS);

  it('the primitive signRpcV1 returns a base64 HMAC or an InvalidInput naming method, params or secret', () => {
    fc.assert(
      fc.property(
        fc.oneof(method, junk),
        fc.oneof(query, hostileRecord(query), fc.array(fc.tuple(hostileString, junk), { maxLength: 3 })),
        fc.tuple(secretMarker, fc.option(hostileSecret)).map(([mark, template]) => ({ mark, secret: template === null ? `s-${mark}` : withMarker(template, mark) })),
        (m, params, { mark, secret }) => {
          const outcome = attempt(() => signRpcV1(m as string, params as never, secret as string));
          if (outcome.ok) expect(outcome.value).toMatch(/^[A-Za-z0-9+/]{27}=$/);
          else expectNamedRefusal(outcome.error, (root) => ['method', 'params', 'secret'].includes(root), [mark]);
        },
      ),
      runs(200, 'rpc-v1-primitive'),
    );
  }, PROPERTY_TIMEOUT_MS);
});

// ------------------------------------------------------------------------------------------ ROA V1

const ROA_FIELDS: readonly Field[] = ['method', 'host', 'path', 'query', 'headers', 'body', 'action', 'version', 'accessKeyId', 'accessKeySecret', 'securityToken', 'date', 'nonce'];

/** ROA V1 cases take an HTTP date rather than an ISO one. */
const roaCase = (fields: readonly Field[], mixed: boolean) =>
  fc.tuple(corrupted(fields, false, mixed), httpDate).map(([c, date]) => (c.bad.includes('date') ? c : { ...c, value: { ...c.value, date } }));

function checkRoaV1(c: Case, markers: readonly string[], bad: readonly Field[]): void {
  const rename = (root: string) => (root === 'pathname' ? 'path' : root);
  const outcome = attempt(() =>
    signRoaV1Request(
      { method: c.method, host: c.host, pathname: c.path, query: c.query, headers: c.headers, body: c.body, action: c.action, version: c.version } as never,
      credentialsOf(c) as never,
      optionsOf(c, 'date') as never,
    ),
  );
  if (!outcome.ok) {
    expectNamedRefusal(outcome.error, (root) => bad.includes(rename(root) as Field), markers);
    return;
  }
  const headers = outcome.value;
  expectNoMarkers(headers, markers);
  const now = c.date === undefined ? Date.now() : (parseHttpDate(c.date as string) as number);
  const verdict = verifyRoaV1(
    {
      method: c.method as string,
      rawPath: c.path as string,
      rawQuery: queryString((c.query ?? {}) as Record<string, string>),
      headers,
      body: bytesOf(c.body as string | Uint8Array | undefined),
    },
    verifyContext(now, c.accessKeyId as string, c.accessKeySecret as string, c.securityToken as string | undefined),
  );
  expect(verdict).toEqual({ ok: true, scheme: 'ROA-V1-HMAC-SHA1', accessKeyId: c.accessKeyId });
}

describe('signRoaV1Request and signRoaV1 under hostile input', () => {
  it('valid input always signs, and the signature verifies', () => {
    fc.assert(
      fc.property(
        fc.tuple(validCase, httpDate).map(([c, date]) => ({ ...c, value: { ...c.value, date } })),
        ({ value, markers }) => checkRoaV1(value, markers, []),
      ),
      runs(150, 'roa-v1-valid'),
    );
  }, PROPERTY_TIMEOUT_MS);

  it('one hostile field, or a mix: a verifying signature, or an InvalidInput naming bad fields only', () => {
    fc.assert(
      fc.property(fc.oneof(roaCase(ROA_FIELDS, false), roaCase(ROA_FIELDS, true)), ({ value, markers, bad }) => checkRoaV1(value, markers, bad)),
      runs(400, 'roa-v1'),
    );
    expectNoPollution();
  }, PROPERTY_TIMEOUT_MS);

  it('the primitive signRoaV1 returns a base64 HMAC or an InvalidInput naming stringToSign or secret', () => {
    fc.assert(
      fc.property(
        fc.oneof(hostileString, junk),
        fc.tuple(secretMarker, fc.option(hostileSecret)).map(([mark, template]) => ({ mark, secret: template === null ? `s-${mark}` : withMarker(template, mark) })),
        (stringToSign, { mark, secret }) => {
          const outcome = attempt(() => signRoaV1(stringToSign as string, secret as string));
          if (outcome.ok) expect(outcome.value).toMatch(/^[A-Za-z0-9+/]{27}=$/);
          else expectNamedRefusal(outcome.error, (root) => ['stringToSign', 'secret'].includes(root), [mark]);
        },
      ),
      runs(200, 'roa-v1-primitive'),
    );
  }, PROPERTY_TIMEOUT_MS);

  it('signs the method in upper case and replaces a stale content-md5, so both verify', () => {
    const key = { accessKeyId: 'ak', accessKeySecret: 'sk' };
    const context = verifyContext(NOW, 'ak', 'sk', undefined);
    const date = new Date(NOW).toUTCString();
    const headers = signRoaV1Request({ method: 'put', host: 'h', pathname: '/x', headers: { 'Content-MD5': 'stale' }, version: 'v' }, key, { date });
    expect(headers['content-md5']).toBeUndefined();
    expect(verifyRoaV1({ method: 'PUT', rawPath: '/x', rawQuery: '', headers, body: new Uint8Array(0) }, context).ok).toBe(true);
    const params = signRpcV1Params('post', { A: 'b' }, key, { timestamp: isoSeconds(NOW) });
    expect(verifyRpcV1({ method: 'POST', rawPath: '/', rawQuery: queryString(params), headers: {}, body: new Uint8Array(0) }, context).ok).toBe(true);
  });
});
