import { afterEach, describe, expect, it } from 'vitest';
import { mulberry32 } from './rng.js';
import { adminJson, rpc } from './test-support/http.js';
import { startFake, stopAll } from './test-support/start.js';

afterEach(stopAll);

async function outcome(promise: Promise<{ status: number; json: { Code?: string } }>): Promise<string> {
  try {
    const res = await promise;
    return res.status === 200 ? 'ok' : `${res.status} ${res.json?.Code}`;
  } catch (error) {
    return `reset:${(error as NodeJS.ErrnoException).code}`;
  }
}

describe('faults', () => {
  it('throttle answers with the protocol throttling error and changes nothing', async () => {
    const emulator = await startFake();
    emulator.createOperation('fake.widgets', { widgetId: 'w-1' });
    emulator.setFaults({ throttle: 1 });
    const res = await rpc(emulator.url, 'CancelWidget', { WidgetId: 'w-1' });
    expect([res.status, res.json.Code]).toEqual([400, 'Throttling.User']);
    expect(res.headers['x-fake-request-id']).toBe(res.json.RequestId);
    expect(emulator.listOperations('fake.widgets')[0]?.status).toBe('Running');
    expect(emulator.requests().at(-1)).toMatchObject({ fault: 'throttle', status: 400 });
  });

  it('serverError answers with the protocol 5xx error', async () => {
    const emulator = await startFake();
    emulator.createOperation('fake.widgets', { widgetId: 'w-1' });
    await adminJson(emulator.url, 'PUT', '/_emulator/faults', { serverError: 1 });
    const res = await rpc(emulator.url, 'CancelWidget', { WidgetId: 'w-1' });
    expect([res.status, res.json.Code]).toEqual([503, 'ServiceUnavailable']);
    expect(emulator.listOperations('fake.widgets')[0]?.status).toBe('Running');
  });

  it('reset drops the connection before the change (unchanged) or after it (changed), both happening', async () => {
    const emulator = await startFake();
    emulator.setFaults({ reset: 1, seed: 99 });
    const ids = Array.from({ length: 12 }, (_, i) => `w-${i}`);
    for (const id of ids) emulator.createOperation('fake.widgets', { widgetId: id });
    const results: string[] = [];
    for (const id of ids) results.push(await outcome(rpc(emulator.url, 'CancelWidget', { WidgetId: id })));
    expect(results.every((r) => r === 'reset:ECONNRESET')).toBe(true);

    const log = emulator.requests();
    const byId = new Map(emulator.listOperations('fake.widgets').map((op) => [op.id, op.status]));
    const faults = log.map((entry) => entry.fault);
    expect(faults).toContain('reset-before');
    expect(faults).toContain('reset-after');
    ids.forEach((id, i) => {
      expect(log[i]?.status).toBe(0);
      expect(byId.get(id)).toBe(log[i]?.fault === 'reset-after' ? 'Cancelled' : 'Running');
    });
  });

  it('latencyMs delays cloud calls but not admin calls', async () => {
    const emulator = await startFake();
    emulator.setFaults({ latencyMs: 150 });
    let started = performance.now();
    await adminJson(emulator.url, 'GET', '/_emulator/operations');
    expect(performance.now() - started).toBeLessThan(140);
    started = performance.now();
    const res = await rpc(emulator.url, 'DescribeWidgets');
    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
  });

  it('maxQps throttles a burst beyond the limit within one second, then admits again', async () => {
    let now = Date.parse('2026-11-23T12:00:00Z');
    const emulator = await startFake({ now: () => now });
    emulator.setFaults({ maxQps: 3 });
    const burst = await Promise.all(Array.from({ length: 10 }, () => rpc(emulator.url, 'DescribeWidgets', {}, { date: now })));
    const statuses = burst.map((r) => (r.status === 200 ? 'ok' : r.json.Code));
    expect(statuses.filter((s) => s === 'ok')).toHaveLength(3);
    expect(statuses.filter((s) => s === 'Throttling.User')).toHaveLength(7);
    expect(emulator.requests().filter((r) => r.fault === 'maxQps')).toHaveLength(7);
    now += 1001;
    expect((await rpc(emulator.url, 'DescribeWidgets', {}, { date: now })).status).toBe(200);
  });

  it('never applies to admin calls', async () => {
    const emulator = await startFake();
    emulator.setFaults({ throttle: 1, serverError: 1, reset: 1, maxQps: 1 });
    for (let i = 0; i < 3; i++) {
      const res = await adminJson(emulator.url, 'POST', '/_emulator/operations', { service: 'fake.widgets' });
      expect(res.status).toBe(201);
    }
  });

  it('is reproducible with a seed', async () => {
    const emulator = await startFake();
    const run = async (seed: number) => {
      emulator.setFaults({ throttle: 0.4, serverError: 0.2, seed });
      const out: string[] = [];
      for (let i = 0; i < 30; i++) out.push(await outcome(rpc(emulator.url, 'DescribeWidgets')));
      return out;
    };
    const first = await run(1234);
    const second = await run(1234);
    expect(second).toEqual(first);
    expect(new Set(first)).toEqual(new Set(['ok', '400 Throttling.User', '503 ServiceUnavailable']));
    expect(await run(4321)).not.toEqual(first);
  });

  it('draws from mulberry32', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const values = Array.from({ length: 5 }, () => a());
    expect(values).toEqual(Array.from({ length: 5 }, () => b()));
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
  });
});
