import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoSeconds, signAcs3, verifyAcs3 } from './acs3.js';
import { buildPath, percentEncode } from './encoding.js';
import { signRoaV1Request, signRpcV1Params, verifyRoaV1, verifyRpcV1 } from './v1.js';
import type { AlibabaVerdict, ReceivedRequest, VerifierKey, VerifyContext } from './verdict.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const KEY = { accessKeyId: 'testAK', accessKeySecret: 'testSecret' };
const STS = { accessKeyId: 'STS.tempAK', accessKeySecret: 'tempSecret', securityToken: 'STS.the-token' };
const KEYS: Record<string, VerifierKey> = {
  [KEY.accessKeyId]: { secret: KEY.accessKeySecret },
  [STS.accessKeyId]: { secret: STS.accessKeySecret, securityToken: STS.securityToken },
};

function context(now = NOW, nonces = new Set<string>()): VerifyContext {
  return {
    now,
    lookupKey: (id) => KEYS[id],
    useNonce: (nonce) => nonces.size < nonces.add(nonce).size,
  };
}

function queryString(query: Record<string, string>): string {
  return Object.entries(query)
    .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
    .join('&');
}

interface Build {
  method?: string;
  path?: string;
  query?: Record<string, string>;
  body?: string;
  headers?: Record<string, string>;
  creds?: { accessKeyId: string; accessKeySecret: string; securityToken?: string };
  date?: string;
  nonce?: string;
}

/** Signs with ACS3 and returns the request as a server would receive it. */
function acs3Request(build: Build = {}): ReceivedRequest {
  const method = build.method ?? 'POST';
  const path = build.path ?? '/';
  const query = build.query ?? { RegionId: 'cn-hangzhou', TaskId: 't-1' };
  const headers = signAcs3(
    {
      method,
      host: '127.0.0.1:8787',
      path,
      query,
      ...(build.headers ? { headers: build.headers } : {}),
      ...(build.body !== undefined ? { body: build.body } : {}),
      action: 'CancelTask',
      version: '2014-05-26',
    },
    build.creds ?? KEY,
    { date: build.date ?? isoSeconds(NOW), nonce: build.nonce ?? `nonce-${Math.random()}` },
  );
  return { method, rawPath: path, rawQuery: queryString(query), headers: { ...headers, 'user-agent': 'test', accept: 'application/json' }, body: Buffer.from(build.body ?? '') };
}

function expectRejected(verdict: AlibabaVerdict, status: number, code: string): void {
  expect(verdict).toMatchObject({ ok: false, status, code });
}

describe('verifyAcs3', () => {
  it('accepts what signAcs3 produced and names the key', () => {
    expect(verifyAcs3(acs3Request(), context())).toEqual({ ok: true, scheme: 'ACS3-HMAC-SHA256', accessKeyId: 'testAK' });
    expect(verifyAcs3(acs3Request({ creds: STS }), context())).toMatchObject({ ok: true, accessKeyId: STS.accessKeyId });
  });

  it('rejects tampering with the method, path, query, a signed header or the body', () => {
    const base = acs3Request({ method: 'PUT', path: buildPath(['openapi', 'x', 'a@b c']), body: '{"a":1}', headers: { 'content-type': 'application/json' } });
    expect(verifyAcs3(base, context()).ok).toBe(true);
    const tampered: ReceivedRequest[] = [
      { ...base, method: 'POST' },
      { ...base, rawPath: buildPath(['openapi', 'x', 'a@b d']) },
      { ...base, rawQuery: `${base.rawQuery}&Extra=1` },
      { ...base, rawQuery: base.rawQuery.replace('t-1', 't-2') },
      { ...base, headers: { ...base.headers, 'x-acs-action': 'DeleteEverything' } },
      { ...base, headers: { ...base.headers, host: 'evil.example.com' } },
      { ...base, headers: { ...base.headers, 'content-type': 'text/plain' } },
    ];
    for (const request of tampered) expectRejected(verifyAcs3(request, context()), 400, 'SignatureDoesNotMatch');
    const body = Buffer.from('{"a":2}');
    expectRejected(verifyAcs3({ ...base, body }, context()), 400, 'SignatureDoesNotMatch');
    // Re-hashing the tampered body does not help: the hash is signed.
    const rehashed = { ...base, body, headers: { ...base.headers, 'x-acs-content-sha256': signAcs3({ method: 'PUT', host: 'h', path: '/', body, action: 'A', version: 'v' }, KEY)['x-acs-content-sha256'] ?? '' } };
    expectRejected(verifyAcs3(rehashed, context()), 400, 'SignatureDoesNotMatch');
  });

  it('ignores headers the SDK does not sign', () => {
    const base = acs3Request();
    expect(verifyAcs3({ ...base, headers: { ...base.headers, 'user-agent': 'other', accept: '*/*' } }, context()).ok).toBe(true);
  });

  it('rejects a wrong secret, an unknown key, a stale or malformed date and a reused nonce with the cloud codes', () => {
    expectRejected(verifyAcs3(acs3Request({ creds: { accessKeyId: 'testAK', accessKeySecret: 'wrong' } }), context()), 400, 'SignatureDoesNotMatch');
    expectRejected(verifyAcs3(acs3Request({ creds: { accessKeyId: 'nobody', accessKeySecret: 'x' } }), context()), 404, 'InvalidAccessKeyId.NotFound');
    expectRejected(verifyAcs3(acs3Request({ date: isoSeconds(NOW - 16 * 60_000) }), context()), 400, 'InvalidTimeStamp.Expired');
    expectRejected(verifyAcs3(acs3Request({ date: isoSeconds(NOW + 16 * 60_000) }), context()), 400, 'InvalidTimeStamp.Expired');
    expect(verifyAcs3(acs3Request({ date: isoSeconds(NOW - 14 * 60_000) }), context()).ok).toBe(true);
    // signAcs3 refuses to sign a date in another format (InvalidInput naming `date`); a server still meets one.
    expect(() => acs3Request({ date: 'Mon, 01 Jun 2026 12:00:00 GMT' })).toThrow(/date: must be a UTC time/);
    const sent = acs3Request();
    expectRejected(verifyAcs3({ ...sent, headers: { ...sent.headers, 'x-acs-date': 'Mon, 01 Jun 2026 12:00:00 GMT' } }, context()), 400, 'InvalidTimeStamp.Format');
    const nonces = new Set<string>();
    const once = acs3Request({ nonce: 'same-nonce' });
    expect(verifyAcs3(once, context(NOW, nonces)).ok).toBe(true);
    expectRejected(verifyAcs3(once, context(NOW, nonces)), 400, 'SignatureNonceUsed');
  });

  it('does not burn a nonce on a request whose signature fails', () => {
    const nonces = new Set<string>();
    const bad = acs3Request({ nonce: 'n1', creds: { accessKeyId: 'testAK', accessKeySecret: 'wrong' } });
    expectRejected(verifyAcs3(bad, context(NOW, nonces)), 400, 'SignatureDoesNotMatch');
    expect(verifyAcs3(acs3Request({ nonce: 'n1' }), context(NOW, nonces)).ok).toBe(true);
  });

  it('requires the STS token of a temporary key', () => {
    const withToken = acs3Request({ creds: STS });
    const { 'x-acs-security-token': _token, ...without } = withToken.headers;
    expectRejected(verifyAcs3({ ...withToken, headers: without }, context()), 400, 'MissingSecurityToken');
    expectRejected(verifyAcs3(acs3Request({ creds: { ...STS, securityToken: 'STS.other' } }), context()), 400, 'InvalidSecurityToken.MismatchWithAccessKey');
  });

  it('requires the common headers to be signed and the Authorization to be complete', () => {
    const base = acs3Request();
    const unsignedHost = { ...base, headers: { ...base.headers, authorization: (base.headers.authorization ?? '').replace('SignedHeaders=host;', 'SignedHeaders=') } };
    expectRejected(verifyAcs3(unsignedHost, context()), 400, 'IncompleteSignature');
    expectRejected(verifyAcs3({ ...base, headers: { ...base.headers, authorization: 'ACS3-HMAC-SHA256 Credential=testAK' } }, context()), 400, 'IncompleteSignature');
    expectRejected(verifyAcs3({ ...base, headers: { ...base.headers, authorization: (base.headers.authorization ?? '').replace('ACS3-HMAC-SHA256', 'ACS3-HMAC-SM3') } }, context()), 400, 'InvalidSignatureMethod');
  });

  it('accepts the official SDK path quirks: first-only `*` encoding on the wire and `%27` for a signed quote', () => {
    // The SDK signs every `*` as %2A but sends `ha-cn-pl32rf0%2A***` (wire doc §4.5).
    const signed = acs3Request({ method: 'PUT', path: '/openapi/ha3/instances/ha-cn-pl32rf0%2A%2A%2A%2A/stop-task/f', query: {} });
    expect(verifyAcs3({ ...signed, rawPath: '/openapi/ha3/instances/ha-cn-pl32rf0%2A***/stop-task/f' }, context()).ok).toBe(true);
    // The SDK signs a literal ' while Node sends %27.
    const quoted = acs3Request({ method: 'PUT', path: "/openapi/ha3/instances/i/stop-task/it's", query: {} });
    expect(verifyAcs3({ ...quoted, rawPath: '/openapi/ha3/instances/i/stop-task/it%27s' }, context()).ok).toBe(true);
  });

  it('verifies query values sent unescaped the way Node querystring sends them', () => {
    const query = { TaskId: "a!b'c(d)*e f" };
    const signed = acs3Request({ query });
    expect(verifyAcs3({ ...signed, rawQuery: "TaskId=a!b'c(d)*e%20f" }, context()).ok).toBe(true);
    expect(verifyAcs3({ ...signed, rawQuery: "TaskId=a!b'c(d)*e+f" }, context()).ok).toBe(true);
  });
});

describe('verifyRpcV1', () => {
  function rpcRequest(method: string, params: Record<string, string>, where: 'query' | 'form', creds: Build['creds'] = KEY, timestamp = isoSeconds(NOW), nonce = `n-${Math.random()}`): ReceivedRequest {
    const signed = signRpcV1Params(method, params, creds ?? KEY, { timestamp, nonce });
    const encoded = queryString(signed);
    return where === 'query'
      ? { method, rawPath: '/', rawQuery: encoded, headers: {}, body: Buffer.alloc(0) }
      : { method, rawPath: '/', rawQuery: '', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from(encoded) };
  }
  const params = { Action: 'CancelActiveOperationTasks', Version: '2015-01-01', Ids: '1508850,1508310' };

  it('accepts query (GET/POST) and form-body (pop-core POST) signatures, with STS', () => {
    expect(verifyRpcV1(rpcRequest('GET', params, 'query'), context())).toEqual({ ok: true, scheme: 'RPC-V1-HMAC-SHA1', accessKeyId: 'testAK' });
    expect(verifyRpcV1(rpcRequest('POST', params, 'query'), context()).ok).toBe(true);
    expect(verifyRpcV1(rpcRequest('POST', params, 'form'), context()).ok).toBe(true);
    expect(verifyRpcV1(rpcRequest('POST', params, 'query', STS), context()).ok).toBe(true);
  });

  it('rejects tampering, wrong secret, unknown key, stale timestamp, reused nonce and a missing signature', () => {
    const good = rpcRequest('POST', params, 'query');
    expectRejected(verifyRpcV1({ ...good, rawQuery: good.rawQuery.replace('1508850', '1508851') }, context()), 400, 'SignatureDoesNotMatch');
    expectRejected(verifyRpcV1({ ...good, method: 'GET' }, context()), 400, 'SignatureDoesNotMatch');
    expectRejected(verifyRpcV1(rpcRequest('POST', params, 'query', { accessKeyId: 'testAK', accessKeySecret: 'nope' }), context()), 400, 'SignatureDoesNotMatch');
    expectRejected(verifyRpcV1(rpcRequest('POST', params, 'query', { accessKeyId: 'ghost', accessKeySecret: 'x' }), context()), 404, 'InvalidAccessKeyId.NotFound');
    expectRejected(verifyRpcV1(rpcRequest('POST', params, 'query', KEY, isoSeconds(NOW - 20 * 60_000)), context()), 400, 'InvalidTimeStamp.Expired');
    const nonces = new Set<string>();
    const replay = rpcRequest('POST', params, 'query', KEY, isoSeconds(NOW), 'fixed');
    expect(verifyRpcV1(replay, context(NOW, nonces)).ok).toBe(true);
    expectRejected(verifyRpcV1(replay, context(NOW, nonces)), 400, 'SignatureNonceUsed');
    expectRejected(verifyRpcV1({ method: 'GET', rawPath: '/', rawQuery: 'Action=X', headers: {}, body: Buffer.alloc(0) }, context()), 400, 'MissingSignature');
  });

  it('masks an STS token in the echoed string to sign', () => {
    const good = rpcRequest('POST', params, 'query', STS);
    const verdict = verifyRpcV1({ ...good, rawQuery: good.rawQuery.replace('1508850', '9') }, context());
    expect(verdict.ok).toBe(false);
    expect(JSON.stringify(verdict)).not.toContain('the-token');
  });
});

describe('verifyRoaV1', () => {
  function roaRequest(build: { path?: string; query?: Record<string, string>; body?: string; creds?: Build['creds']; date?: string; nonce?: string } = {}): ReceivedRequest {
    const path = build.path ?? buildPath(['openapi', 'ha3', 'instances', 'ha-1', 'stop-task', 'fsm@1']);
    const query = build.query ?? {};
    const headers = signRoaV1Request(
      { method: 'PUT', host: '127.0.0.1:8787', pathname: path, query, ...(build.body ? { body: build.body, headers: { 'content-type': 'application/json' } } : {}), version: '2021-10-25' },
      build.creds ?? KEY,
      { date: build.date ?? new Date(NOW).toUTCString(), nonce: build.nonce ?? `n-${Math.random()}` },
    );
    return { method: 'PUT', rawPath: path, rawQuery: queryString(query), headers, body: Buffer.from(build.body ?? '') };
  }

  it('accepts openapi-core and pop-core style requests (pop-core sends no x-acs-action)', () => {
    expect(verifyRoaV1(roaRequest({ query: { end: 'a b:c', start: '1' } }), context())).toEqual({ ok: true, scheme: 'ROA-V1-HMAC-SHA1', accessKeyId: 'testAK' });
    expect(verifyRoaV1(roaRequest({ body: '{"x":1}', creds: STS }), context()).ok).toBe(true);
  });

  it('rejects tampering, wrong secret, unknown key, stale date and reused nonce', () => {
    const good = roaRequest({ body: '{"x":1}' });
    expectRejected(verifyRoaV1({ ...good, rawPath: good.rawPath.replace('fsm%401', 'fsm%402') }, context()), 400, 'SignatureDoesNotMatch');
    expectRejected(verifyRoaV1({ ...good, method: 'DELETE' }, context()), 400, 'SignatureDoesNotMatch');
    expectRejected(verifyRoaV1({ ...good, body: Buffer.from('{"x":2}') }, context()), 400, 'SignatureDoesNotMatch');
    expectRejected(verifyRoaV1({ ...good, headers: { ...good.headers, 'x-acs-version': '2099-01-01' } }, context()), 400, 'SignatureDoesNotMatch');
    expectRejected(verifyRoaV1(roaRequest({ creds: { accessKeyId: 'testAK', accessKeySecret: 'bad' } }), context()), 400, 'SignatureDoesNotMatch');
    expectRejected(verifyRoaV1(roaRequest({ creds: { accessKeyId: 'ghost', accessKeySecret: 'bad' } }), context()), 404, 'InvalidAccessKeyId.NotFound');
    expectRejected(verifyRoaV1(roaRequest({ date: new Date(NOW - 30 * 60_000).toUTCString() }), context()), 400, 'InvalidTimeStamp.Expired');
    const nonces = new Set<string>();
    const replay = roaRequest({ nonce: 'same' });
    expect(verifyRoaV1(replay, context(NOW, nonces)).ok).toBe(true);
    expectRejected(verifyRoaV1(replay, context(NOW, nonces)), 400, 'SignatureNonceUsed');
  });
});

describe('properties', () => {
  const text = fc.string({ unit: 'binary', maxLength: 40 });
  const segment = fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).filter((s) => s !== '.' && s !== '..');
  const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9._-]{0,15}$/);
  const secret = fc.stringMatching(/^[\x20-\x7e]{1,40}$/);

  it('ACS3 sign → verify round-trips for random requests', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('GET', 'PUT', 'POST', 'DELETE'),
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        fc.dictionary(name, text, { maxKeys: 5 }),
        fc.option(text, { nil: undefined }),
        secret,
        fc.option(fc.stringMatching(/^[\x21-\x7e]{1,40}$/), { nil: undefined }),
        (method, segments, query, body, accessKeySecret, securityToken) => {
          const creds = { accessKeyId: 'propAK', accessKeySecret, ...(securityToken ? { securityToken } : {}) };
          const path = buildPath(segments);
          const headers = signAcs3(
            { method, host: 'example.aliyuncs.com', path, query, ...(body !== undefined ? { body } : {}), action: 'Act', version: '2020-01-01' },
            creds,
            { date: isoSeconds(NOW) },
          );
          const request: ReceivedRequest = { method, rawPath: path, rawQuery: queryString(query), headers, body: Buffer.from(body ?? '') };
          const verdict = verifyAcs3(request, {
            now: NOW,
            lookupKey: (id) => (id === 'propAK' ? { secret: accessKeySecret, ...(securityToken ? { securityToken } : {}) } : undefined),
            useNonce: () => true,
          });
          expect(verdict).toEqual({ ok: true, scheme: 'ACS3-HMAC-SHA256', accessKeyId: 'propAK' });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('RPC V1 and ROA V1 sign → verify round-trip for random parameters', () => {
    fc.assert(
      fc.property(fc.dictionary(name, text, { maxKeys: 6 }), secret, fc.array(segment, { minLength: 1, maxLength: 3 }), (params, accessKeySecret, segments) => {
        const ctx: VerifyContext = { now: NOW, lookupKey: (id) => (id === 'p' ? { secret: accessKeySecret } : undefined), useNonce: () => true };
        const { Signature: _s, ...business } = params;
        const signed = signRpcV1Params('POST', business, { accessKeyId: 'p', accessKeySecret }, { timestamp: isoSeconds(NOW) });
        expect(verifyRpcV1({ method: 'POST', rawPath: '/', rawQuery: queryString(signed), headers: {}, body: Buffer.alloc(0) }, ctx).ok).toBe(true);
        const path = buildPath(segments);
        const headers = signRoaV1Request({ method: 'GET', host: 'h', pathname: path, query: business, version: '2021-10-25' }, { accessKeyId: 'p', accessKeySecret }, { date: new Date(NOW).toUTCString() });
        expect(verifyRoaV1({ method: 'GET', rawPath: path, rawQuery: queryString(business), headers, body: Buffer.alloc(0) }, ctx).ok).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('verifiers never throw on hostile input; they return a rejection', () => {
    const headerValue = fc.oneof(text, fc.constantFrom('ACS3-HMAC-SHA256 ', 'ACS3-HMAC-SHA256 Credential=testAK,SignedHeaders=host;;;,Signature=', 'acs testAK:', 'acs :', '%', '%E0%A4%A'));
    const headers = fc.dictionary(
      fc.constantFrom('authorization', 'host', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256', 'x-acs-security-token', 'content-type', 'content-md5', 'date', 'x-acs-signature-method', 'accept'),
      headerValue,
    );
    fc.assert(
      fc.property(fc.string(), text, text, headers, fc.uint8Array({ maxLength: 64 }), (method, rawPath, rawQuery, hs, body) => {
        const request: ReceivedRequest = { method, rawPath, rawQuery, headers: hs, body };
        for (const verify of [verifyAcs3, verifyRpcV1, verifyRoaV1]) {
          const verdict = verify(request, context());
          expect(typeof verdict.ok).toBe('boolean');
          if (!verdict.ok) {
            expect(verdict.status).toBeGreaterThanOrEqual(400);
            expect(verdict.code).toMatch(/^[A-Za-z.]+$/);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
