/** Starts `buildServer` on 127.0.0.1:0 for a test and talks to it over real HTTP (fetch). */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CancelKitConfig, CancellablePlugin } from '@cancelkit/core';
import type { FastifyInstance } from 'fastify';
import type { TokenSpec } from '../auth.js';
import { type BuildServerOptions, buildServer } from '../server.js';

export const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
export const LIMITED_TOKEN = 'limited-token-0123456789abcdef';
export const TEST_TOKENS: TokenSpec[] = [
  { name: 'admin', token: ADMIN_TOKEN },
  { name: 'limited', token: LIMITED_TOKEN, plugins: ['fake.jobs.job'] },
];

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
  json: any;
}

export interface TestServer {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly logs: string[];
  request(method: string, path: string, options?: { token?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<Answer>;
  close(): Promise<void>;
}

export function tempDir(prefix = 'cancelkit-server-test-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function startTestServer(options: {
  plugins: readonly CancellablePlugin<unknown>[];
  database: string;
  cancelkit?: CancelKitConfig;
  tokens?: readonly TokenSpec[];
  limits?: BuildServerOptions['limits'];
  now?: () => number;
}): Promise<TestServer> {
  const logs: string[] = [];
  const app = buildServer({
    plugins: options.plugins,
    tokens: options.tokens ?? TEST_TOKENS,
    database: options.database,
    cancelkit: { retry: { baseDelayMs: 1, maxDelayMs: 5 }, ...options.cancelkit },
    limits: options.limits ?? {},
    log: { level: 'debug', destination: { write: (line: string) => void logs.push(line) } },
    defaultMetrics: false,
    ...(options.now ? { now: options.now } : {}),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    app,
    url,
    logs,
    async request(method, urlPath, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      const token = opts.token === undefined ? ADMIN_TOKEN : opts.token;
      if (token !== null) headers['authorization'] = `Bearer ${token}`;
      let body: string | undefined;
      if (opts.rawBody !== undefined) body = opts.rawBody;
      else if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(`${url}${urlPath}`, { method, headers, ...(body !== undefined ? { body } : {}) });
      const text = await response.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: response.status, headers: response.headers, text, json };
    },
    close: () => app.close(),
  };
}

/** Reads an SSE stream to its end: the events in order. */
export async function readEvents(url: string, token: string, headers: Record<string, string> = {}): Promise<{ id?: string; event: string; data: unknown }[]> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}`, ...headers } });
  if (response.status !== 200) throw new Error(`SSE answered ${response.status}: ${await response.text()}`);
  const text = await response.text();
  const events: { id?: string; event: string; data: unknown }[] = [];
  for (const block of text.split('\n\n')) {
    const fields: Record<string, string> = {};
    for (const line of block.split('\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      fields[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
    }
    if (fields['event'] && fields['data'] !== undefined) {
      events.push({ ...(fields['id'] ? { id: fields['id'] } : {}), event: fields['event'], data: JSON.parse(fields['data']) });
    }
  }
  return events;
}

/** Polls `fn` every 20 ms until it returns a value other than undefined or false; fails naming `what`. */
export async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
