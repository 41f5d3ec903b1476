import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_CREDENTIALS } from './options.js';
import { adminJson, rpc, send } from './test-support/http.js';
import { startFake, stopAll } from './test-support/start.js';

afterEach(stopAll);

describe('admin API', () => {
  it('serves an index with services, fields, endpoints and the demo credentials', async () => {
    const emulator = await startFake();
    for (const path of ['/_emulator/', '/_emulator']) {
      const res = await adminJson(emulator.url, 'GET', path);
      expect(res.status).toBe(200);
      expect(res.json.services.map((s: { service: string }) => s.service)).toEqual(['fake.widgets', 'fake.fsm', 'fake.jobs']);
      expect(res.json.services[0]).toMatchObject({ protocol: 'fake-rpc', provider: 'fake', fields: { widgetId: expect.any(String) } });
      expect(res.json.services[1].apis).toContain('PUT /openapi/instances/{instanceId}/stop-task/{fsmId} (StopTask)');
      expect(res.json.credentials.demo).toEqual(DEMO_CREDENTIALS);
      expect(Object.keys(res.json.admin)).toContain('POST /_emulator/operations');
    }
  });

  it('shows key ids but never a non-demo secret', async () => {
    const emulator = await startFake({ credentials: [{ accessKeyId: 'team-ak', secret: 'team-secret-value' }] });
    const res = await adminJson(emulator.url, 'GET', '/_emulator/');
    expect(res.json.credentials).toEqual({ accessKeyIds: ['team-ak'], tokens: 0 });
    expect(res.text).not.toContain('team-secret-value');
  });

  it('creates operations (201), lists them by service and returns one', async () => {
    const emulator = await startFake();
    const created = await adminJson(emulator.url, 'POST', '/_emulator/operations', { service: 'fake.widgets', status: 'Done' });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ service: 'fake.widgets', status: 'Done' });
    expect(created.json.id).toMatch(/^w-[0-9a-f]{16}$/);
    await adminJson(emulator.url, 'POST', '/_emulator/operations', { service: 'fake.jobs', jobId: 'j/1' });

    const widgets = await adminJson(emulator.url, 'GET', '/_emulator/operations?service=fake.widgets');
    expect(widgets.json.operations).toEqual([created.json]);
    const all = await adminJson(emulator.url, 'GET', '/_emulator/operations');
    expect(all.json.operations.map((o: { id: string }) => o.id)).toEqual([created.json.id, 'j/1']);
    const one = await adminJson(emulator.url, 'GET', `/_emulator/operations/fake.jobs/${encodeURIComponent('j/1')}`);
    expect(one.json).toMatchObject({ service: 'fake.jobs', id: 'j/1', status: 'Pending' });
    const none = await adminJson(emulator.url, 'GET', '/_emulator/operations/fake.jobs/nope');
    expect(none.status).toBe(404);
  });

  it('shows the current state after cloud calls changed it', async () => {
    const emulator = await startFake();
    await adminJson(emulator.url, 'POST', '/_emulator/operations', { service: 'fake.widgets', widgetId: 'w-9' });
    await rpc(emulator.url, 'CancelWidget', { WidgetId: 'w-9' });
    const listed = await adminJson(emulator.url, 'GET', '/_emulator/operations?service=fake.widgets');
    expect(listed.json.operations[0]).toMatchObject({ id: 'w-9', status: 'Cancelled', cancelledBy: DEMO_CREDENTIALS.accessKeyId });
  });

  it('names the field for bad input', async () => {
    const emulator = await startFake();
    const unknown = await adminJson(emulator.url, 'POST', '/_emulator/operations', { service: 'alibaba.nope' });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error).toMatchObject({ code: 'InvalidInput', field: 'service' });
    expect(unknown.json.error.message).toContain('fake.widgets, fake.fsm, fake.jobs');

    const missing = await adminJson(emulator.url, 'POST', '/_emulator/operations', { status: 'Running' });
    expect(missing.json.error).toMatchObject({ code: 'InvalidInput', field: 'service' });

    const badField = await adminJson(emulator.url, 'POST', '/_emulator/operations', { service: 'fake.widgets', status: 'Exploded' });
    expect(badField.status).toBe(400);
    expect(badField.json.error).toEqual({ code: 'InvalidParameter', message: 'status must be one of Running, Done, Cancelled.' });

    const misspelt = await adminJson(emulator.url, 'POST', '/_emulator/operations', { service: 'fake.widgets', statu: 'Done' });
    expect(misspelt.status).toBe(400);
    expect(misspelt.json.error).toMatchObject({ code: 'InvalidInput', field: 'statu' });
    expect(misspelt.json.error.message).toContain('is not a field of fake.widgets');
    expect(emulator.listOperations('fake.widgets').filter((op) => op.status === 'Done')).toHaveLength(0);

    const badJson = await adminJson(emulator.url, 'POST', '/_emulator/operations', '{"service": ');
    expect(badJson.status).toBe(400);
    expect(badJson.json.error).toMatchObject({ code: 'InvalidJson', field: 'body' });

    const array = await adminJson(emulator.url, 'POST', '/_emulator/operations', ['fake.widgets']);
    expect(array.json.error).toMatchObject({ code: 'InvalidInput', field: 'body' });

    const unknownList = await adminJson(emulator.url, 'GET', '/_emulator/operations?service=nope');
    expect(unknownList.status).toBe(400);
    expect(unknownList.json.error.field).toBe('service');

    const badFaults = await adminJson(emulator.url, 'PUT', '/_emulator/faults', { throttle: 2, latencyMs: -1, flood: true });
    expect(badFaults.status).toBe(400);
    expect(badFaults.json.error.issues.map((i: { field: string }) => i.field).sort()).toEqual(['flood', 'latencyMs', 'throttle']);
    expect(emulator.listOperations()).toEqual([]);
  });

  it('answers unknown endpoints with 404 and wrong methods with 405', async () => {
    const emulator = await startFake();
    const unknown = await adminJson(emulator.url, 'GET', '/_emulator/nothing');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.endpoints).toContain('POST /_emulator/reset');
    const wrong = await adminJson(emulator.url, 'GET', '/_emulator/reset');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('POST');
  });

  it('puts, reads and deletes faults; reports the seed in use', async () => {
    const emulator = await startFake();
    const put = await adminJson(emulator.url, 'PUT', '/_emulator/faults', { throttle: 0.25, maxQps: 50, seed: 7 });
    expect(put.json.faults).toEqual({ throttle: 0.25, maxQps: 50, seed: 7 });
    expect((await adminJson(emulator.url, 'GET', '/_emulator/faults')).json.faults).toEqual({ throttle: 0.25, maxQps: 50, seed: 7 });
    const cleared = await adminJson(emulator.url, 'DELETE', '/_emulator/faults');
    expect(Object.keys(cleared.json.faults)).toEqual(['seed']);
  });

  it('lists received cloud requests (not admin ones) and resets everything', async () => {
    const lines: string[] = [];
    const emulator = await startFake({ log: (line) => lines.push(line) });
    emulator.createOperation('fake.widgets', { widgetId: 'w-1' });
    emulator.setFaults({ latencyMs: 1 });
    await rpc(emulator.url, 'CancelWidget', { WidgetId: 'w-1', SecurityToken: 'sts-token-value' });
    await send(emulator.url, { method: 'DELETE', path: '/v3/p/jobs/x' });
    const log = await adminJson(emulator.url, 'GET', '/_emulator/requests');
    expect(log.json.requests).toHaveLength(2);
    expect(log.json.requests[0]).toMatchObject({
      method: 'POST',
      path: '/',
      action: 'CancelWidget',
      service: 'fake.widgets',
      protocol: 'fake-rpc',
      signature: { scheme: 'FAKE-HMAC', ok: true },
      status: 200,
      accessKeyId: DEMO_CREDENTIALS.accessKeyId,
    });
    expect(Date.parse(log.json.requests[0].time)).not.toBeNaN();
    expect(log.json.requests[0].durationMs).toBeGreaterThan(0);
    expect(log.text).not.toContain('sts-token-value');
    expect(lines.filter((l) => l.includes(' CancelWidget fake.widgets 200 FAKE-HMAC:ok '))).toHaveLength(1);
    expect(lines.join('\n')).not.toMatch(/sts-token-value|cancelkit-demo-sk/);
    expect(log.json.requests[1]).toMatchObject({ method: 'DELETE', path: '/v3/p/jobs/x', status: 401, signature: { ok: false, code: 'APIGW.0301' } });

    const reset = await adminJson(emulator.url, 'POST', '/_emulator/reset');
    expect(reset.json).toEqual({ reset: true });
    expect(emulator.listOperations()).toEqual([]);
    expect(emulator.requests()).toEqual([]);
    expect(Object.keys(emulator.currentFaults())).toEqual(['seed']);
  });
});

describe('programmatic API', () => {
  it('creates, lists copies, refuses unknown services and resets', async () => {
    const emulator = await startFake();
    expect(emulator.services).toEqual(['fake.widgets', 'fake.fsm', 'fake.jobs']);
    const op = emulator.createOperation('fake.widgets');
    op.status = 'tampered';
    expect(emulator.listOperations('fake.widgets')[0]?.status).toBe('Running');
    expect(() => emulator.createOperation('nope.service')).toThrow(/service: "nope.service" is not an emulated service \(known services: fake.widgets/);
    expect(() => emulator.createOperation('fake.widgets', { status: 'x' })).toThrow(expect.objectContaining({ code: 'InvalidParameter', status: 400 }));
    expect(() => emulator.setFaults({ reset: -0.5 })).toThrow(expect.objectContaining({ code: 'InvalidInput', issues: [expect.objectContaining({ field: 'reset' })] }));
    emulator.reset();
    expect(emulator.listOperations()).toEqual([]);
  });
});
