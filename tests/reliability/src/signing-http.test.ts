/**
 * Both signers' round trips *after a real HTTP hop*. The provider packages already property-test
 * sign → verify in memory; here the request goes through the production client (`callRpc`, `callRoa`,
 * `callApig` with core's got transport) to a plain node:http server that captures exactly what arrived —
 * raw path, raw query, headers, body — and the provider's own verifier checks it, as the cloud would.
 * What the URL machinery does to `@`, `%`, `+`, `*`, `'`, spaces, `/` and non-ASCII must not break a
 * signature or change a value.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { callRoa, callRpc, type ReceivedRequest, verifyAcs3 } from '@cancelkit/alibaba-openapi';
import {
  type CallContext,
  type CredentialSource,
  createHttpClient,
  type HttpClient,
  SecretRegistry,
  silentLogger,
  systemClock,
} from '@cancelkit/core';
import { callApig, verifySdkHmacSha256 } from '@cancelkit/huaweicloud-apig';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scaled, seedFor } from './support/scale.js';
import { PROVIDERS, SECRETS } from './support/world.js';

interface Captured extends ReceivedRequest {
  readonly body: Buffer;
}

let server: http.Server;
let url: string;
let last: Captured | undefined;
let client: Promise<HttpClient> | undefined;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = req.url ?? '/';
      const q = target.indexOf('?');
      const headers: Record<string, string> = {};
      for (const [name, values] of Object.entries(req.headersDistinct)) headers[name] = (values ?? []).join(', ');
      last = {
        method: req.method ?? 'GET',
        rawPath: q === -1 ? target : target.slice(0, q),
        rawQuery: q === -1 ? '' : target.slice(q + 1),
        headers,
        body: Buffer.concat(chunks),
      };
      const body = JSON.stringify({ RequestId: 'captured' });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  const got = await client;
  const agents = got?.defaults.options.agent as { http?: { destroy(): void } } | undefined;
  agents?.http?.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function context(provider: 'alibaba' | 'huaweicloud'): CallContext {
  const secrets = new SecretRegistry();
  const providerConfig = PROVIDERS[provider] as unknown as Record<string, unknown>;
  return {
    http: () => {
      client ??= createHttpClient({ timeoutMs: 5_000, env: {} });
      return client;
    },
    async credentials<C>(source: CredentialSource<C>): Promise<C> {
      const credentials = await source.resolve({ providerConfig, env: {}, homeDir: '/nonexistent-reliability-home' });
      for (const secret of source.secretsOf(credentials)) secrets.add(secret);
      return credentials;
    },
    endpoint: url,
    allowInsecureHttp: false,
    providerConfig,
    logger: silentLogger,
    signal: new AbortController().signal,
    clock: systemClock,
    timeoutMs: 5_000,
    env: {},
    homeDir: '/nonexistent-reliability-home',
    addSecret: (secret) => secrets.add(secret),
    send: (request) => request(),
  };
}

function captured(): Captured {
  if (!last) throw new Error('the capture server saw no request');
  return last;
}

const alibabaVerifier = {
  lookupKey: (id: string) => (id === SECRETS.alibabaAccessKeyId ? { secret: SECRETS.alibabaSecret } : undefined),
  useNonce: () => true,
};

/** Any well-formed text, weighted towards the characters URL encoders disagree about. */
const value = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('@', '%', '+', '*', "'", '~', ' ', '/', '&', '=', '?', '#', '!', '(', ')', 'é', '中', '😀', 'a'), maxLength: 24 }),
);
const segment = value.filter((s) => s !== '' && s !== '.' && s !== '..');
const paramName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,15}$/);

function decodedQuery(rawQuery: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of rawQuery.split('&').filter(Boolean)) {
    const eq = pair.indexOf('=');
    out[decodeURIComponent(eq === -1 ? pair : pair.slice(0, eq))] = decodeURIComponent(eq === -1 ? '' : pair.slice(eq + 1));
  }
  return out;
}

describe('signatures survive a real HTTP hop', () => {
  it('ACS3 (RPC, callRpc): the server verifies every request and reads back every parameter unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(paramName, value, { maxKeys: 6 }), async (params) => {
        await callRpc(context('alibaba'), { product: 'ecs', version: '2014-05-26', action: 'DescribeTasks', params });
        const request = captured();
        expect(verifyAcs3(request, { now: Date.now(), ...alibabaVerifier })).toMatchObject({ ok: true, accessKeyId: SECRETS.alibabaAccessKeyId });
        expect(decodedQuery(request.rawQuery)).toEqual(params);
      }),
      { numRuns: scaled(100, 20), seed: seedFor('sign-rpc') },
    );
  });

  it('ACS3 (ROA, callRoa): ids with @ / % + * and non-ASCII stay one path segment each and verify', async () => {
    await fc.assert(
      fc.asyncProperty(segment, segment, fc.dictionary(paramName, value, { maxKeys: 3 }), async (instanceId, fsmId, query) => {
        await callRoa(context('alibaba'), {
          product: 'searchengine',
          version: '2021-10-25',
          action: 'StopTask',
          method: 'PUT',
          pathSegments: ['openapi', 'ha3', 'instances', instanceId, 'stop-task', fsmId],
          query,
        });
        const request = captured();
        expect(verifyAcs3(request, { now: Date.now(), ...alibabaVerifier })).toMatchObject({ ok: true });
        expect(request.rawPath.split('/').slice(1).map(decodeURIComponent)).toEqual(['openapi', 'ha3', 'instances', instanceId, 'stop-task', fsmId]);
        expect(decodedQuery(request.rawQuery)).toEqual(query);
      }),
      { numRuns: scaled(100, 20), seed: seedFor('sign-roa') },
    );
  });

  it('SDK-HMAC-SHA256 (callApig): job ids with / % + * and non-ASCII stay one segment each and verify', async () => {
    await fc.assert(
      fc.asyncProperty(segment, fc.dictionary(paramName, value, { maxKeys: 3 }), fc.constantFrom('GET', 'DELETE') as fc.Arbitrary<'GET' | 'DELETE'>, async (jobId, query, method) => {
        await callApig(context('huaweicloud'), {
          service: 'dds',
          region: 'cn-north-4',
          method,
          pathSegments: ['v3', SECRETS.huaweiProjectId, 'scheduled-jobs', jobId],
          query,
          projectId: SECRETS.huaweiProjectId,
          operation: 'CancelScheduledTask',
        });
        const request = captured();
        const verdict = verifySdkHmacSha256(request, {
          now: Date.now(),
          lookupKey: (id) => (id === SECRETS.huaweiAk ? { secret: SECRETS.huaweiSk } : undefined),
        });
        expect(verdict).toMatchObject({ ok: true });
        expect(request.rawPath.split('/').slice(1).map(decodeURIComponent)).toEqual(['v3', SECRETS.huaweiProjectId, 'scheduled-jobs', jobId]);
        expect(decodedQuery(request.rawQuery)).toEqual(query);
      }),
      { numRuns: scaled(100, 20), seed: seedFor('sign-apig') },
    );
  });

  it('a request tampered with in transit no longer verifies (the verifier is not a rubber stamp)', async () => {
    await callRpc(context('alibaba'), { product: 'ecs', version: '2014-05-26', action: 'CancelTask', params: { TaskId: 't-1', RegionId: 'cn-hangzhou' } });
    const request = captured();
    const tampered = { ...request, rawQuery: request.rawQuery.replace('t-1', 't-2') };
    expect(verifyAcs3(tampered, { now: Date.now(), ...alibabaVerifier })).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
    await callApig(context('huaweicloud'), {
      service: 'dds',
      region: 'cn-north-4',
      method: 'DELETE',
      pathSegments: ['v3', SECRETS.huaweiProjectId, 'scheduled-jobs', 'job-1'],
      projectId: SECRETS.huaweiProjectId,
    });
    const hw = captured();
    const verdict = verifySdkHmacSha256(
      { ...hw, rawPath: hw.rawPath.replace('job-1', 'job-2') },
      { now: Date.now(), lookupKey: (id) => (id === SECRETS.huaweiAk ? { secret: SECRETS.huaweiSk } : undefined) },
    );
    expect(verdict.ok).toBe(false);
  });
});
