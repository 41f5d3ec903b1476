/**
 * callApig against a real HTTP server on 127.0.0.1 that verifies every request with our verifier (the
 * emulation-level tests live in the DDS plugin; this one pins the transport details).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import type { EndpointRequest, EndpointSource } from '@cancelkit/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { callApig } from './client.js';
import { huaweiEndpoint } from './endpoints.js';
import { testContext, type TestContext } from './test-support/context.js';
import { type ReceivedRequest, verifySdkHmacSha256 } from './verifier.js';

const AK = 'cancelkit-demo-ak';
const SK = 'cancelkit-demo-sk-long-enough';
const TEMP_AK = 'HST.TEMPAK';
const TEMP_SK = 'temporary-secret-value';
const STS = 'sts-security-token-value';
const IAM_TOKEN = 'MIIY-iam-token-value';
const PID = 'project-0001';

interface Seen extends ReceivedRequest {
  verdict: ReturnType<typeof verifySdkHmacSha256>;
}
type Reply = { status: number; headers?: Record<string, string>; body?: string };

let server: Server;
let url: string;
const seen: Seen[] = [];
let reply: (req: Seen) => Reply = () => ({ status: 204 });

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const [rawPath = '', rawQuery = ''] = (req.url ?? '').split('?');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      const request = { method: req.method ?? '', rawPath, rawQuery, headers, body: Buffer.concat(chunks) };
      const verdict = verifySdkHmacSha256(request, {
        now: Date.now(),
        lookupKey: (ak) => (ak === AK ? { secret: SK } : ak === TEMP_AK ? { secret: TEMP_SK, securityToken: STS } : undefined),
      });
      const entry = { ...request, verdict };
      seen.push(entry);
      const r = reply(entry);
      res.writeHead(r.status, { 'x-request-id': `req-${seen.length}`, ...r.headers });
      res.end(r.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

let current: TestContext | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
  seen.length = 0;
  reply = () => ({ status: 204 });
});
function context(providerConfig: Record<string, unknown> = { ak: AK, sk: SK }, extra: Parameters<typeof testContext>[0] = {}) {
  current = testContext({ endpoint: url, providerConfig, ...extra });
  return current;
}

describe('callApig', () => {
  it('signs a DELETE the gateway accepts: segments encoded once, SDK headers, 204 with no body', async () => {
    const { ctx } = context();
    const result = await callApig(ctx, {
      service: 'dds',
      region: 'cn-north-4',
      method: 'DELETE',
      pathSegments: ['v3', PID, 'scheduled-jobs', 'job/with spaces@ü'],
      projectId: PID,
    });
    expect(result).toEqual({ status: 204, requestId: 'req-1', body: undefined });
    const [request] = seen;
    expect(request?.verdict).toMatchObject({ ok: true, signedHeaders: ['content-type', 'host', 'x-project-id', 'x-sdk-date'] });
    expect(request?.rawPath).toBe(`/v3/${PID}/scheduled-jobs/job%2Fwith%20spaces%40%C3%BC`);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['x-project-id']).toBe(PID);
    expect(request?.headers['x-sdk-date']).toMatch(/^\d{8}T\d{6}Z$/);
  });

  it('GET with a query returns parsed JSON and the X-Request-Id', async () => {
    reply = () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"total_count":0,"schedules":[]}' });
    const { ctx } = context();
    const result = await callApig<{ total_count: number }>(ctx, {
      service: 'dds',
      region: 'cn-north-4',
      method: 'GET',
      pathSegments: ['v3', PID, 'scheduled-jobs'],
      query: { limit: 100, offset: 0, start_time: '2024-12-25T00:00:00+0800', skipped: undefined },
      projectId: PID,
    });
    expect(result.body.total_count).toBe(0);
    expect(seen[0]?.rawQuery).toBe('limit=100&offset=0&start_time=2024-12-25T00%3A00%3A00%2B0800');
    expect(seen[0]?.verdict.ok).toBe(true);
  });

  it('temporary keys send a signed X-Security-Token', async () => {
    const { ctx } = context({ ak: TEMP_AK, sk: TEMP_SK, securityToken: STS });
    await callApig(ctx, { service: 'dds', region: 'cn-north-4', method: 'DELETE', pathSegments: ['v3', PID, 'scheduled-jobs', 'j'], projectId: PID });
    expect(seen[0]?.verdict).toMatchObject({ ok: true });
    expect(seen[0]?.verdict.ok && seen[0].verdict.signedHeaders).toContain('x-security-token');
  });

  it('an IAM token alone goes in X-Auth-Token, with no Authorization', async () => {
    const { ctx } = context({ authToken: IAM_TOKEN });
    await callApig(ctx, { service: 'dds', region: 'cn-north-4', method: 'DELETE', pathSegments: ['v3', PID, 'scheduled-jobs', 'j'] });
    expect(seen[0]?.headers['x-auth-token']).toBe(IAM_TOKEN);
    expect(seen[0]?.headers.authorization).toBeUndefined();
  });

  it('maps error answers and keeps code, message, status and request id', async () => {
    reply = () => ({ status: 400, body: '{"error_code":"DBS.200004","error_msg":"Operation is illegal."}' });
    const { ctx } = context();
    const error = await callApig(ctx, { service: 'dds', region: 'cn-north-4', method: 'DELETE', pathSegments: ['v3', PID, 'x'] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'InvalidInput', providerCode: 'DBS.200004', providerMessage: 'Operation is illegal.', providerStatus: 400, requestId: 'req-1' });
  });

  it('honours Retry-After on 429', async () => {
    reply = () => ({ status: 429, headers: { 'retry-after': '2' }, body: '{"error_code":"APIGW.0308","error_msg":"throttled"}' });
    const { ctx } = context();
    const error = await callApig(ctx, { service: 'dds', region: 'cn-north-4', method: 'GET', pathSegments: ['v3', PID, 'x'] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'Throttled', retryable: true, retryAfterMs: 2000 });
  });

  it('never puts the SK, tokens or the Authorization header in errors or logs, even when the gateway echoes them', async () => {
    reply = (req) => ({
      status: 401,
      body: JSON.stringify({
        error_code: 'APIGW.0301',
        error_msg: `verify aksk signature fail, authorization:${req.headers.authorization}|x-security-token:${req.headers['x-security-token']}|${TEMP_SK}`,
      }),
    });
    const { ctx, logs } = context({ ak: TEMP_AK, sk: TEMP_SK, securityToken: STS });
    const error = await callApig(ctx, { service: 'dds', region: 'cn-north-4', method: 'GET', pathSegments: ['v3', PID, 'x'] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'Unauthenticated' });
    const signature = /Signature=([0-9a-f]+)/.exec(seen[0]?.headers.authorization ?? '')?.[1] ?? 'missing';
    const exposed = JSON.stringify({ error, message: (error as Error).message, logs });
    for (const secret of [TEMP_SK, STS, signature]) expect(exposed).not.toContain(secret);
  });

  it('a 2xx whose body is not JSON is Unknown and ambiguous: the change may have been applied', async () => {
    const { ctx } = context();
    reply = () => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html>ok</html>' });
    const error = await callApig(ctx, { service: 'dds', region: 'cn-north-4', method: 'DELETE', pathSegments: ['v3', PID, 'scheduled-jobs', 'j'], projectId: PID }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]?.verdict.ok).toBe(true);
    expect(error).toMatchObject({ code: 'Unknown', providerStatus: 200, ambiguous: true, requestId: 'req-1' });
  });

  it('transport failures become Transient through core’s transportError', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    current = testContext({ endpoint: `http://127.0.0.1:${port}`, providerConfig: { ak: TEMP_AK, sk: TEMP_SK, securityToken: STS } });
    const error = await callApig(current.ctx, { service: 'dds', region: 'cn-north-4', method: 'GET', pathSegments: ['v3', PID] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'Transient', ambiguous: false, message: expect.stringContaining('ECONNREFUSED') });
    // The cause chain (what util.inspect and error reporters print) holds no header of the request.
    const printed = inspect(error, { depth: Number.POSITIVE_INFINITY, showHidden: true });
    expect(printed).not.toContain(STS);
    expect(printed).not.toContain('SDK-HMAC-SHA256');
  });

  it('refuses plain http to a non-loopback endpoint, and bad path segments, before sending', async () => {
    current = testContext({ endpoint: 'http://dds.example.com', providerConfig: { ak: AK, sk: SK } });
    await expect(callApig(current.ctx, { service: 'dds', region: 'cn-north-4', method: 'GET', pathSegments: ['v3'] })).rejects.toMatchObject({
      code: 'InvalidInput',
    });
    const { ctx } = context();
    await expect(callApig(ctx, { service: 'dds', region: 'cn-north-4', method: 'GET', pathSegments: ['v3', '..'] })).rejects.toMatchObject({
      code: 'InvalidInput',
      issues: [{ field: 'pathSegments.1' }],
    });
    expect(seen).toHaveLength(0);
  });

  it('without an endpoint override, an unknown region is refused before sending', async () => {
    current = testContext({ providerConfig: { ak: AK, sk: SK } });
    await expect(callApig(current.ctx, { service: 'dds', region: 'xx-nowhere-9', method: 'GET', pathSegments: ['v3'] })).rejects.toMatchObject({
      code: 'InvalidInput',
      issues: [{ field: 'region' }],
    });
  });
});

describe('endpoint sources', () => {
  it('sends to what a bound EndpointSource answers for the service and region, else to the SDK region table', async () => {
    const asked: EndpointRequest[] = [];
    const source: EndpointSource = {
      provider: 'huaweicloud',
      description: 'test router',
      resolve(request) {
        asked.push(request);
        return request.region === 'cn-north-4' ? url : undefined;
      },
    };
    current = testContext({ providerConfig: { ak: AK, sk: SK }, provider: 'huaweicloud', service: 'huaweicloud.dds', endpointSources: [source] });
    const call = { service: 'dds', method: 'DELETE', pathSegments: ['v3', PID, 'scheduled-jobs', 'j'], projectId: PID } as const;
    const result = await callApig(current.ctx, { ...call, region: 'cn-north-4' });
    expect(result.status).toBe(204);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.verdict.ok).toBe(true);
    expect(asked).toEqual([{ provider: 'huaweicloud', service: 'huaweicloud.dds', product: 'dds', region: 'cn-north-4' }]);

    // No opinion from the source: the region table decides, refusing a region it does not list.
    await expect(callApig(current.ctx, { ...call, region: 'xx-nowhere-9' })).rejects.toMatchObject({ code: 'InvalidInput', issues: [{ field: 'region' }] });
    expect(seen).toHaveLength(1);
  });
});

describe('huaweiEndpoint', () => {
  it('follows the SDK region table', () => {
    expect(huaweiEndpoint('dds', 'cn-north-4')).toBe('dds.cn-north-4.myhuaweicloud.com');
    expect(huaweiEndpoint('dds', 'ap-southeast-1')).toBe('dds.ap-southeast-1.myhuaweicloud.com');
    expect(huaweiEndpoint('dds', 'eu-west-101')).toBe('dds.eu-west-101.myhuaweicloud.eu');
    expect(() => huaweiEndpoint('dds', 'cn-north-99')).toThrow(/not a Huawei Cloud DDS region/);
  });
});
