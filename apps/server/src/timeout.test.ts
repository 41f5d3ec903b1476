/**
 * The request timeout holds for POST /v1/cancellations, against a slow (emulated) cloud: a dry run stops
 * at the deadline with a problem saying nothing was changed; a single cancel answers 202 before it, and
 * the cancel it already sent is still carried out and recorded in the audit trail.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ECS, type EmulatorWorld, startEmulatorWorld } from './test-support/emulator-world.js';
import { startTestServer, type TestServer, until } from './test-support/harness.js';

const REQUEST_TIMEOUT_MS = 800;
const LATENCY_MS = 300;

describe('the request timeout on POST /v1/cancellations (emulator at 300 ms per call, timeout 800 ms)', () => {
  let world: EmulatorWorld;
  let server: TestServer;

  beforeAll(async () => {
    world = await startEmulatorWorld();
    server = await startTestServer({
      plugins: world.plugins,
      database: ':memory:',
      cancelkit: world.cancelkit,
      limits: { requestTimeoutMs: REQUEST_TIMEOUT_MS },
    });
  });
  afterEach(() => world.emulator.clearFaults());
  afterAll(async () => {
    await server?.close();
    await world?.stop();
  });

  it('stops a dry run at the deadline: 504 problem+json saying what was inspected and that nothing changed', async () => {
    const tasks = Array.from({ length: 6 }, () => world.ecsTask());
    const callsBefore = world.emulator.requests().length;
    world.emulator.setFaults({ latencyMs: LATENCY_MS });
    const started = performance.now();
    const answer = await server.request('POST', '/v1/cancellations', {
      body: { targets: tasks.map((t) => ({ plugin: ECS.id, params: t.params })), dryRun: true },
    });
    const elapsed = performance.now() - started;
    // Without a deadline the six inspections take 6 × 300 ms and the answer is a 200.
    expect(answer.status, answer.text).toBe(504);
    expect(elapsed).toBeLessThan(REQUEST_TIMEOUT_MS + 300);
    expect(answer.headers.get('content-type')).toContain('application/problem+json');
    expect(answer.json).toMatchObject({ code: 'Transient', status: 504, type: 'urn:cancelkit:problem:transient' });
    expect(answer.json.detail).toMatch(/did not finish within the request timeout \(800 ms\): [0-2] of 6 targets were inspected/);
    expect(answer.json.detail).toContain('nothing was cancelled and no job was created');
    expect(world.cancelCalls()).toBe(0);
    expect((await server.request('GET', '/v1/cancellations')).json.jobs).toEqual([]);
    for (const t of tasks) expect(world.emulator.listOperations(ECS.service).find((op) => op.id === t.id)?.['status']).toBe('Processing');
    // The dry run stopped: no inspection started after the deadline (the emulator logs a call when it
    // answers it, so the one in flight at the deadline shows up a little later; then nothing more).
    await new Promise((r) => setTimeout(r, LATENCY_MS + 150));
    const calls = world.emulator.requests().length;
    expect(calls - callsBefore).toBeLessThanOrEqual(Math.ceil(REQUEST_TIMEOUT_MS / LATENCY_MS));
    await new Promise((r) => setTimeout(r, LATENCY_MS + 150));
    expect(world.emulator.requests().length).toBe(calls);
  });

  it('answers a single cancel with 202 before the deadline, and the cancel it sent is still carried out and audited', async () => {
    const task = world.ecsTask();
    // No precheck: the cancel call goes out at once and is still in flight when the deadline comes.
    world.emulator.setFaults({ latencyMs: LATENCY_MS * 3 });
    const started = performance.now();
    const answer = await server.request('POST', '/v1/cancellations', { body: { plugin: ECS.id, params: task.params, precheck: false } });
    expect(performance.now() - started).toBeLessThan(REQUEST_TIMEOUT_MS + 300);
    expect(answer.status, answer.text).toBe(202);
    expect(answer.json).toMatchObject({ kind: 'single', targets: [{ target: task.id, outcome: 'pending' }] });
    const location = answer.headers.get('location') ?? '';
    expect(location).toBe(`/v1/cancellations/${answer.json.id}`);

    const job = await until('the job to complete', async () => {
      const current = (await server.request('GET', location)).json;
      return current.status === 'completed' ? current : undefined;
    });
    expect(job.targets[0]).toMatchObject({ target: task.id, outcome: 'cancelled', requestId: expect.any(String) });
    expect(world.cancelCalls()).toBe(1);
    expect(world.emulator.listOperations(ECS.service).find((op) => op.id === task.id)?.['status']).not.toBe('Processing');
    const audit = (await server.request('GET', `/v1/cancellations?plugin=${ECS.id}&outcome=cancelled`)).json;
    expect(audit.jobs.map((j: { id: string }) => j.id)).toContain(answer.json.id);
  });
});
