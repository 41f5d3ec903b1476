/**
 * The shared HTTP client: one got instance per kit, created lazily (got costs ~100 ms to import, and
 * `plugins list` or `--help` must not pay it). got's own retry is off: the engine owns retries, so that
 * only retryable errors are retried and an ambiguous failure can be reconciled first.
 */
import http from 'node:http';
import https from 'node:https';
import { CancelKitError } from './errors.js';
import type { HttpClient } from './transport.js';
import { USER_AGENT } from './version.js';

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

/** Whether this Node's http.Agent takes `proxyEnv` (Node >= 22.21 on 22, >= 24.5 on 24, any later major). */
export function agentSupportsProxyEnv(version: string = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major === 22) return minor >= 21;
  if (major === 24) return minor >= 5;
  return major >= 25;
}

/**
 * Keep-alive agents that honour the standard proxy variables (Node's built-in `proxyEnv`, Node >= 22.21 /
 * 24.5). Loopback targets bypass the proxy so the emulator always works.
 */
export function createAgents(
  env: Readonly<Record<string, string | undefined>> = process.env,
  nodeVersion: string = process.versions.node,
): {
  http: http.Agent;
  https: https.Agent;
} {
  const proxies = proxyEnv(env);
  // An older Node ignores proxyEnv without a word: requests would go around the proxy the user set.
  if (proxies && !agentSupportsProxyEnv(nodeVersion)) {
    const names = Object.keys(proxies).join(', ');
    throw new CancelKitError('InvalidInput', `${names} is set, but Node ${nodeVersion} cannot send requests through a proxy.`, {
      hint: 'Use Node >= 22.21 or >= 24.5 (the workspace pins Node 24), or unset the proxy variables.',
    });
  }
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
