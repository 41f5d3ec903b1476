/**
 * The shared HTTP transport: one got instance per kit, created lazily (got costs ~100 ms to import, and
 * `plugins list` or `--help` must not pay it). got's own retry is off: the engine owns retries, so that
 * only retryable errors are retried and an ambiguous failure can be reconciled first.
 */
import http from 'node:http';
import https from 'node:https';
import type { Got } from 'got';
import { CancelKitError } from './errors.js';
import { USER_AGENT } from './version.js';

export type HttpClient = Got;

export interface TransportOptions {
  /** Per-request timeout in ms (default 15 s). */
  timeoutMs?: number;
  /** Environment to take HTTP(S)_PROXY / NO_PROXY from (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  userAgent?: string;
}

function proxyEnv(env: Readonly<Record<string, string | undefined>>): NodeJS.ProcessEnv | undefined {
  const pick: NodeJS.ProcessEnv = {};
  for (const key of ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy']) {
    const value = env[key];
    if (value) pick[key] = value;
  }
  return Object.keys(pick).length > 0 ? pick : undefined;
}

/**
 * Keep-alive agents that honour the standard proxy variables (Node's built-in `proxyEnv`, Node >= 22.21 /
 * 24.5). Loopback targets bypass the proxy so the emulator always works.
 */
export function createAgents(env: Readonly<Record<string, string | undefined>> = process.env): {
  http: http.Agent;
  https: https.Agent;
} {
  const proxies = proxyEnv(env);
  const withLoopback = proxies
    ? {
        ...proxies,
        NO_PROXY: [proxies.NO_PROXY ?? proxies.no_proxy, 'localhost', '127.0.0.1', '::1'].filter(Boolean).join(','),
      }
    : undefined;
  const common = { keepAlive: true, maxSockets: 64, ...(withLoopback ? { proxyEnv: withLoopback } : {}) };
  return { http: new http.Agent(common), https: new https.Agent(common) };
}

export async function createHttpClient(options: TransportOptions = {}): Promise<HttpClient> {
  const { default: got } = await import('got');
  const agent = createAgents(options.env ?? process.env);
  return got.extend({
    agent,
    timeout: { request: options.timeoutMs ?? 15_000 },
    retry: { limit: 0 },
    throwHttpErrors: false,
    followRedirect: false,
    decompress: true,
    headers: { 'user-agent': options.userAgent ?? USER_AGENT },
  });
}

const BEFORE_SEND_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Turns a transport failure (got's RequestError, a socket error) into the taxonomy. A refused connection
 * cannot have reached the cloud; a reset or a timeout after sending may have, so it is `ambiguous`.
 */
export function transportError(error: unknown, what: string): CancelKitError {
  // got's RequestError carries the request options, headers included (Authorization, security tokens):
  // keep only what explains the failure, so no provider can leak a secret through `cause`.
  const raw = error as { name?: unknown; code?: unknown; message?: unknown } | undefined;
  const cause = {
    name: typeof raw?.name === 'string' ? raw.name : 'Error',
    code: typeof raw?.code === 'string' ? raw.code : undefined,
    message: typeof raw?.message === 'string' ? raw.message : String(error),
  };
  error = cause;
  const code = (error as { code?: unknown })?.code;
  const codeText = typeof code === 'string' ? code : 'UNKNOWN';
  if ((error as { name?: unknown })?.name === 'AbortError' || codeText === 'ERR_ABORTED') {
    return new CancelKitError('Transient', `${what} was aborted.`, { cause: error, ambiguous: true });
  }
  const beforeSend = BEFORE_SEND_CODES.has(codeText);
  const message = beforeSend
    ? `${what} could not connect (${codeText}).`
    : codeText === 'ETIMEDOUT'
      ? `${what} timed out; the cloud may or may not have applied it.`
      : `${what} failed on the network (${codeText}); the cloud may or may not have applied it.`;
  return new CancelKitError('Transient', message, {
    cause: error,
    ambiguous: !beforeSend,
    hint: beforeSend ? 'Check the endpoint and your network or proxy settings.' : undefined,
  });
}

/** Loopback hosts, the only ones that may be reached over plain http without `allowInsecureHttp`. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Validates an endpoint URL (from config or `--endpoint`): http(s) only, no credentials, no path
 * tricks; plain http only for loopback unless forced.
 */
export function checkEndpoint(endpoint: string, allowInsecureHttp: boolean, field = 'endpoint'): URL {
  let url: URL;
  try {
    url = new URL(endpoint.includes('://') ? endpoint : `https://${endpoint}`);
  } catch {
    throw new CancelKitError('InvalidInput', `${field}: "${endpoint}" is not a URL`, {
      issues: [{ field, message: 'is not a URL', hint: 'use https://host[:port]' }],
    });
  }
  const problems: string[] = [];
  if (url.protocol !== 'https:' && url.protocol !== 'http:') problems.push(`protocol ${url.protocol} is not http(s)`);
  if (url.username || url.password) problems.push('must not contain credentials');
  if (url.protocol === 'http:' && !allowInsecureHttp && !isLoopbackHost(url.hostname)) {
    problems.push('plain http is only allowed for loopback addresses (use https, or force it with allowInsecureHttp)');
  }
  if (problems.length > 0) {
    throw new CancelKitError('InvalidInput', `${field}: ${problems.join('; ')}`, {
      issues: problems.map((message) => ({ field, message })),
    });
  }
  return url;
}
