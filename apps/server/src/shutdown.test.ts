/**
 * Graceful shutdown against the real emulator, for work already under way when it starts: a POST whose
 * headers arrived before the shutdown and whose body arrives during it is refused like every new request
 * (503 problem+json, Transient, Retry-After), creates no job and sends nothing to the cloud; and a live
 * SSE stream of a job the shutdown has to settle by force gets a `result` event for every target.
 */
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import type { CallContext, CancellablePlugin } from '@cancelkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStore } from './store.js';
import { ECS, type EmulatorWorld, startEmulatorWorld } from './test-support/emulator-world.js';
import { ADMIN_TOKEN, readEvents, startTestServer, tempDir, until } from './test-support/harness.js';

describe('graceful shutdown with a request under way (emulator backend)', () => {
  let world: EmulatorWorld;
  let temp: ReturnType<typeof tempDir>;

  beforeAll(async () => {
    world = await startEmulatorWorld();
    temp = tempDir();
  });
  afterAll(async () => {
    await world?.stop();
    temp?.remove();
  });

  it('answers 503 Transient to a POST whose body arrives once shutdown has begun; no job, nothing sent', async () => {
    const db = path.join(temp.dir, 'in-flight.db');
    const server = await startTestServer({ plugins: world.plugins, database: db, cancelkit: world.cancelkit });
    let closing: Promise<void> | undefined;
    try {
      const task = world.ecsTask();
      const cancelsBefore = world.cancelCalls();
      const body = JSON.stringify({ plugin: ECS.id, params: task.params });
      let sendRest!: () => void;
      const answer = new Promise<{ status: number; headers: Record<string, unknown>; text: string }>((resolve, reject) => {
        const req = httpRequest(
          `${server.url}/v1/cancellations`,
          { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              text += chunk;
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
          },
        );
        req.on('error', reject);
        // The headers (and so the request's authentication) go out now, the rest of the body later.
        req.flushHeaders();
        req.write(body.slice(0, 10));
        sendRest = () => req.end(body.slice(10));
      });
      // Let the server see the request before it starts shutting down.
      await until('the request to reach the server', () => server.logs.some((line) => line.includes('"msg":"incoming request"') && line.includes('/v1/cancellations')));
      closing = server.close();
      // The server stops listening once the job runner has stopped (preClose): shutdown is under way.
      await until('the server to stop listening', () => !server.app.server.listening);
      sendRest();
      const refused = await answer;
      await closing;

      expect(refused.status, refused.text).toBe(503);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(JSON.parse(refused.text)).toMatchObject({ code: 'Transient', status: 503, detail: 'The server is shutting down.' });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(world.cancelCalls()).toBe(cancelsBefore);
      expect(world.emulator.listOperations(ECS.service).find((op) => op.id === task.id)?.['status']).toBe('Processing');
      const store = new JobStore(db);
      try {
        expect(store.listJobs({ limit: 10 }).jobs).toEqual([]);
      } finally {
        store.close();
      }
    } finally {
      await (closing ?? server.close());
    }
  });
  it('streams a result event for every target when shutdown has to settle a job the engine does not let go of', { timeout: 20_000 }, async () => {
    // A plugin that ignores the abort: its first cancel holds the engine past the grace and abort periods,
    // so the shutdown settles the job itself (the cancel in flight and the three items never started).
    let hung: Promise<void> | undefined;
    const stubborn: CancellablePlugin<unknown> = {
      ...ECS.plugin,
      cancel: async (params: unknown, ctx: CallContext) => {
        hung ??= new Promise((resolve) => setTimeout(resolve, 3_000));
        await hung;
        return ECS.plugin.cancel(params, ctx);
      },
    };
    const plugins = world.plugins.map((p) => (p.manifest.id === ECS.id ? stubborn : p));
    const server = await startTestServer({ plugins, database: ':memory:', cancelkit: world.cancelkit, limits: { shutdownGraceMs: 50 } });
    let closing: Promise<void> | undefined;
    try {
      const tasks = Array.from({ length: 4 }, () => world.ecsTask());
      const batch = await server.request('POST', '/v1/cancellations', {
        body: { targets: tasks.map((t) => ({ plugin: ECS.id, params: t.params })), concurrency: 1, precheck: false },
      });
      expect(batch.status, batch.text).toBe(202);
      await until('the first cancel to be under way', () => hung !== undefined);
      const streamed = readEvents(`${server.url}${batch.json.links.events}`, ADMIN_TOKEN);
      await until('the stream to open', () => server.logs.some((line) => line.includes('"msg":"incoming request"') && line.includes('/events')));
      closing = server.close();
      const events = await streamed;
      await closing;

      const results = events.filter((e) => e.event === 'result');
      expect(results.map((e) => (e.data as { target: string }).target).sort()).toEqual(tasks.map((t) => t.id).sort());
      expect(results.every((e) => (e.data as { outcome: string }).outcome === 'interrupted')).toBe(true);
      // Event ids are the targets' seq, in order, so a client resuming with Last-Event-ID misses none.
      expect(results.map((e) => Number(e.id))).toEqual([1, 2, 3, 4]);
      expect(events.at(-1)).toMatchObject({ event: 'done', data: { status: 'interrupted', summary: { total: 4, interrupted: 4, pending: 0 } } });
    } finally {
      await (closing ?? server.close());
      await hung;
    }
  });
});
