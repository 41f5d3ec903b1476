import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rfc3986Encode } from './encoding.js';
import { formatSdkDate, signDerivedHmacSha256, signSdkHmacSha256 } from './signer.js';
import { body as bodyArb, headerName, headerValue, queryText, segment } from './test-support/arbitraries.js';
import { officialSign } from './test-support/official-sdk.js';
import { type ReceivedRequest, type VerifierKey, verifySdkHmacSha256 } from './verifier.js';

const AK = 'HPUAEXAMPLEAK0000001';
const SK = 'exampleSecretKey0000000000000000000000000';
const TEMP_AK = 'HST.TEMPORARYAK00001';
const TEMP_SK = 'temporarySecretKey000000000000000000000';
const TOKEN = 'gQpjbi1ub3J0aC00EXAMPLETOKEN';
const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);
const PID = '0123456789abcdef0123456789abcdef';
const ORIGIN = 'http://127.0.0.1:8787';

const keys: Record<string, VerifierKey> = { [AK]: { secret: SK }, [TEMP_AK]: { secret: TEMP_SK, securityToken: TOKEN } };
const lookupKey = (ak: string) => keys[ak];
const verify = (request: ReceivedRequest, now = NOW) => verifySdkHmacSha256(request, { now, lookupKey });

/** What a server receives for a request signed with the given headers (names lower-cased, as Node does). */
function received(method: string, url: string, headers: Record<string, string>, body = ''): ReceivedRequest {
  const parsed = new URL(url);
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;
  lower.host ??= parsed.host;
  return { method, rawPath: parsed.pathname, rawQuery: parsed.search.replace(/^\?/, ''), headers: lower, body: Buffer.from(body) };
}

function signed(
  options: { method?: string; url?: string; headers?: Record<string, string>; body?: string; ak?: string; sk?: string; date?: number } = {},
): ReceivedRequest {
  const method = options.method ?? 'DELETE';
  const url = options.url ?? `${ORIGIN}/v3/${PID}/scheduled-jobs/job-1`;
  const headers = { 'content-type': 'application/json', 'X-Project-Id': PID, ...options.headers };
  const added = signSdkHmacSha256(
    { method, url, headers, ...(options.body !== undefined ? { body: options.body } : {}) },
    { ak: options.ak ?? AK, sk: options.sk ?? SK },
    { date: options.date ?? NOW },
  );
  return received(method, url, { ...headers, ...added }, options.body ?? '');
}

describe('verifySdkHmacSha256', () => {
  it('accepts a request we signed, and reports who signed it', () => {
    expect(verify(signed())).toEqual({
      ok: true,
      accessKeyId: AK,
      algorithm: 'SDK-HMAC-SHA256',
      signedHeaders: ['content-type', 'host', 'x-project-id', 'x-sdk-date'],
    });
  });

  it('accepts a body and a query', () => {
    const request = signed({ method: 'POST', url: `${ORIGIN}/v3/${PID}/scheduled-jobs?limit=10&job_status=Pending`, body: '{"a":1}' });
    expect(verify(request).ok).toBe(true);
  });

  it.each([
    ['method', (r: ReceivedRequest) => ({ ...r, method: 'GET' })],
    ['path', (r: ReceivedRequest) => ({ ...r, rawPath: r.rawPath.replace('job-1', 'job-2') })],
    ['query added', (r: ReceivedRequest) => ({ ...r, rawQuery: 'limit=100' })],
    ['signed header value', (r: ReceivedRequest) => ({ ...r, headers: { ...r.headers, 'x-project-id': 'another-project' } })],
    ['body', (r: ReceivedRequest) => ({ ...r, body: Buffer.from('{"x":1}') })],
    ['host', (r: ReceivedRequest) => ({ ...r, headers: { ...r.headers, host: '127.0.0.1:9999' } })],
  ])('rejects a request whose %s was tampered with (401 APIGW.0301)', (_, tamper) => {
    const verdict = verify(tamper(signed()));
    expect(verdict).toMatchObject({ ok: false, reason: 'bad-signature', status: 401, code: 'APIGW.0301' });
  });

  it('ignores headers that were not signed', () => {
    const request = signed();
    expect(verify({ ...request, headers: { ...request.headers, 'user-agent': 'anything', accept: '*/*' } }).ok).toBe(true);
  });

  it('rejects a wrong SK and an unknown AK', () => {
    expect(verify(signed({ sk: 'not-the-secret-key-at-all' }))).toMatchObject({ ok: false, reason: 'bad-signature' });
    expect(verify(signed({ ak: 'UNKNOWNAK0000000000' }))).toMatchObject({ ok: false, reason: 'unknown-key', code: 'APIGW.0301', accessKeyId: 'UNKNOWNAK0000000000' });
  });

  it('enforces the 15-minute X-Sdk-Date window in both directions', () => {
    const minutes = (n: number) => n * 60_000;
    expect(verify(signed({ date: NOW - minutes(14) })).ok).toBe(true);
    expect(verify(signed({ date: NOW + minutes(14) })).ok).toBe(true);
    expect(verify(signed({ date: NOW - minutes(15) - 1000 }))).toMatchObject({ ok: false, reason: 'stale-date', status: 401 });
    expect(verify(signed({ date: NOW + minutes(16) }))).toMatchObject({ ok: false, reason: 'stale-date' });
  });

  it('rejects a malformed X-Sdk-Date even when it is signed', () => {
    const url = `${ORIGIN}/v3/${PID}/scheduled-jobs/job-1`;
    const headers = { 'content-type': 'application/json', 'X-Sdk-Date': '2025-01-01T12:00:00Z' };
    expect(() => signSdkHmacSha256({ method: 'GET', url, headers }, { ak: AK, sk: SK })).toThrow(/YYYYMMDDTHHmmssZ/);
    const good = signed();
    expect(verify({ ...good, headers: { ...good.headers, 'x-sdk-date': '20250101T120000' } })).toMatchObject({ ok: false, reason: 'bad-date' });
  });

  it('requires host and x-sdk-date to be signed, and every signed header to be present', () => {
    const request = signed();
    const auth = request.headers.authorization ?? '';
    const noHost = auth.replace('SignedHeaders=content-type;host;', 'SignedHeaders=content-type;');
    expect(verify({ ...request, headers: { ...request.headers, authorization: noHost } })).toMatchObject({ ok: false, reason: 'missing-signed-header' });
    const { 'x-project-id': _, ...withoutProject } = request.headers;
    expect(verify({ ...request, headers: withoutProject })).toMatchObject({ ok: false, reason: 'missing-signed-header' });
  });

  it('temporary keys: the X-Security-Token must be present, signed and the key’s own', () => {
    expect(verify(signed({ ak: TEMP_AK, sk: TEMP_SK, headers: { 'X-Security-Token': TOKEN } })).ok).toBe(true);
    expect(verify(signed({ ak: TEMP_AK, sk: TEMP_SK }))).toMatchObject({ ok: false, reason: 'security-token' });
    expect(verify(signed({ ak: TEMP_AK, sk: TEMP_SK, headers: { 'X-Security-Token': 'someone-elses-token' } }))).toMatchObject({
      ok: false,
      reason: 'security-token',
    });
    // Present but not signed: a token added in transit.
    const unsigned = signed({ ak: TEMP_AK, sk: TEMP_SK });
    expect(verify({ ...unsigned, headers: { ...unsigned.headers, 'x-security-token': TOKEN } })).toMatchObject({ ok: false, reason: 'security-token' });
    // A permanent key with a token is refused.
    expect(verify(signed({ headers: { 'X-Security-Token': TOKEN } }))).toMatchObject({ ok: false, reason: 'security-token' });
  });

  it('a signature mismatch explains the canonical request without echoing the token', () => {
    const request = signed({ ak: TEMP_AK, sk: TEMP_SK, headers: { 'X-Security-Token': TOKEN } });
    const verdict = verify({ ...request, method: 'GET' });
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.canonicalRequest).toContain('GET|/v3/');
    expect(verdict.canonicalRequest).toContain('x-security-token:[REDACTED]');
    expect(JSON.stringify(verdict)).not.toContain(TOKEN);
    expect(JSON.stringify(verdict)).not.toContain(TEMP_SK);
  });

  it('verifies V11-HMAC-SHA256 (derived keys) and checks the scope date', () => {
    const url = `${ORIGIN}/v3/${PID}/scheduled-jobs/job-1`;
    const headers = { 'content-type': 'application/json', 'X-Project-Id': PID };
    const added = signDerivedHmacSha256({ method: 'DELETE', url, headers }, { ak: AK, sk: SK }, { date: NOW, regionId: 'cn-north-4', serviceName: 'dds' });
    const request = received('DELETE', url, { ...headers, ...added });
    expect(verify(request)).toMatchObject({ ok: true, algorithm: 'V11-HMAC-SHA256', accessKeyId: AK });
    const otherDay = (request.headers.authorization ?? '').replace('/20250101/', '/20241231/');
    expect(verify({ ...request, headers: { ...request.headers, authorization: otherDay } })).toMatchObject({ ok: false, reason: 'bad-date' });
  });

  it('accepts the official SDK’s double-encoded canonical path (space, unsubstituted {project_id})', () => {
    for (const rawSegment of ['with space', '{project_id}']) {
      const date = formatSdkDate(NOW);
      const headers = { 'content-type': 'application/json', 'X-Sdk-Date': date };
      // The SDK signs url.parse's escaped path; on the wire WHATWG URL escapes the same characters once.
      const sdkHeaders = officialSign({ method: 'DELETE', endpoint: `${ORIGIN}/v3/${rawSegment}/scheduled-jobs/j`, headers }, AK, SK);
      const wireUrl = new URL(`${ORIGIN}/v3/${rawSegment}/scheduled-jobs/j`).href;
      const request = received('DELETE', wireUrl, { ...headers, ...sdkHeaders });
      expect(request.rawPath).toContain('%');
      expect(verify(request).ok).toBe(true);
    }
  });

  it('rejects missing, foreign and malformed Authorization headers', () => {
    const request = signed();
    const withAuth = (authorization: string) => ({ ...request, headers: { ...request.headers, authorization } });
    const { authorization: _, ...noAuth } = request.headers;
    expect(verify({ ...request, headers: noAuth })).toMatchObject({ ok: false, reason: 'missing-authorization' });
    expect(verify(withAuth('acs AK:abc'))).toMatchObject({ ok: false, reason: 'unsupported-algorithm' });
    expect(verify(withAuth('SDK-HMAC-SHA256 Access=AK'))).toMatchObject({ ok: false, reason: 'malformed-authorization' });
    expect(verify(withAuth('SDK-HMAC-SHA256 Access=, SignedHeaders=host, Signature=00'))).toMatchObject({ ok: false });
  });
});

describe('properties', () => {
  it('sign → verify round trip on generated requests; any single-byte change to the body fails', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('GET', 'DELETE', 'POST', 'PUT'),
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        fc.dictionary(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }), queryText, { maxKeys: 5 }),
        fc.dictionary(headerName, headerValue, { maxKeys: 3 }),
        bodyArb,
        fc.boolean(),
        (method, segments, query, extra, data, temporary) => {
          const q = Object.entries(query)
            .map(([k, v]) => `${rfc3986Encode(k)}=${rfc3986Encode(v)}`)
            .join('&');
          const url = `${ORIGIN}/${segments.map(rfc3986Encode).join('/')}${q ? `?${q}` : ''}`;
          const body = data === undefined ? undefined : JSON.stringify(data);
          const request = signed({
            method,
            url,
            headers: { ...extra, ...(temporary ? { 'X-Security-Token': TOKEN } : {}) },
            ...(body !== undefined ? { body } : {}),
            ...(temporary ? { ak: TEMP_AK, sk: TEMP_SK } : {}),
          });
          expect(verify(request).ok).toBe(true);
          const tampered = { ...request, body: Buffer.from(`${body ?? ''} `) };
          expect(verify(tampered).ok).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('never throws on hostile input', () => {
    const authorization = fc.oneof(
      fc.string(),
      fc
        .tuple(
          fc.constantFrom('SDK-HMAC-SHA256', 'V11-HMAC-SHA256', 'sdk-hmac-sha256', ''),
          fc.constantFrom('Access=', 'Credential=', 'Access', ''),
          fc.oneof(fc.constant(AK), fc.constant(TEMP_AK), fc.string()),
          fc.oneof(fc.constant(', SignedHeaders=host;x-sdk-date'), fc.string()),
          fc.oneof(fc.constant(`, Signature=${'a'.repeat(64)}`), fc.string()),
        )
        .map(([alg, field, who, signedHeaders, signature]) => `${alg} ${field}${who}${signedHeaders}${signature}`),
    );
    const headers = fc.record(
      {
        authorization,
        host: fc.string(),
        'x-sdk-date': fc.oneof(fc.constant(formatSdkDate(NOW)), fc.string()),
        'x-security-token': fc.string(),
        'x-sdk-content-sha256': fc.string(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.string(),
        headers,
        fc.oneof(fc.uint8Array(), fc.string()),
        (method, rawPath, rawQuery, hs, body) => {
          const verdict = verifySdkHmacSha256({ method, rawPath, rawQuery, headers: hs, body }, { now: NOW, lookupKey });
          expect(verdict.ok).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });
});
