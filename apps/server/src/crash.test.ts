/**
 * A real `cancelkit-server` process (dist/bin.js, the five first-party plugins) cancels through the real
 * emulator, which runs in this test process so it outlives the server. The server is killed with SIGKILL
 * in the middle of a batch; after a restart on the same SQLite file every target is recorded as done or
 * interrupted — none lost, none left pending — and the emulator's state agrees with each record. Then
 * SIGTERM stops the restarted process gracefully.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTCOMES } from '@cancelkit/core';
import { ECS, type EmulatorWorld, startEmulatorWorld } from './test-support/emulator-world.js';
import { tempDir } from './test-support/harness.js';
import { SERVER_BIN, spawnServer } from './test-support/server-process.js';

const TOKEN = 'crash-test-token-0123456789';


async function api(url: string, method: string, urlPath: string, body?: unknown) {
  const response = await fetch(`${url}${urlPath}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  // biome-ignore lint/suspicious/noExplicitAny: test reads arbitrary JSON
  return { status: response.status, json: (await response.json()) as any };
}

describe('kill -9 in the middle of a batch (emulator backend)', () => {
  let world: EmulatorWorld;
  let temp: ReturnType<typeof tempDir>;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    if (!existsSync(SERVER_BIN)) throw new Error(`${SERVER_BIN} is missing: build the server first (npx tsc -p tsconfig.build.json).`);
    world = await startEmulatorWorld();
    temp = tempDir();
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await world?.stop();
    temp?.remove();
  });

  it('leaves every target recorded as done or interrupted after a restart', { timeout: 40_000 }, async () => {
    const configFile = path.join(temp.dir, 'server.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        ...world.serverConfigFields,
        host: '127.0.0.1',
        port: 0,
        database: './jobs.db',
        tokens: [{ name: 'ops', token: TOKEN }],
        logLevel: 'info',
        limits: { shutdownGraceMs: 5_000 },
      }),
    );
    const tasks = Array.from({ length: 12 }, () => world.ecsTask());
    world.emulator.setFaults({ latencyMs: 60 });

    const first = await spawnServer(configFile);
    children.push(first.child);
    const created = await api(first.url, 'POST', '/v1/cancellations', {
      targets: tasks.map((t) => ({ plugin: ECS.id, params: t.params })),
      concurrency: 2,
    });
    expect(created.status).toBe(202);
    const jobId: string = created.json.id;

    let settledBeforeKill: { target: string; outcome: string }[] = [];
    for (;;) {
      const job = (await api(first.url, 'GET', `/v1/cancellations/${jobId}`)).json;
      settledBeforeKill = job.targets.filter((t: { outcome: string }) => t.outcome !== 'pending');
      if (settledBeforeKill.length >= 3) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    // Cancels the killed server had on the wire have reached the emulator by now.
    await new Promise((r) => setTimeout(r, 200));
    world.emulator.clearFaults();

    const second = await spawnServer(configFile);
    children.push(second.child);
    const job = (await api(second.url, 'GET', `/v1/cancellations/${jobId}`)).json;
    expect(job.status).toBe('interrupted');
    expect(job.targets).toHaveLength(12);
    expect(job.summary.pending).toBe(0);
    for (const t of job.targets) expect([...OUTCOMES, 'interrupted']).toContain(t.outcome);
    expect(job.summary.interrupted).toBeGreaterThan(0);
    // What was recorded before the kill is still there, unchanged.
    for (const before of settledBeforeKill) {
      expect(job.targets.find((t: { target: string }) => t.target === before.target).outcome).toBe(before.outcome);
    }
    // The records agree with the cloud: each target recorded cancelled was cancelled there; each one the
    // cloud cancelled is recorded cancelled or flagged interrupted for inspection, never anything else.
    const cloudState = new Map(world.emulator.listOperations(ECS.service).map((op) => [op.id, op['status']]));
    for (const t of job.targets) {
      if (t.outcome === 'cancelled') expect(cloudState.get(t.target), t.target).not.toBe('Processing');
      if (cloudState.get(t.target) !== 'Processing') expect(['cancelled', 'interrupted'], t.target).toContain(t.outcome);
      if (t.outcome === 'interrupted') expect(t.reason).toMatch(/may or may not have reached the cloud/);
    }
    expect(second.output()).toContain('marked interrupted');

    const list = (await api(second.url, 'GET', '/v1/cancellations?outcome=interrupted')).json;
    expect(list.jobs.map((j: { id: string }) => j.id)).toContain(jobId);

    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  });
});
