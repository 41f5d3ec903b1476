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

  it('resetBefore drops the connection before the handler: nothing changes', async () => {
    const emulator = await startFake();
    emulator.createOperation('fake.widgets', { widgetId: 'w-1' });
    await adminJson(emulator.url, 'PUT', '/_emulator/faults', { resetBefore: 1 });
    expect(await outcome(rpc(emulator.url, 'CancelWidget', { WidgetId: 'w-1' }))).toBe('reset:ECONNRESET');
    expect(emulator.listOperations('fake.widgets')[0]?.status).toBe('Running');
    expect(emulator.requests().at(-1)).toMatchObject({ action: 'CancelWidget', fault: 'reset-before', status: 0, signature: { ok: true } });
    // The connection is gone, the emulator is not: the next call (no fault) goes through.
    emulator.clearFaults();
    expect((await rpc(emulator.url, 'CancelWidget', { WidgetId: 'w-1' })).status).toBe(200);
  });

  it('resetAfter applies the change, then drops the connection', async () => {
    const emulator = await startFake();
    emulator.createOperation('fake.widgets', { widgetId: 'w-1' });
    await adminJson(emulator.url, 'PUT', '/_emulator/faults', { resetAfter: 1 });
    expect(await outcome(rpc(emulator.url, 'CancelWidget', { WidgetId: 'w-1' }))).toBe('reset:ECONNRESET');
    expect(emulator.listOperations('fake.widgets')[0]).toMatchObject({ status: 'Cancelled', cancelledBy: 'cancelkit-demo-ak' });
    expect(emulator.requests().at(-1)).toMatchObject({ action: 'CancelWidget', fault: 'reset-after', status: 0 });
  });

  it('resetBefore and resetAfter are reproducible with a seed, each meeting only its own phase', async () => {
    const emulator = await startFake();
    const run = async (faults: Record<string, number>) => {
      emulator.reset();
      await adminJson(emulator.url, 'PUT', '/_emulator/faults', faults);
      const ids = Array.from({ length: 24 }, (_, i) => `w-${i}`);
      for (const id of ids) emulator.createOperation('fake.widgets', { widgetId: id });
      const out: string[] = [];
      for (const id of ids) out.push(await outcome(rpc(emulator.url, 'CancelWidget', { WidgetId: id })));
      const status = new Map(emulator.listOperations('fake.widgets').map((op) => [op.id, op.status]));
      return { out, faults: emulator.requests().map((r) => r.fault ?? 'none'), status: ids.map((id) => status.get(id)) };
    };
    const before = await run({ resetBefore: 0.5, seed: 2024 });
    expect(new Set(before.faults)).toEqual(new Set(['none', 'reset-before']));
    before.faults.forEach((fault, i) => {
      expect(before.out[i]).toBe(fault === 'none' ? 'ok' : 'reset:ECONNRESET');
      expect(before.status[i]).toBe(fault === 'none' ? 'Cancelled' : 'Running');
    });
    expect(await run({ resetBefore: 0.5, seed: 2024 })).toEqual(before);

    const after = await run({ resetAfter: 0.5, seed: 2024 });
    expect(new Set(after.faults)).toEqual(new Set(['none', 'reset-after']));
    after.faults.forEach((fault, i) => {
      expect([after.out[i], after.status[i]]).toEqual([fault === 'none' ? 'ok' : 'reset:ECONNRESET', 'Cancelled']);
    });
    expect(await run({ resetAfter: 0.5, seed: 2024 })).toEqual(after);
    // Same seed and probability: the same calls are hit, only the phase differs.
    expect(after.faults.map((f) => f !== 'none')).toEqual(before.faults.map((f) => f !== 'none'));
    expect((await run({ resetAfter: 0.5, seed: 7 })).faults).not.toEqual(after.faults);
  });

  it('validates resetBefore and resetAfter like the other probabilities, naming the field', async () => {
    const emulator = await startFake();
    const bad = await adminJson(emulator.url, 'PUT', '/_emulator/faults', { resetBefore: 1.5, resetAfter: 'often' });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: 'InvalidInput', field: 'resetBefore' });
    expect(bad.json.error.issues.map((i: { field: string }) => i.field)).toEqual(['resetBefore', 'resetAfter']);
    expect(bad.json.error.issues[1].message).toContain('must be a probability from 0 to 1');
    expect(() => emulator.setFaults({ resetAfter: -0.1 })).toThrow(/resetAfter/);
    const ok = await adminJson(emulator.url, 'PUT', '/_emulator/faults', { resetBefore: 0.1, resetAfter: null, seed: 3 });
    expect(ok.json.faults).toEqual({ resetBefore: 0.1, seed: 3 });
    const index = await adminJson(emulator.url, 'GET', '/_emulator/');
    expect(Object.keys(index.json.faultFields)).toEqual(expect.arrayContaining(['reset', 'resetBefore', 'resetAfter']));
    expect(index.json.admin['PUT /_emulator/faults']).toContain('"resetBefore": 0..1, "resetAfter": 0..1');
  });

  it('deny refuses the named actions (or services) with a 403 after authentication, changes nothing, and leaves other calls alone', async () => {
    const emulator = await startFake();
    emulator.createOperation('fake.widgets', { widgetId: 'w-1' });
    const set = await adminJson(emulator.url, 'PUT', '/_emulator/faults', { deny: ['CancelWidget', 'CancelWidget'] });
    expect(set.json.faults).toMatchObject({ deny: ['CancelWidget'] });
    const denied = await rpc(emulator.url, 'CancelWidget', { WidgetId: 'w-1' });
    // The fake protocol has no forbidden(): the emulator's plain 403 stands in.
    expect([denied.status, denied.json.Code]).toEqual([403, 'Forbidden']);
    expect(emulator.listOperations('fake.widgets')[0]?.status).toBe('Running');
    expect(emulator.requests().at(-1)).toMatchObject({ action: 'CancelWidget', fault: 'deny', status: 403, signature: { ok: true } });
    expect((await rpc(emulator.url, 'DescribeWidgets')).status).toBe(200);
    // A wrong signature is still refused as such: permission is checked only for an authenticated caller.
    expect((await rpc(emulator.url, 'CancelWidget', { WidgetId: 'w-1' }, { secret: 'wrong' })).json.Code).not.toBe('Forbidden');

    // The faults read back are a copy: editing them changes nothing.
    emulator.currentFaults().deny?.push('DescribeWidgets');
    expect((await rpc(emulator.url, 'DescribeWidgets')).status).toBe(200);

    emulator.setFaults({ deny: ['fake.widgets'] });
    expect((await rpc(emulator.url, 'DescribeWidgets')).status).toBe(403);
    emulator.setFaults({ deny: ['*'] });
    expect((await rpc(emulator.url, 'DescribeWidgets')).status).toBe(403);
    emulator.setFaults({});
    expect((await rpc(emulator.url, 'CancelWidget', { WidgetId: 'w-1' })).status).toBe(200);
  });

  it('deny draws nothing from the seeded PRNG: the same seed meets the same faults with or without it', async () => {
    const emulator = await startFake();
    // Denied calls interleaved with allowed ones: the allowed ones meet exactly the faults they meet alone.
    emulator.setFaults({ throttle: 0.5, seed: 11, deny: ['Explode'] });
    const interleaved: string[] = [];
    for (let i = 0; i < 20; i++) {
      expect(await outcome(rpc(emulator.url, 'Explode'))).toBe('403 Forbidden');
      interleaved.push(await outcome(rpc(emulator.url, 'DescribeWidgets')));
    }
    emulator.setFaults({ throttle: 0.5, seed: 11 });
    const alone: string[] = [];
    for (let i = 0; i < 20; i++) alone.push(await outcome(rpc(emulator.url, 'DescribeWidgets')));
    expect(interleaved).toEqual(alone);
    expect(new Set(alone)).toEqual(new Set(['ok', '400 Throttling.User']));
  });

  it('validates deny, naming the entry at fault', async () => {
    const emulator = await startFake();
    for (const [deny, field] of [
      ['CancelWidget', 'deny'],
      [['CancelWidget', 'bad name'], 'deny[1]'],
      [[7], 'deny[0]'],
      [['x\r\ny'], 'deny[0]'],
      [Array.from({ length: 300 }, (_, i) => `A${i}`), 'deny'],
    ] as const) {
      const bad = await adminJson(emulator.url, 'PUT', '/_emulator/faults', { deny });
      expect(bad.status, JSON.stringify(deny).slice(0, 40)).toBe(400);
      expect(bad.json.error).toMatchObject({ code: 'InvalidInput', field });
    }
    const index = await adminJson(emulator.url, 'GET', '/_emulator/');
    expect(index.json.faultFields.deny).toContain('permission error');
  });

  it('refuses a deny entry with "*" inside a name, which would never match, and still accepts "*" alone', async () => {
    const emulator = await startFake();
    emulator.createOperation('fake.widgets', { widgetId: 'w-1' });
    const glob = await adminJson(emulator.url, 'PUT', '/_emulator/faults', { deny: ['Cancel*'] });
    expect(glob.status).toBe(400);
    expect(glob.json.error).toMatchObject({ code: 'InvalidInput', field: 'deny[0]' });
    expect(() => emulator.setFaults({ deny: ['fake.*'] })).toThrow(/deny\[0\]/);
    // Nothing was set: the cancel goes through rather than being silently "denied" by a no-op entry.
    expect(emulator.currentFaults().deny).toBeUndefined();
    const all = await adminJson(emulator.url, 'PUT', '/_emulator/faults', { deny: ['*'] });
    expect(all.status).toBe(200);
    expect((await rpc(emulator.url, 'CancelWidget', { WidgetId: 'w-1' })).status).toBe(403);
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
    emulator.setFaults({ throttle: 1, serverError: 1, reset: 1, resetBefore: 1, resetAfter: 1, maxQps: 1 });
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
