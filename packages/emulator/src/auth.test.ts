import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_CREDENTIALS } from './options.js';
import { rpc, send, sendSigned } from './test-support/http.js';
import { startFake, stopAll } from './test-support/start.js';

afterEach(stopAll);

const NOW = Date.parse('2026-11-23T12:00:00Z');

describe('authentication through the route protocol', () => {
  it('refuses a wrong signature with the cloud code and changes nothing', async () => {
    const emulator = await startFake();
    emulator.createOperation('fake.widgets', { widgetId: 'w-1' });
    const res = await rpc(emulator.url, 'CancelWidget', { WidgetId: 'w-1' }, { secret: 'wrong-secret' });
    expect(res.status).toBe(400);
    expect(res.json.Code).toBe('SignatureDoesNotMatch');
    expect(res.text).not.toContain('wrong-secret');
    expect(res.text).not.toContain(DEMO_CREDENTIALS.accessKeySecret);
    expect(emulator.listOperations('fake.widgets')[0]?.status).toBe('Running');
    expect(emulator.requests().at(-1)).toMatchObject({
      action: 'CancelWidget',
      service: 'fake.widgets',
      status: 400,
      signature: { scheme: 'FAKE-HMAC', ok: false, code: 'SignatureDoesNotMatch' },
    });
    expect(emulator.requests().at(-1)?.accessKeyId).toBeUndefined();
  });

  it('refuses an unknown key, a stale timestamp and a reused nonce', async () => {
    const emulator = await startFake({ now: () => NOW });
    emulator.createOperation('fake.widgets', { widgetId: 'w-1' });
    const unknownKey = await rpc(emulator.url, 'DescribeWidgets', {}, { accessKeyId: 'nobody', date: NOW });
    expect([unknownKey.status, unknownKey.json.Code]).toEqual([404, 'InvalidAccessKeyId.NotFound']);

    const stale = await rpc(emulator.url, 'CancelWidget', { WidgetId: 'w-1' }, { date: NOW - 16 * 60 * 1000 });
    expect([stale.status, stale.json.Code]).toEqual([400, 'InvalidTimeStamp.Expired']);

    const first = await rpc(emulator.url, 'DescribeWidgets', {}, { nonce: 'n-1', date: NOW });
    expect(first.status).toBe(200);
    const replay = await rpc(emulator.url, 'CancelWidget', { WidgetId: 'w-1' }, { nonce: 'n-1', date: NOW });
    expect([replay.status, replay.json.Code]).toEqual([400, 'SignatureNonceUsed']);
    expect(emulator.listOperations('fake.widgets')[0]?.status).toBe('Running');
    expect(emulator.requests().map((r) => r.signature?.code ?? 'ok')).toEqual([
      'InvalidAccessKeyId.NotFound',
      'InvalidTimeStamp.Expired',
      'ok',
      'SignatureNonceUsed',
    ]);
  });

  it('refuses a replay for as long as its timestamp is accepted, even for a request signed ahead of the clock', async () => {
    let now = NOW;
    const emulator = await startFake({ now: () => now });
    emulator.createOperation('fake.widgets', { widgetId: 'w-1' });
    // Signed 14 minutes ahead (a fast client clock): inside the 15-minute skew, so accepted.
    const ahead = NOW + 14 * 60 * 1000;
    expect((await rpc(emulator.url, 'DescribeWidgets', {}, { nonce: 'n-ahead', date: ahead })).status).toBe(200);
    // 25 minutes later its timestamp is still inside the skew (11 minutes old), so its nonce must still be known.
    now = NOW + 25 * 60 * 1000;
    const replay = await rpc(emulator.url, 'CancelWidget', { WidgetId: 'w-1' }, { nonce: 'n-ahead', date: ahead });
    expect([replay.status, replay.json.Code]).toEqual([400, 'SignatureNonceUsed']);
    expect(emulator.listOperations('fake.widgets')[0]?.status).toBe('Running');
  });

  it('accepts only the configured credentials when they are given', async () => {
    const emulator = await startFake({ credentials: [{ accessKeyId: 'team-ak', secret: 'team-sk' }] });
    const demo = await rpc(emulator.url, 'DescribeWidgets');
    expect(demo.json.Code).toBe('InvalidAccessKeyId.NotFound');
    const team = await rpc(emulator.url, 'DescribeWidgets', {}, { accessKeyId: 'team-ak', secret: 'team-sk' });
    expect(team.status).toBe(200);
    expect(emulator.requests().at(-1)).toMatchObject({ accessKeyId: 'team-ak', signature: { ok: true } });
  });

  it('accepts configured IAM tokens and refuses others', async () => {
    const emulator = await startFake({ tokens: { 'tok-123': { accessKeyId: 'iam-user', secret: 'unused', projectId: 'p1' } } });
    emulator.createOperation('fake.jobs', { jobId: 'j-1', projectId: 'p1' });
    const bad = await send(emulator.url, { method: 'DELETE', path: '/v3/p1/jobs/j-1', headers: { 'x-auth-token': 'forged' } });
    expect([bad.status, bad.json.error_code]).toEqual([401, 'APIGW.0301']);
    expect(emulator.listOperations('fake.jobs')[0]?.status).toBe('Pending');
    const good = await send(emulator.url, { method: 'DELETE', path: '/v3/p1/jobs/j-1', headers: { 'x-auth-token': 'tok-123' } });
    expect(good.status).toBe(204);
    expect(emulator.requests().at(-1)).toMatchObject({ accessKeyId: 'iam-user', signature: { scheme: 'token', ok: true } });
  });

  it('signs over the raw path so encoded ids verify', async () => {
    const emulator = await startFake();
    emulator.createOperation('fake.fsm', { instanceId: 'i-1', fsmId: "a'b(c)*" });
    const res = await sendSigned(emulator.url, { method: 'PUT', path: `/openapi/instances/i-1/stop-task/${encodeURIComponent("a'b(c)*")}` });
    expect(res.status).toBe(200);
  });
});
