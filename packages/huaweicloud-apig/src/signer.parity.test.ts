/**
 * Parity with the official signer: the wire notes' §8/§9 vectors as fixed cases, and generated inputs
 * (paths and queries with non-ASCII and reserved characters, extra headers, bodies) signed by both
 * `@huaweicloud/huaweicloud-sdk-core`'s AKSKSigner / DerivedAKSKSigner and ours: byte-identical output.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rfc3986Encode } from './encoding.js';
import { canonicalRequestOf, signDerivedHmacSha256, signSdkHmacSha256 } from './signer.js';
import { body, headerName, headerValue, queryText, segment } from './test-support/arbitraries.js';
import { officialDerivedSign, officialSign, type SdkSignerRequest } from './test-support/official-sdk.js';

const AK = 'HPUAEXAMPLEAK0000001';
const SK = 'exampleSecretKey0000000000000000000000000';
const PID = '0123456789abcdef0123456789abcdef';
const JOB = '3861199d-c196-4791-bcd0-b45fde754f50';
const FROZEN = Date.UTC(2025, 0, 1);
const DDS = 'https://dds.cn-north-4.myhuaweicloud.com';

beforeAll(() => {
  // The SDK reads the clock through moment(); freeze Date so both signers sign at the same instant.
  vi.useFakeTimers({ toFake: ['Date'], now: FROZEN });
});
afterAll(() => {
  vi.useRealTimers();
});

const signatureOf = (authorization: string | undefined) => /Signature=([0-9a-f]{64})$/.exec(authorization ?? '')?.[1];
const baseHeaders = (extra: Record<string, string> = {}) => ({ 'content-type': 'application/json', 'X-Project-Id': PID, ...extra });

describe('wire-notes vectors (§8, §9)', () => {
  const cancelPath = (job: string) => `/v3/${PID}/scheduled-jobs/${job}`;
  const cases: { name: string; method: string; url: string; headers?: Record<string, string>; signature: string }[] = [
    { name: 'TV1 DELETE cancel', method: 'DELETE', url: `${DDS}${cancelPath(JOB)}`, signature: '669a807abe4169f8ac94b847c786a567b7da78f2c7314468070103abe66a8a8a' },
    {
      name: 'TV2 GET list with a query',
      method: 'GET',
      url: `${DDS}/v3/${PID}/scheduled-jobs?job_status=Pending&limit=10&offset=0&start_time=2024-12-25T00%3A00%3A00%2B0800`,
      signature: 'a20b67cdf74dc0c739ea71e4a83b70c4c4f493113c42dc9318f3783d2517f98f',
    },
    {
      name: 'TV3 DELETE with a security token',
      method: 'DELETE',
      url: `${DDS}${cancelPath(JOB)}`,
      headers: { 'X-Security-Token': 'EXAMPLE-SECURITY-TOKEN' },
      signature: 'f0aa9113bded69d29c79a310c3d1ffa2398b6b70643832fa77f9dcf1213248f7',
    },
    { name: 'TV5 plain http, host with port', method: 'DELETE', url: `http://127.0.0.1:18080${cancelPath(JOB)}`, signature: 'f4d51c33ea611f8ac18ec118b0aa22b2ed8d1202e8fc8829f3448a68d9f48443' },
    {
      name: '§9.1 captured cancel',
      method: 'DELETE',
      url: `http://127.0.0.1:18081${cancelPath('7b1e2f3a-0000-4000-8000-000000000001')}`,
      signature: '3a4926538df8ce3a8ef0d11d404b3fc7a28776f42544b8c365819df37288f839',
    },
    {
      name: '§9.2 captured list, every filter',
      method: 'GET',
      url: `http://127.0.0.1:18081/v3/${PID}/scheduled-jobs?job_name=RESIZE_FLAVOR&job_status=Pending&instance_id=inst01&start_time=2024-12-25T00%3A00%3A00%2B0800&end_time=2025-01-01T00%3A00%3A00%2B0800&offset=0&limit=10`,
      signature: '94c63823520eff407896bb741a32f0f90dac918335f362f025ff39e0c3cf108e',
    },
    {
      name: '§9.3 captured cancel with a security token',
      method: 'DELETE',
      url: `http://127.0.0.1:18081${cancelPath('7b1e2f3a-0000-4000-8000-000000000001')}`,
      headers: { 'X-Security-Token': 'gQpjbi1ub3J0aC00EXAMPLETOKEN' },
      signature: 'f460178e3c26e1fe3028a457513ffd52f8eaa7757110b476b29b3b228910c5d0',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const added = signSdkHmacSha256({ method: c.method, url: c.url, headers: baseHeaders(c.headers) }, { ak: AK, sk: SK }, { date: FROZEN });
      expect(added['X-Sdk-Date']).toBe('20250101T000000Z');
      expect(signatureOf(added.Authorization)).toBe(c.signature);
      const token = c.headers ? ';x-security-token' : '';
      expect(added.Authorization).toBe(
        `SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=content-type;host;x-project-id;x-sdk-date${token}, Signature=${c.signature}`,
      );
    });
  }

  it('TV1 canonical request, line by line', () => {
    expect(canonicalRequestOf({ method: 'DELETE', url: `${DDS}${cancelPath(JOB)}`, headers: baseHeaders() }, { date: FROZEN })).toBe(
      [
        'DELETE',
        `/v3/${PID}/scheduled-jobs/${JOB}/`,
        '',
        'content-type:application/json',
        'host:dds.cn-north-4.myhuaweicloud.com',
        `x-project-id:${PID}`,
        'x-sdk-date:20250101T000000Z',
        '',
        'content-type;host;x-project-id;x-sdk-date',
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      ].join('\n'),
    );
  });

  it('TV4 and §9.4: V11-HMAC-SHA256 derived signing', () => {
    const tv4 = signDerivedHmacSha256(
      { method: 'DELETE', url: `${DDS}${cancelPath(JOB)}`, headers: baseHeaders() },
      { ak: AK, sk: SK },
      { date: FROZEN, regionId: 'cn-north-4', serviceName: 'dds' },
    );
    expect(tv4.Authorization).toBe(
      `V11-HMAC-SHA256 Credential=${AK}/20250101/cn-north-4/dds, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=74e54e05fe075d9e9e6c76763ec59d85d0dcb2473f1f06c25e4b5b76eabb4d7d`,
    );
    const captured = signDerivedHmacSha256(
      { method: 'DELETE', url: `http://127.0.0.1:18081${cancelPath('7b1e2f3a-0000-4000-8000-000000000001')}`, headers: baseHeaders() },
      { ak: AK, sk: SK },
      { date: FROZEN, regionId: 'cn-north-4', serviceName: 'dds' },
    );
    expect(signatureOf(captured.Authorization)).toBe('3a5750ce91d4ba4f4da745e2f24170c548ae6349a62040d44f746fd7addc7e44');
  });

  it('the official signer agrees with the fixed vectors (the vectors are the SDK’s, not ours)', () => {
    const sdk = officialSign({ method: 'DELETE', endpoint: `${DDS}${cancelPath(JOB)}`, headers: baseHeaders() }, AK, SK);
    expect(signatureOf(sdk.Authorization)).toBe('669a807abe4169f8ac94b847c786a567b7da78f2c7314468070103abe66a8a8a');
  });
});

describe('generated inputs: byte-identical to the official AKSKSigner', () => {
  it('paths, queries, headers and bodies', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('GET', 'DELETE', 'POST', 'PUT'),
        fc.constantFrom('https://dds.cn-north-4.myhuaweicloud.com', 'http://127.0.0.1:8787', 'https://dds.eu-west-101.myhuaweicloud.eu:8443'),
        fc.array(segment, { minLength: 1, maxLength: 5 }),
        fc.dictionary(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }), queryText, { maxKeys: 6 }),
        fc.dictionary(headerName, headerValue, { maxKeys: 4 }),
        body,
        (method, origin, segments, query, extraHeaders, data) => {
          const headers = baseHeaders(extraHeaders);
          const wirePath = `/${segments.map(rfc3986Encode).join('/')}`;
          const wireQuery = Object.entries(query)
            .map(([k, v]) => `${rfc3986Encode(k)}=${rfc3986Encode(v)}`)
            .join('&');
          const bodyText = data === undefined || Object.keys(data).length === 0 ? undefined : JSON.stringify(data);
          const ours = signSdkHmacSha256(
            { method, url: `${origin}${wirePath}${wireQuery ? `?${wireQuery}` : ''}`, headers, ...(bodyText ? { body: bodyText } : {}) },
            { ak: AK, sk: SK },
            { date: FROZEN },
          );
          const request: SdkSignerRequest = { method, endpoint: `${origin}/${segments.join('/')}`, headers, queryParams: query };
          if (bodyText) request.data = data;
          const official = officialSign(request, AK, SK);
          expect(ours.Authorization).toBe(official.Authorization);
          expect(ours.host).toBe(official.host);
          expect(ours['X-Sdk-Date']).toBe(official['X-Sdk-Date']);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('repeated query keys: values sorted within the key, as the SDK does for arrays', () => {
    const official = officialSign(
      { method: 'GET', endpoint: `${DDS}/v3/${PID}/scheduled-jobs`, headers: baseHeaders(), queryParams: { tag: ['zeta', 'alpha', 'Ünï'], limit: 10 } },
      AK,
      SK,
    );
    const ours = signSdkHmacSha256(
      { method: 'GET', url: `${DDS}/v3/${PID}/scheduled-jobs?tag=zeta&limit=10&tag=alpha&tag=%C3%9Cn%C3%AF`, headers: baseHeaders() },
      { ak: AK, sk: SK },
      { date: FROZEN },
    );
    expect(ours.Authorization).toBe(official.Authorization);
  });

  it('X-Sdk-Content-Sha256 (UNSIGNED-PAYLOAD) replaces the body hash, as in the SDK', () => {
    const headers = { 'content-type': 'application/octet-stream', 'X-Sdk-Content-Sha256': 'UNSIGNED-PAYLOAD' };
    const official = officialSign({ method: 'PUT', endpoint: `${DDS}/v3/${PID}/blob`, headers, data: { a: 1 } }, AK, SK);
    const ours = signSdkHmacSha256({ method: 'PUT', url: `${DDS}/v3/${PID}/blob`, headers, body: 'anything' }, { ak: AK, sk: SK }, { date: FROZEN });
    expect(ours.Authorization).toBe(official.Authorization);
  });

  it('V11 derived signing matches DerivedAKSKSigner on generated paths and queries', () => {
    fc.assert(
      fc.property(
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        fc.dictionary(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }), queryText, { maxKeys: 4 }),
        fc.constantFrom('cn-north-4', 'ap-southeast-1', 'eu-west-101'),
        (segments, query, region) => {
          const wireQuery = Object.entries(query)
            .map(([k, v]) => `${rfc3986Encode(k)}=${rfc3986Encode(v)}`)
            .join('&');
          const ours = signDerivedHmacSha256(
            { method: 'GET', url: `${DDS}/${segments.map(rfc3986Encode).join('/')}${wireQuery ? `?${wireQuery}` : ''}`, headers: baseHeaders() },
            { ak: AK, sk: SK },
            { date: FROZEN, regionId: region, serviceName: 'dds' },
          );
          const official = officialDerivedSign(
            { method: 'GET', endpoint: `${DDS}/${segments.join('/')}`, headers: baseHeaders(), queryParams: query },
            AK,
            SK,
            region,
            'dds',
          );
          expect(ours.Authorization).toBe(official.Authorization);
        },
      ),
      { numRuns: 100 },
    );
  });
});
