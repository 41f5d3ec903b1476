/**
 * Test fixtures: a tiny "cloud" over real HTTP on 127.0.0.1 and a plugin package on disk that talks to
 * it, written as plain ESM importing core's light entry by URL so it works from a temporary directory.
 * The plugin resolves a token credential and sends it, so tests can prove it never reaches output.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { CliIo, SignalName } from '../io.js';

export const FIXTURE_TOKEN = 'fixture-secret-token-0123456789';

/** Job states the fixture cloud knows; the special ones fail every call on that job. */
export type JobStatus = 'running' | 'done' | 'cancelled' | 'locked' | 'unauthorized' | 'forbidden' | 'throttle' | 'boom' | 'echo-secret' | 'slow';

export interface FixtureRequest {
  method: string;
  path: string;
  token: string | undefined;
}

export interface FixtureCloud {
  readonly url: string;
  readonly jobs: Map<string, JobStatus>;
  readonly requests: FixtureRequest[];
  cancelRequests(id?: string): FixtureRequest[];
  stop(): Promise<void>;
}

export async function startFixtureCloud(): Promise<FixtureCloud> {
  const jobs = new Map<string, JobStatus>();
  const requests: FixtureRequest[] = [];
  let counter = 0;
  const server = http.createServer((req, res) => {
    const token = req.headers['x-fixture-token'] as string | undefined;
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push({ method: req.method ?? '', path: url.pathname, token });
    const requestId = `req-${++counter}`;
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': requestId });
      res.end(JSON.stringify({ requestId, ...(body as object) }));
    };
    if (token !== FIXTURE_TOKEN) return send(401, { code: 'Auth.Failed', message: 'bad token' });
    const match = /^\/jobs\/([^/]+)(\/cancel)?$/.exec(url.pathname);
    if (!match) return send(404, { code: 'NoSuchApi', message: 'no such api' });
    const id = decodeURIComponent(match[1] as string);
    const isCancel = match[2] !== undefined && req.method === 'POST';
    const status = jobs.get(id);
    const respond = () => {
      if (status === undefined) return send(404, { code: 'Job.NotFound', message: `job ${id} does not exist` });
      if (status === 'unauthorized') return send(401, { code: 'Auth.Failed', message: 'key revoked' });
      if (status === 'throttle') return send(429, { code: 'Throttling', message: 'slow down' });
      if (status === 'boom') return send(500, { code: 'InternalError', message: 'server exploded' });
      if (status === 'echo-secret') return send(500, { code: 'InternalError', message: `server echoed ${token}` });
      if (!isCancel) return send(200, { status });
      if (status === 'forbidden') return send(403, { code: 'Forbidden', message: 'not allowed' });
      if (status === 'running' || status === 'slow') {
        jobs.set(id, 'cancelled');
        return send(200, { status: 'cancelled' });
      }
      if (status === 'locked') return send(409, { code: 'Job.Locked', message: 'locked by maintenance' });
      return send(409, { code: 'Job.Finished', message: `job is ${status}` });
    };
    if (status === 'slow') setTimeout(respond, 150);
    else respond();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    jobs,
    requests,
    cancelRequests: (id) => requests.filter((r) => r.method === 'POST' && (id === undefined || r.path === `/jobs/${encodeURIComponent(id)}/cancel`)),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const MANIFESTS = `
const common = {
  provider: 'fixture',
  service: 'fixture.jobs',
  docsUrl: 'https://example.invalid/fixture-jobs',
  coreRange: '^0.1.0',
};
export default [
  {
    ...common,
    id: 'fixture.jobs.job',
    operation: 'job',
    title: 'Fixture job',
    description: 'A job on the fixture cloud.',
    paramsSchema: {
      type: 'object',
      properties: {
        region: { type: 'string', description: 'Region of the job.' },
        jobId: { type: 'string', description: 'Id of the job to cancel.' },
        priority: { type: 'integer', description: 'A number, to test conversion.' },
      },
      required: ['region', 'jobId'],
    },
    targetParam: 'jobId',
    capabilities: { inspect: true, batch: false, wait: true },
    examples: [{ region: 'r1', jobId: 'job-1' }],
  },
  {
    ...common,
    id: 'fixture.jobs.bulk',
    operation: 'bulk',
    title: 'Fixture jobs in bulk',
    paramsSchema: {
      type: 'object',
      properties: { ids: { type: 'array', items: { type: 'string' }, description: 'Job ids.' } },
      required: ['ids'],
    },
    targetParam: 'ids',
    capabilities: { inspect: true, batch: true, wait: true },
  },
];
`;

function pluginSource(coreUrl: string): string {
  return `
import { definePlugin, CancelKitError, invalidInput } from ${JSON.stringify(coreUrl)};
import manifests from './manifest.js';

const tokenSource = {
  provider: 'fixture',
  description: 'providers.fixture.token or FIXTURE_TOKEN',
  async resolve(request) {
    const token = request.providerConfig.token ?? request.env.FIXTURE_TOKEN;
    if (!token) throw new CancelKitError('Unauthenticated', 'No fixture token found.', { hint: 'Set FIXTURE_TOKEN.' });
    return { token };
  },
  secretsOf: (c) => [c.token],
};

const CODES = { 401: 'Unauthenticated', 403: 'PermissionDenied', 404: 'NotFound', 409: 'NotCancellable', 429: 'Throttled', 500: 'Transient' };

async function call(ctx, method, path) {
  if (!ctx.endpoint) throw new CancelKitError('InvalidInput', 'fixture needs an endpoint', { hint: 'pass --endpoint' });
  const { token } = await ctx.credentials(tokenSource);
  ctx.logger.debug('calling fixture cloud', { method, path, authorization: token });
  const res = await fetch(ctx.endpoint + path, { method, headers: { 'x-fixture-token': token }, signal: ctx.signal });
  const body = await res.json();
  if (res.status >= 400) {
    throw new CancelKitError(CODES[res.status] ?? 'Unknown', body.message, { providerCode: body.code, providerMessage: body.message, requestId: body.requestId, httpStatus: res.status });
  }
  return body;
}

function state(id, body) {
  const s = body.status;
  return {
    target: id, found: true, status: s, requestId: body.requestId,
    terminal: s === 'done' || s === 'cancelled', cancelled: s === 'cancelled',
    cancellable: s === 'running' || s === 'slow' || s === 'forbidden',
    ...(s === 'locked' ? { reason: 'locked by maintenance' } : {}),
  };
}

async function inspectOne(id, ctx) {
  try {
    return state(id, await call(ctx, 'GET', '/jobs/' + encodeURIComponent(id)));
  } catch (error) {
    if (error.code === 'NotFound') return { target: id, found: false, terminal: false, cancelled: false, cancellable: false, requestId: error.requestId };
    throw error;
  }
}

async function cancelOne(id, ctx) {
  try {
    const body = await call(ctx, 'POST', '/jobs/' + encodeURIComponent(id) + '/cancel');
    return { target: id, outcome: 'cancelled', requestId: body.requestId };
  } catch (error) {
    if (error.code === 'NotFound') return { target: id, outcome: 'not-found', requestId: error.requestId, providerCode: error.providerCode };
    if (error.providerCode === 'Job.Finished') return { target: id, outcome: 'already-finished', requestId: error.requestId, reason: error.message };
    throw error;
  }
}

const [jobManifest, bulkManifest] = manifests;

export const job = definePlugin({
  manifest: jobManifest,
  credentialSources: [tokenSource],
  parse(input) {
    const issues = [];
    if (typeof input?.region !== 'string' || input.region === '') issues.push({ field: 'region', message: 'is required' });
    if (typeof input?.jobId !== 'string' || !/^job-[a-z0-9-]+$/.test(input.jobId)) issues.push({ field: 'jobId', message: 'must look like job-…', hint: 'e.g. job-1' });
    if (input?.priority !== undefined && !Number.isInteger(input.priority)) issues.push({ field: 'priority', message: 'must be an integer' });
    if (issues.length > 0) throw invalidInput(issues);
    return { region: input.region, jobId: input.jobId };
  },
  targets: (p) => [p.jobId],
  inspect: async (p, ctx) => [await inspectOne(p.jobId, ctx)],
  cancel: async (p, ctx) => [await cancelOne(p.jobId, ctx)],
});

export const bulk = definePlugin({
  manifest: bulkManifest,
  credentialSources: [tokenSource],
  parse(input) {
    const ids = input?.ids;
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((x) => typeof x === 'string' && x.length > 0)) {
      throw invalidInput([{ field: 'ids', message: 'must be one or more ids' }]);
    }
    return { ids };
  },
  targets: (p) => p.ids,
  select: (_p, targets) => ({ ids: [...targets] }),
  inspect: async (p, ctx) => Promise.all(p.ids.map((id) => inspectOne(id, ctx))),
  cancel: async (p, ctx) => Promise.all(p.ids.map((id) => cancelOne(id, ctx))),
});

export default [job, bulk];
`;
}

export interface FixtureWorkspace {
  /** A directory with cancelkit.config.json naming the fixture plugin (discovery off). */
  readonly dir: string;
  readonly pluginDir: string;
  /** Writes a file into the workspace; returns its path. */
  file(name: string, content: string): string;
  cleanup(): void;
}

/** Creates a workspace whose config loads only the fixture plugin package. */
export function createFixtureWorkspace(options: { implementationThrows?: boolean; config?: Record<string, unknown> } = {}): FixtureWorkspace {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cancelkit-cli-test-'));
  const pluginDir = path.join(dir, 'fixture-plugin');
  mkdirSync(pluginDir);
  writeFileSync(
    path.join(pluginDir, 'package.json'),
    JSON.stringify({
      name: 'cancelkit-plugin-fixture',
      version: '1.2.3',
      type: 'module',
      keywords: ['cancelkit-plugin'],
      cancelkit: { manifest: './manifest.js', plugin: './index.js' },
    }),
  );
  writeFileSync(path.join(pluginDir, 'manifest.js'), MANIFESTS);
  const coreUrl = import.meta.resolve('@cancelkit/core/plugin');
  writeFileSync(
    path.join(pluginDir, 'index.js'),
    options.implementationThrows ? `throw new Error('the fixture implementation was imported');\n` : pluginSource(coreUrl),
  );
  writeFileSync(path.join(dir, 'cancelkit.config.json'), JSON.stringify({ plugins: ['./fixture-plugin'], discover: false, ...options.config }));
  return {
    dir,
    pluginDir,
    file(name, content) {
      const file = path.join(dir, name);
      writeFileSync(file, content);
      return file;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface CapturedIo extends CliIo {
  readonly out: () => string;
  readonly err: () => string;
  /** Delivers a signal to the handlers the command registered. */
  signal(name: SignalName): void;
  /** Closes stdout as a reader going away would (EPIPE): later writes are dropped. */
  closeStdout(): void;
}

export function captureIo(options: { cwd: string; env?: Record<string, string | undefined>; tty?: boolean; stdin?: string }): CapturedIo {
  let out = '';
  let err = '';
  const handlers = new Set<(s: SignalName) => void>();
  const closedHandlers = new Set<() => void>();
  let closed = false;
  const stdin = new PassThrough();
  if (options.stdin !== undefined) stdin.end(options.stdin);
  return {
    stdout: {
      write: (s: string) => {
        if (!closed) out += s;
        return !closed;
      },
      isTTY: options.tty ?? false,
      columns: 120,
    },
    stderr: { write: (s: string) => (err += s), isTTY: options.tty ?? false, columns: 120 },
    stdin,
    env: options.env ?? { FIXTURE_TOKEN },
    cwd: options.cwd,
    onSignal(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    onStdoutClosed(handler) {
      closedHandlers.add(handler);
      return () => closedHandlers.delete(handler);
    },
    stdoutClosed: () => closed,
    out: () => out,
    err: () => err,
    signal(name) {
      for (const h of [...handlers]) h(name);
    },
    closeStdout() {
      closed = true;
      for (const h of [...closedHandlers]) h();
    },
  };
}
