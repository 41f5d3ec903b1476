/**
 * Talking to a spawned `cancelkit-server`: its config (cloud backend pointed at the test's emulator, with
 * the fake credentials), authenticated JSON calls, and waiting for a job to finish.
 */
import type { World } from './world.js';
import { PROVIDERS } from './world.js';

/** API tokens of the test server; distinctive so the secret scans can look for them. */
export const API_TOKENS = Object.freeze({
  admin: 'reliability-api-token-admin-3b9f1c7e5a2d',
  /** May only use the ECS plugin. */
  ecsOnly: 'reliability-api-token-ecs-only-8d2e6a4c1f0b',
});

export interface ServerConfigOptions {
  database: string;
  timeoutMs?: number;
  logLevel?: string;
  limits?: Record<string, unknown>;
}

export function serverConfig(world: World, options: ServerConfigOptions): Record<string, unknown> {
  return {
    host: '127.0.0.1',
    port: 0,
    backend: 'cloud',
    database: options.database,
    tokens: [
      { name: 'reliability-admin', token: API_TOKENS.admin },
      { name: 'reliability-ecs', token: API_TOKENS.ecsOnly, plugins: ['alibaba.ecs.task'] },
    ],
    providers: PROVIDERS,
    endpoints: { '*': world.url },
    retry: { maxAttempts: 10, baseDelayMs: 20, maxDelayMs: 1_000 },
    timeoutMs: options.timeoutMs ?? 5_000,
    rateLimits: { '*': 30 },
    concurrency: 16,
    logLevel: options.logLevel ?? 'info',
    limits: {
      maxTargets: 100_000,
      bodyBytes: 8 * 1024 * 1024,
      rateLimit: { perSecond: 1_000, burst: 1_000 },
      shutdownGraceMs: 500,
      ...options.limits,
    },
  };
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
  readonly text: string;
}

/** One JSON call; `token: null` sends no Authorization header. */
export async function api(
  base: string,
  method: string,
  route: string,
  options: { token?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? API_TOKENS.admin : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(`${base}${route}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    /* not JSON: keep the text */
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

export interface JobView {
  readonly id: string;
  readonly status: string;
  readonly summary: Record<string, number>;
  readonly targets: readonly { plugin: string; target: string; outcome: string; reason?: string; error?: unknown }[];
}

/** Polls a job until it is completed or interrupted; `onProgress` gets the number of settled targets. */
export async function waitForJob(base: string, id: string, onProgress?: (settled: number) => void, timeoutMs = 600_000): Promise<JobView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await api(base, 'GET', `/v1/cancellations/${id}`);
    if (response.status !== 200) throw new Error(`GET job ${id}: HTTP ${response.status} ${response.text.slice(0, 300)}`);
    const job = response.body as JobView;
    onProgress?.((job.summary.total ?? 0) - (job.summary.pending ?? 0));
    if (job.status === 'completed' || job.status === 'interrupted') return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
