import { defineEmulation } from '@cancelkit/core/emulation';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeRpcProtocol } from './test-support/fake-protocols.js';
import { rpc, send, sendSigned } from './test-support/http.js';
import { startFake, stopAll } from './test-support/start.js';

afterEach(stopAll);

describe('routing RPC calls', () => {
  it('reads the action and version from the query', async () => {
    const emulator = await startFake();
    emulator.createOperation('fake.widgets', { widgetId: 'w-1' });
    const res = await rpc(emulator.url, 'DescribeWidgets');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json;charset=utf-8');
    expect(res.headers['x-fake-request-id']).toBe(res.json.RequestId);
    expect(res.json.Widgets).toEqual([{ WidgetId: 'w-1', Status: 'Running' }]);
  });

  it('reads the action and version from a form body', async () => {
    const emulator = await startFake();
    emulator.createOperation('fake.widgets', { widgetId: 'w-1' });
    const body = 'Action=CancelWidget&Version=2020-01-01&WidgetId=w-1';
    const res = await sendSigned(emulator.url, { method: 'POST', path: '/', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(200);
    expect(emulator.listOperations('fake.widgets')[0]?.status).toBe('Cancelled');
  });

  it('reads the action and version from headers', async () => {
    const emulator = await startFake();
    const res = await sendSigned(emulator.url, {
      method: 'GET',
      path: '/?Extra=1',
      headers: { 'x-fake-action': 'DescribeWidgets', 'x-fake-version': '2020-01-01' },
    });
    expect(res.status).toBe(200);
    expect(res.json.Params).toEqual({ Extra: '1' });
  });

  it('answers a known action with the wrong version with the protocol error for it', async () => {
    const emulator = await startFake();
    const res = await rpc(emulator.url, 'DescribeWidgets', { Version: '2019-01-01' });
    expect(res.status).toBe(400);
    expect(res.json.Code).toBe('InvalidVersion');
    expect(res.headers['x-fake-request-id']).toBe(res.json.RequestId);
    expect(emulator.requests().at(-1)).toMatchObject({ action: 'DescribeWidgets', status: 400, protocol: 'fake-rpc' });
  });

  it('answers an unknown action as the claiming protocol does', async () => {
    const emulator = await startFake();
    const res = await rpc(emulator.url, 'NoSuchAction');
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ Code: 'InvalidAction.NotFound' });
    expect(res.json.RequestId).toBeTypeOf('string');
  });

  it('answers handler errors in the protocol shape, and a crash as its server error', async () => {
    const emulator = await startFake();
    const missing = await rpc(emulator.url, 'CancelWidget', { WidgetId: 'nope' });
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ Code: 'InvalidWidgetId.NotFound', Message: 'The widget nope does not exist.' });

    const lines: string[] = [];
    const logged = await startFake({ log: (l) => lines.push(l) });
    const crash = await rpc(logged.url, 'Explode');
    expect(crash.status).toBe(503);
    expect(crash.json.Code).toBe('ServiceUnavailable');
    expect(crash.json.Message).not.toContain('kaboom');
    expect(logged.requests().at(-1)?.error).toContain('kaboom');
    expect(lines.some((l) => l.includes('Explode') && l.includes('kaboom'))).toBe(true);
  });
  it('logs an internal failure without the query string, which may hold a security token', async () => {
    // A handler answering a body JSON cannot serialise makes the emulator itself fail on the way out.
    const broken = defineEmulation({
      service: 'fake.broken',
      protocol: fakeRpcProtocol,
      fields: {},
      createOperation: (_fields, context) => ({ service: 'fake.broken', id: context.newId('b-'), status: 'Running' }),
      routes: [{ style: 'rpc', action: 'Unserialisable', version: '2020-01-01', handler: () => ({ status: 200, body: { n: 1n } }) }],
    });
    const lines: string[] = [];
    const emulator = await startFake({ emulations: [broken], log: (line) => lines.push(line) });
    const res = await rpc(emulator.url, 'Unserialisable', { SecurityToken: 'sts-token-secret-value' });
    expect(res.status).toBe(500);
    expect(res.text).not.toContain('sts-token-secret-value');
    expect(lines.join('\n')).not.toContain('sts-token-secret-value');
    expect(lines.some((l) => l.startsWith('internal error on POST /:'))).toBe(true);
  });
});

describe('routing ROA and REST calls by path', () => {
  it('decodes each path segment exactly once, keeping %2F inside its segment', async () => {
    const emulator = await startFake();
    const fsmId = 'ds@flow@186541/part%40x';
    emulator.createOperation('fake.fsm', { instanceId: 'ha-cn-1*', fsmId });
    const encoded = encodeURIComponent(fsmId); // ds%40flow%40186541%2Fpart%2540x
    const res = await sendSigned(emulator.url, { method: 'PUT', path: `/openapi/instances/ha-cn-1%2A/stop-task/${encoded}` });
    expect(res.status).toBe(200);
    expect(res.json.result).toEqual({ instanceId: 'ha-cn-1*', fsmId });
    expect(emulator.listOperations('fake.fsm')[0]?.status).toBe('stopped');
  });

  it('routes a ROA call that also carries an action header by its path', async () => {
    const emulator = await startFake();
    emulator.createOperation('fake.fsm', { instanceId: 'i-1', fsmId: 'f@1' });
    const res = await sendSigned(emulator.url, {
      method: 'GET',
      path: '/openapi/instances/i-1/tasks',
      headers: { 'x-fake-action': 'ListTasks', 'x-fake-version': '2021-10-25' },
    });
    expect(res.status).toBe(200);
    expect(res.json.result).toEqual([{ fsmId: 'f@1', status: 'running' }]);
  });

  it('answers an unknown ROA path and a wrong method with the ROA protocol shape', async () => {
    const emulator = await startFake();
    const unknownPath = await sendSigned(emulator.url, { method: 'PUT', path: '/openapi/instances/i-1/explode' });
    expect(unknownPath.status).toBe(404);
    expect(unknownPath.json).toMatchObject({ code: 'InvalidAction.NotFound' });
    expect(unknownPath.json.requestId).toBeTypeOf('string');
    const wrongMethod = await sendSigned(emulator.url, { method: 'POST', path: '/openapi/instances/i-1/stop-task/f' });
    expect(wrongMethod.status).toBe(404);
  });

  it('serves REST routes: 204 without a body, lists with query params, settings reach handlers', async () => {
    const emulator = await startFake({ settings: { notFoundCode: 'DBS.X' } });
    emulator.createOperation('fake.jobs', { jobId: 'j-1', projectId: 'p1' });
    const deleted = await sendSigned(emulator.url, { method: 'DELETE', path: '/v3/p1/jobs/j-1' });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect(deleted.headers['x-request-id']).toBeTypeOf('string');
    const listed = await sendSigned(emulator.url, { path: '/v3/p1/jobs?limit=10' });
    expect(listed.json).toEqual({ total_count: 1, jobs: [{ job_id: 'j-1', status: 'Canceled' }], settings: { notFoundCode: 'DBS.X' } });
    const again = await sendSigned(emulator.url, { method: 'DELETE', path: '/v3/p1/jobs/j-1' });
    expect(again.status).toBe(400);
    expect(again.json).toMatchObject({ error_code: 'DBS.200004', error_msg: 'Operation is illegal.' });
  });

  it('answers an unknown REST path with the claiming protocol (APIGW.0101) and anything else with a plain 404', async () => {
    const emulator = await startFake();
    const unknown = await send(emulator.url, { method: 'DELETE', path: '/v3/p1/nothing/here' });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ error_code: 'APIGW.0101' });
    expect(unknown.headers['x-request-id']).toBe(unknown.json.request_id);
    const nobody = await send(emulator.url, { path: '/favicon.ico' });
    expect(nobody.status).toBe(404);
    expect(nobody.json.error.code).toBe('NotFound');
    expect(emulator.requests().at(-1)).toMatchObject({ path: '/favicon.ico', status: 404 });
    expect(emulator.requests().at(-1)?.signature).toBeUndefined();
  });

  it('refuses bodies over 1 MiB with 413 before any protocol sees them', async () => {
    const emulator = await startFake();
    const res = await send(emulator.url, { method: 'POST', path: '/', body: Buffer.alloc(1024 * 1024 + 1, 97) });
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe('PayloadTooLarge');
    expect(emulator.requests()).toEqual([]);
  });
});
