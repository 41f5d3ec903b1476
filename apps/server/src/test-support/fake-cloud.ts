/**
 * A tiny cloud for the server's own tests: a real HTTP server on 127.0.0.1 holding operations, and a
 * plugin that calls it through core's transport. It lets the server be tested over real HTTP end to end
 * before (and besides) the real plugins and emulator.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CallContext, type CancellablePlugin, CancelKitError, type CancelOutcome, definePlugin, type OperationState, parseWithSchema } from '@cancelkit/core';
import { z } from 'zod';

export type FakeStatus = 'running' | 'done' | 'cancelled' | 'locked';

export interface FakeCloud {
  readonly url: string;
  readonly ops: Map<string, FakeStatus>;
  /** Every request received: path and ids. */
  readonly calls: { path: string; ids: string[] }[];
  /** Delay of every answer, ms. */
  delayMs: number;
  /** Answer cancels of these ids with HTTP 503 (a retryable failure) this many times. */
  flaky: Map<string, number>;
  add(status: FakeStatus, ...ids: string[]): void;
  cancelCalls(): string[][];
  close(): Promise<void>;
}

export async function startFakeCloud(): Promise<FakeCloud> {
  const ops = new Map<string, FakeStatus>();
  const calls: { path: string; ids: string[] }[] = [];
  let requestNo = 0;
  const cloud: Omit<FakeCloud, 'url' | 'close'> & { server?: Server } = {
    ops,
    calls,
    delayMs: 0,
    flaky: new Map(),
    add(status, ...ids) {
      for (const id of ids) ops.set(id, status);
    },
    cancelCalls: () => calls.filter((c) => c.path === '/cancel').map((c) => c.ids),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const requestId = `fake-req-${++requestNo}`;
      let ids: string[] = [];
      try {
        ids = (JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { ids?: string[] }).ids ?? [];
      } catch {
        /* bad body: answered below */
      }
      calls.push({ path: req.url ?? '', ids });
      const answer = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': requestId });
        res.end(JSON.stringify(body));
      };
      setTimeout(() => {
        if (req.url === '/inspect') {
          answer(
            200,
            ids.map((id) => {
              const status = ops.get(id);
              return status === undefined
                ? { target: id, found: false, terminal: false, cancelled: false, cancellable: false, requestId }
                : {
                    target: id,
                    found: true,
                    status,
                    terminal: status === 'done' || status === 'cancelled',
                    cancelled: status === 'cancelled',
                    cancellable: status === 'running',
                    ...(status === 'locked' ? { reason: 'locked by maintenance' } : {}),
                    requestId,
                  };
            }),
          );
          return;
        }
        if (req.url === '/cancel') {
          for (const id of ids) {
            const left = cloud.flaky.get(id) ?? 0;
            if (left > 0) {
              cloud.flaky.set(id, left - 1);
              answer(503, { code: 'ServiceUnavailable' });
              return;
            }
          }
          answer(
            200,
            ids.map((id) => {
              const status = ops.get(id);
              if (status === undefined) return { target: id, outcome: 'not-found', requestId };
              if (status === 'running') {
                ops.set(id, 'cancelled');
                return { target: id, outcome: 'cancelled', requestId };
              }
              if (status === 'locked') return { target: id, outcome: 'not-cancellable', reason: 'locked by maintenance', requestId };
              return { target: id, outcome: 'already-finished', requestId };
            }),
          );
          return;
        }
        answer(404, { code: 'NoSuchApi' });
      }, cloud.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(cloud, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  }) as FakeCloud;
}

const FakeParamsSchema = z.strictObject({
  ids: z.array(z.string().regex(/^[a-z0-9-]+$/, 'must be lower-case letters, digits and dashes')).min(1),
  region: z.string().optional(),
});
type FakeParams = z.infer<typeof FakeParamsSchema>;

async function post<T>(ctx: CallContext, path: string, ids: string[]): Promise<T> {
  if (!ctx.endpoint) throw new CancelKitError('InvalidInput', 'The fake plugin needs an endpoint.');
  const http = await ctx.http();
  const response = await http.post(`${ctx.endpoint}${path}`, { json: { ids }, signal: ctx.signal });
  if (response.statusCode === 503) throw new CancelKitError('Transient', 'fake cloud unavailable', { providerCode: 'ServiceUnavailable', httpStatus: 503 });
  if (response.statusCode !== 200) throw new CancelKitError('Unknown', `fake cloud answered ${response.statusCode}`);
  return JSON.parse(response.body) as T;
}

/** A plugin for the fake cloud. `id` lets a test install several (for token limits). */
export function fakeCloudPlugin(id = 'fake.jobs.job', service = 'fake.jobs'): CancellablePlugin<FakeParams> {
  return definePlugin<FakeParams>({
    manifest: {
      id,
      provider: 'fake',
      service,
      operation: id.split('.').at(-1) ?? 'job',
      title: `Fake ${id}`,
      docsUrl: 'https://example.invalid/fake',
      paramsSchema: z.toJSONSchema(FakeParamsSchema) as Record<string, unknown>,
      targetParam: 'ids',
      capabilities: { inspect: true, batch: true, wait: true },
      coreRange: '^0.1.0',
      examples: [{ ids: ['job-1'] }],
    },
    parse: (input) => parseWithSchema(FakeParamsSchema, input),
    targets: (params) => params.ids,
    select: (params, targets) => ({ ...params, ids: [...targets] }),
    inspect: (params, ctx) => post<OperationState[]>(ctx, '/inspect', params.ids),
    cancel: (params, ctx) => post<CancelOutcome[]>(ctx, '/cancel', params.ids),
  });
}
