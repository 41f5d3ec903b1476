import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentSupportsProxyEnv, createAgents, createHttpClient } from './http-client.js';
import { checkEndpoint, isLoopbackHost, transportError } from './transport.js';
import { USER_AGENT } from './version.js';

let server: http.Server;
let base: string;
let hits = 0;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits++;
    if (req.url === '/reset') {
      req.socket.destroy();
      return;
    }
    res.writeHead(req.url === '/fail' ? 503 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ua: req.headers['user-agent'] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('transport', () => {
  it('sends the cancelkit user agent and never retries on its own', async () => {
    const got = await createHttpClient({ timeoutMs: 2_000 });
    const ok = await got(`${base}/ok`).json<{ ua: string }>();
    expect(ok.ua).toBe(USER_AGENT);
    expect(USER_AGENT).toMatch(/^cancelkit\/\d+\.\d+\.\d+/);
    hits = 0;
    const failed = await got(`${base}/fail`);
    expect(failed.statusCode).toBe(503);
    expect(hits).toBe(1);
    hits = 0;
    await expect(got(`${base}/reset`)).rejects.toThrow();
    expect(hits).toBe(1);
  });

  it('classifies transport failures: refused is safe, reset is ambiguous', () => {
    expect(transportError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 'CancelTask')).toMatchObject({ code: 'Transient', ambiguous: false });
    expect(transportError(Object.assign(new Error('x'), { code: 'ECONNRESET' }), 'CancelTask')).toMatchObject({ code: 'Transient', ambiguous: true });
    expect(transportError(Object.assign(new Error('x'), { code: 'ETIMEDOUT' }), 'CancelTask').message).toMatch(/timed out/);
    const leaky = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', options: { headers: { authorization: 'secret-sig', 'x-acs-security-token': 'sts-secret' } } });
    const mapped = transportError(leaky, 'CancelTask');
    expect(mapped.cause).toEqual({ name: 'Error', code: 'ECONNRESET', message: 'socket hang up' });
    expect(JSON.stringify(mapped.cause)).not.toContain('secret');
  });

  it('allows plain http only for loopback unless forced', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('127.5.4.3')).toBe(true);
    expect(isLoopbackHost('[::1]')).toBe(true);
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('10.0.0.1')).toBe(false);
    expect(checkEndpoint('http://127.0.0.1:8787', false).port).toBe('8787');
    expect(checkEndpoint('ecs.aliyuncs.com', false).protocol).toBe('https:');
    expect(() => checkEndpoint('http://ecs.aliyuncs.com', false)).toThrowError(/plain http/);
    expect(checkEndpoint('http://ecs.aliyuncs.com', true).protocol).toBe('http:');
    // A URL that does not parse is echoed without its userinfo, whatever the password holds.
    for (const endpoint of ['https://admin:s3cr3tpw@host:99999', 'admin:s3cr3tpw@host:99999', 'https://u:pa/s?s#@w@host:99999']) {
      let message = '';
      try {
        checkEndpoint(endpoint, false);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/is not a URL/);
      expect(message).toContain('[REDACTED]@host:99999');
      expect(message).not.toMatch(/s3cr3tpw|pa\/s|admin/);
    }
    expect(() => checkEndpoint('https://user:pw@host', false)).toThrowError(/credentials/);
    expect(() => checkEndpoint('ftp://host', false)).toThrowError(/protocol/);
  });
});

describe('proxies from the standard environment variables', () => {
  let proxy: http.Server;
  let proxyUrl: string;
  const seen: string[] = [];
  beforeAll(async () => {
    // A forward proxy on loopback: it receives absolute-form requests and answers them itself, so the
    // fictional target host is never looked up.
    proxy = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"via":"proxy"}');
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => proxy.close(() => r())));

  it('sends through HTTP_PROXY (or http_proxy), and never loopback targets', async () => {
    for (const name of ['HTTP_PROXY', 'http_proxy']) {
      seen.length = 0;
      const got = await createHttpClient({ timeoutMs: 2_000, env: { [name]: proxyUrl } });
      const answer = await got('http://cancelkit-proxy-test.invalid/v1/x').json<{ via: string }>();
      expect(answer.via).toBe('proxy');
      expect(seen).toEqual(['GET http://cancelkit-proxy-test.invalid/v1/x']);
      // The emulator (loopback) is reached directly even with a proxy set.
      const direct = await got(`${base}/ok`);
      expect(direct.statusCode).toBe(200);
      expect(seen).toHaveLength(1);
    }
  });

  it('refuses a proxy variable on a Node that would silently ignore it', () => {
    expect(agentSupportsProxyEnv('22.20.0')).toBe(false);
    expect(agentSupportsProxyEnv('22.21.0')).toBe(true);
    expect(agentSupportsProxyEnv('24.4.1')).toBe(false);
    expect(agentSupportsProxyEnv('24.21.0')).toBe(true);
    expect(agentSupportsProxyEnv('26.0.0')).toBe(true);
    expect(() => createAgents({ HTTPS_PROXY: 'http://proxy.example:3128' }, '22.12.0')).toThrow(
      expect.objectContaining({ code: 'InvalidInput', message: expect.stringContaining('HTTPS_PROXY is set, but Node 22.12.0') }),
    );
    expect(() => createAgents({}, '22.12.0')).not.toThrow();
  });
});
