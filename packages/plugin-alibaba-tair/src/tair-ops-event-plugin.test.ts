import { callRpc } from '@cancelkit/alibaba-openapi';
import type { CancelKit, CancelKitError, LogRecord } from '@cancelkit/core';
import { type RunningEmulator, startEmulator } from '@cancelkit/emulator';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import tairEmulation from './emulation.js';
import tairOpsEventPlugin, { TAIR_IDS_PER_CALL } from './index.js';
import manifest from './manifest.js';
import { type DirectContext, directContext, kitFor, thrownBy } from '@cancelkit/alibaba-openapi/testing';
import { TAIR_API_VERSION, TAIR_ERROR_CODES } from './wire.js';

const ID = 'alibaba.tair.ops-event';
const HOUR = 60 * 60 * 1000;
let emu: RunningEmulator;
let kit: CancelKit;
let ctx: DirectContext;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, emulations: [tairEmulation] });
  kit = kitFor(tairOpsEventPlugin, 'alibaba.tair', emu.url);
  ctx = directContext(emu.url);
});
afterAll(async () => {
  await kit.close();
  await ctx.close();
  await emu.stop();
});
beforeEach(() => emu.reset());

function event(fields: Record<string, unknown> = {}): string {
  return emu.createOperation('alibaba.tair', fields).id;
}
function statusOf(id: string): string | undefined {
  return emu.listOperations('alibaba.tair').find((o) => o.id === id)?.status;
}
function calls(action: string): number {
  return emu.requests().filter((r) => r.action === action).length;
}
const past = () => new Date(Date.now() - HOUR).toISOString();

describe('cancel through the kit (real HTTP to the emulator)', () => {
  it('cancels every cancellable event of a batch in one call', async () => {
    const ids = [event(), event(), event()];
    const results = await kit.cancel(ID, { ids: ids.join(',') });
    expect(results.map((r) => [r.target, r.outcome])).toEqual(ids.map((id) => [id, 'cancelled']));
    for (const id of ids) expect(statusOf(id)).toBe('7');
    expect(calls('CancelActiveOperationTasks')).toBe(1);
    expect(results.every((r) => typeof r.requestId === 'string' && r.requestId.length > 0)).toBe(true);
  });

  it('gives each Id of a partial batch its own truthful outcome (pre-check off: the cloud decides)', async () => {
    const ok1 = event();
    const ok2 = event();
    const allowCancel0 = event({ allowCancel: 0 });
    const started = event({ startTime: past() });
    const running = event({ status: 4 });
    const succeeded = event({ status: 5 });
    const cancelledBefore = event({ status: 7 });
    const unknown = '9999999';
    const ids = [ok1, allowCancel0, ok2, started, running, succeeded, cancelledBefore, unknown];
    const results = await kit.cancel(ID, { ids }, { precheck: false });
    const byId = new Map(results.map((r) => [r.target, r]));
    expect(results).toHaveLength(ids.length);
    expect(byId.get(ok1)?.outcome).toBe('cancelled');
    expect(byId.get(ok2)?.outcome).toBe('cancelled');
    expect(byId.get(allowCancel0)).toMatchObject({ outcome: 'not-cancellable' });
    expect(byId.get(allowCancel0)?.reason).toContain('AllowCancel is 0');
    expect(byId.get(started)?.outcome).toBe('not-cancellable');
    expect(byId.get(started)?.reason).toContain('start time');
    expect(byId.get(running)?.outcome).toBe('not-cancellable');
    expect(byId.get(running)?.reason).toContain('Status is 4');
    expect(byId.get(succeeded)?.outcome).toBe('already-finished');
    expect(byId.get(cancelledBefore)?.outcome).toBe('already-finished');
    expect(byId.get(cancelledBefore)?.reason).toContain('already cancelled');
    expect(byId.get(unknown)?.outcome).toBe('not-found');
    // One cancel call for the batch; the cloud changed exactly the two it could cancel.
    expect(calls('CancelActiveOperationTasks')).toBe(1);
    expect([ok1, ok2, allowCancel0, started, running, succeeded].map(statusOf)).toEqual(['7', '7', '3', '3', '4', '5']);
    // Every not-cancelled outcome carries the cancel call's request id.
    const cancelRequestId = byId.get(ok1)?.requestId;
    expect(cancelRequestId).toMatch(/\S/);
    expect(emu.requests().find((r) => r.action === 'CancelActiveOperationTasks')?.requestId).toBe(cancelRequestId);
    for (const id of [ok2, allowCancel0, started, running, succeeded, cancelledBefore, unknown]) {
      expect(byId.get(id)?.requestId, `Id ${id}`).toBe(cancelRequestId);
    }
  });

  it('with the pre-check, sends only the cancellable Ids and skips the others with reasons', async () => {
    const ok = event();
    const blocked = event({ allowCancel: 0 });
    const results = await kit.cancel(ID, { ids: [ok, blocked] });
    expect(results.find((r) => r.target === ok)?.outcome).toBe('cancelled');
    expect(results.find((r) => r.target === blocked)?.outcome).toBe('not-cancellable');
    expect(results.find((r) => r.target === blocked)?.reason).toContain('AllowCancel is 0');
    expect(statusOf(blocked)).toBe('3');
    expect(calls('CancelActiveOperationTasks')).toBe(1);
  });

  it('reports the three refusals together when an event breaks them all', async () => {
    const id = event({ allowCancel: 0, status: 4, startTime: past() });
    const [result] = await kit.cancel(ID, { ids: id });
    expect(result?.outcome).toBe('not-cancellable');
    expect(result?.reason).toMatch(/AllowCancel is 0.*start time.*Status is 4/);
  });

  it('splits a large batch into calls of at most TAIR_IDS_PER_CALL Ids', async () => {
    const ids = Array.from({ length: 2 * TAIR_IDS_PER_CALL + 17 }, () => event());
    const results = await kit.cancel(ID, { ids }, { precheck: false });
    expect(results).toHaveLength(ids.length);
    expect(results.every((r) => r.outcome === 'cancelled')).toBe(true);
    expect(calls('CancelActiveOperationTasks')).toBe(3);
    expect(emu.listOperations('alibaba.tair').every((o) => o.status === '7')).toBe(true);
  });

  it('inspects a batch across several pages of DescribeActiveOperationTasks', async () => {
    const ids = Array.from({ length: 230 }, () => event());
    const states = await kit.inspect(ID, { ids: [ids[0], ids[229]] });
    expect(states.map((s) => s.found)).toEqual([true, true]);
    expect(calls('DescribeActiveOperationTasks')).toBe(3);
  });

  it('narrows the listing to regionId: an event of another region is not found there', async () => {
    const id = event({ region: 'cn-hangzhou' });
    const [state] = await kit.inspect(ID, { ids: id, regionId: 'cn-shenzhen' });
    expect(state).toMatchObject({ found: false });
    expect(state?.reason).toContain('cn-shenzhen');
    const [here] = await kit.inspect(ID, { ids: id, regionId: 'cn-hangzhou' });
    expect(here).toMatchObject({ found: true, cancellable: true });
  });

  it('waits until cancelled events are terminal', async () => {
    const id = event();
    const [result] = await kit.cancel(ID, { ids: id }, { wait: true });
    expect(result?.waited).toMatchObject({ terminal: true, timedOut: false, status: '7' });
  });

  it('a later batch that fails does not hide the batches that were cancelled', async () => {
    // maxQps 1 with a frozen emulator clock: the first call passes, every later one is throttled.
    const frozen = Date.now();
    const limited = await startEmulator({ port: 0, emulations: [tairEmulation], now: () => frozen });
    const limitedCtx = directContext(limited.url);
    try {
      const ids = Array.from({ length: TAIR_IDS_PER_CALL + 5 }, () => limited.createOperation('alibaba.tair', {}).id);
      limited.setFaults({ maxQps: 1 });
      const outcomes = await tairOpsEventPlugin.cancel(tairOpsEventPlugin.parse({ ids }), limitedCtx);
      expect(outcomes).toHaveLength(ids.length);
      const cancelled = outcomes.filter((o) => o.outcome === 'cancelled');
      const failed = outcomes.filter((o) => o.outcome === 'failed');
      expect(cancelled).toHaveLength(TAIR_IDS_PER_CALL);
      expect(failed).toHaveLength(5);
      expect(failed[0]?.error).toMatchObject({ code: 'Throttled', retryable: true, providerCode: 'Throttling.User' });
      expect(limited.listOperations('alibaba.tair').filter((o) => o.status === '7')).toHaveLength(TAIR_IDS_PER_CALL);
    } finally {
      await limitedCtx.close();
      await limited.stop();
    }
  });

  it('a failing first batch is thrown so the engine may retry it whole (Throttled)', async () => {
    const frozen = Date.now();
    const limited = await startEmulator({ port: 0, emulations: [tairEmulation], now: () => frozen });
    const limitedCtx = directContext(limited.url);
    try {
      const id = limited.createOperation('alibaba.tair', {}).id;
      limited.setFaults({ throttle: 1 });
      const error = await thrownBy(() => tairOpsEventPlugin.cancel(tairOpsEventPlugin.parse({ ids: id }), limitedCtx));
      expect(error).toMatchObject({ code: 'Throttled', retryable: true });
    } finally {
      await limitedCtx.close();
      await limited.stop();
    }
  });
});

describe('the plugin called directly', () => {
  it('answers one outcome per Id even when the cloud lists none as cancelled', async () => {
    const a = event({ allowCancel: 0 });
    const b = event({ status: 6 });
    const outcomes = await tairOpsEventPlugin.cancel(tairOpsEventPlugin.parse({ ids: [a, b, '123'] }), ctx);
    expect(outcomes.map((o) => [o.target, o.outcome])).toEqual([
      [a, 'not-cancellable'],
      [b, 'already-finished'],
      ['123', 'not-found'],
    ]);
  });

  it('select narrows a batch to some of its targets', () => {
    const params = tairOpsEventPlugin.parse({ ids: '1,2,3', regionId: 'cn-hangzhou' });
    expect(tairOpsEventPlugin.select?.(params, ['3', '1'])).toEqual({ ids: ['1', '3'], regionId: 'cn-hangzhou' });
  });

  it('the emulation refuses a call without Ids (MissingParameter → InvalidInput) and bad Ids (InvalidParameter → InvalidInput)', async () => {
    const missing = await thrownBy(() =>
      callRpc(ctx, { product: 'r-kvstore', version: TAIR_API_VERSION, action: 'CancelActiveOperationTasks', params: {}, errorCodes: TAIR_ERROR_CODES }),
    );
    expect(missing).toMatchObject({ code: 'InvalidInput', providerCode: 'MissingParameter', providerStatus: 400 });
    const bad = await thrownBy(() =>
      callRpc(ctx, { product: 'r-kvstore', version: TAIR_API_VERSION, action: 'CancelActiveOperationTasks', params: { Ids: '1,abc' }, errorCodes: TAIR_ERROR_CODES }),
    );
    expect(bad).toMatchObject({ code: 'InvalidInput', providerCode: 'InvalidParameter' });
  });

  it('a wrong API version is refused and is never read as "event not found"', async () => {
    const error = await thrownBy(() =>
      callRpc(ctx, { product: 'r-kvstore', version: '2016-01-01', action: 'CancelActiveOperationTasks', params: { Ids: '1' }, errorCodes: TAIR_ERROR_CODES }),
    );
    expect(error).toMatchObject({ code: 'Unknown', providerCode: 'InvalidVersion' });
  });
});

describe('the emulation answers with the real shapes', () => {
  it('DescribeActiveOperationTasks: Items array, AllowCancel a string, Status a number, filters on Region/AllowCancel/Status', async () => {
    const a = event({ region: 'cn-beijing', allowCancel: 1 });
    event({ region: 'cn-beijing', allowCancel: 0 });
    event({ region: 'cn-shanghai' });
    const response = await callRpc<{ Items: Record<string, unknown>[]; TotalRecordCount: number; PageSize: number }>(ctx, {
      product: 'r-kvstore',
      version: TAIR_API_VERSION,
      action: 'DescribeActiveOperationTasks',
      params: { Region: 'cn-beijing', AllowCancel: 1, Status: -1 },
    });
    expect(response.body.TotalRecordCount).toBe(1);
    expect(response.body.PageSize).toBe(25);
    const [item] = response.body.Items;
    expect(item).toMatchObject({ Id: Number(a), AllowCancel: '1', Status: 3, Region: 'cn-beijing' });
    expect(item?.StartTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  it('CancelActiveOperationTasks answers with the cancelled subset, as in the doc (5 sent, 4 back)', async () => {
    const ids = [event(), event(), event(), event({ allowCancel: 0 }), event()];
    const response = await callRpc<{ Ids: string }>(ctx, {
      product: 'r-kvstore',
      version: TAIR_API_VERSION,
      action: 'CancelActiveOperationTasks',
      params: { Ids: ids.join(',') },
    });
    expect(response.body.Ids.split(',')).toEqual([ids[0], ids[1], ids[2], ids[4]]);
    const again = await callRpc<{ Ids: string }>(ctx, {
      product: 'r-kvstore',
      version: TAIR_API_VERSION,
      action: 'CancelActiveOperationTasks',
      params: { Ids: ids.join(',') },
    });
    expect(again.body.Ids).toBe('');
  });

  it('refuses bad admin fields naming the field', () => {
    expect(() => emu.createOperation('alibaba.tair', { allowCancel: 2 })).toThrow(/allowCancel/);
    expect(() => emu.createOperation('alibaba.tair', { status: 9 })).toThrow(/status/);
    expect(() => emu.createOperation('alibaba.tair', { startTime: 'tomorrow-ish' })).toThrow(/startTime/);
    expect(() => emu.createOperation('alibaba.tair', { id: 'abc' })).toThrow(/id/);
  });
});

describe('parse', () => {
  afterEach(() => expect(emu.requests()).toHaveLength(0));

  it('accepts a comma-separated string, an array and a number, de-duplicating', () => {
    expect(tairOpsEventPlugin.parse({ ids: '1508850, 1508310,1508850' })).toEqual({ ids: ['1508850', '1508310'] });
    expect(tairOpsEventPlugin.parse({ ids: [1508850, '1508310'] })).toEqual({ ids: ['1508850', '1508310'] });
    expect(tairOpsEventPlugin.parse({ ids: 1508850, regionId: 'cn-hangzhou' })).toEqual({ ids: ['1508850'], regionId: 'cn-hangzhou' });
    expect(tairOpsEventPlugin.targets(tairOpsEventPlugin.parse({ ids: '3,1,2' }))).toEqual(['3', '1', '2']);
  });

  it('refuses an Id given as a number too large to be exact, rather than cancelling the event it rounds to', async () => {
    // 9007199254740993 is past 2^53: as a JSON number it reads as 9007199254740992, another event.
    const other = event({ id: '9007199254740992' });
    event({ id: '9007199254740993' });
    const input = JSON.parse('{"ids":[1508850,9007199254740993]}') as unknown;
    const error = await thrownBy(() => kit.cancel(ID, input, { precheck: false }));
    expect(error).toMatchObject({ code: 'InvalidInput' });
    expect((error as CancelKitError).issues).toEqual([expect.objectContaining({ field: 'ids.1', message: expect.stringContaining('as a string') })]);
    expect(statusOf(other)).toBe('3');
    expect(tairOpsEventPlugin.parse({ ids: [9007199254740991, '9007199254740993'] })).toEqual({ ids: ['9007199254740991', '9007199254740993'] });
  });

  it.each([
    [{}, 'ids', 'is required'],
    [{ ids: '' }, 'ids.0', 'is empty'],
    [{ ids: [] }, 'ids', 'is empty'],
    [{ ids: '1,,2' }, 'ids.1', 'extra comma'],
    [{ ids: '1,abc' }, 'ids.1', 'not an O&M event Id'],
    [{ ids: [1.5] }, 'ids.0', 'not an O&M event Id'],
    [{ ids: [-3] }, 'ids.0', 'not an O&M event Id'],
    [{ ids: '1\r\n2' }, 'ids.0', 'not an O&M event Id'],
    [{ ids: '1\u00002' }, 'ids.0', 'not an O&M event Id'],
    [{ ids: { a: 1 } }, 'ids', 'comma-separated'],
    [{ ids: Array.from({ length: 10_001 }, (_, i) => i + 1) }, 'ids', 'more than 10000'],
    [{ ids: '1', regionId: '' }, 'regionId', 'is empty'],
    [{ ids: '1', regionId: 'cn hangzhou' }, 'regionId', 'not a region id'],
    [{ ids: '1', region: 'cn-hangzhou' }, '', 'unknown parameter(s) region'],
  ])('%j → %s %s', async (input, field, text) => {
    const error = await thrownBy(() => kit.cancel(ID, input));
    expect(error).toMatchObject({ code: 'InvalidInput' });
    const issues = (error as CancelKitError).issues;
    expect(issues.some((i) => i.field === field && i.message.includes(text))).toBe(true);
    expect((error as Error).message).not.toContain('\u0000');
  });
});

describe('secrets never leak', () => {
  it('a wrong secret is Unauthenticated for every Id, and the secret appears nowhere', async () => {
    const secret = 'tair-wrong-secret-0123456789';
    const logs: LogRecord[] = [];
    const badKit = kitFor(tairOpsEventPlugin, 'alibaba.tair', emu.url, { accessKeySecret: secret, logs });
    try {
      const ids = [event(), event()];
      const results = await badKit.cancel(ID, { ids });
      expect(results.map((r) => r.outcome)).toEqual(['failed', 'failed']);
      expect(results[0]?.error?.code).toBe('Unauthenticated');
      expect(JSON.stringify(results) + JSON.stringify(logs)).not.toContain(secret);
    } finally {
      await badKit.close();
    }
  });
});

describe('manifest', () => {
  it('describes a batch plugin whose ids accept a string or an array', () => {
    expect(manifest).toMatchObject({ id: ID, service: 'alibaba.tair', targetParam: 'ids', capabilities: { batch: true, inspect: true, wait: true } });
    const schema = manifest.paramsSchema as { properties: { ids: { anyOf: unknown[] } }; required: string[] };
    expect(schema.properties.ids.anyOf.length).toBeGreaterThanOrEqual(2);
    expect(schema.required).toEqual(['ids']);
    for (const example of manifest.examples ?? []) expect(() => tairOpsEventPlugin.parse(example)).not.toThrow();
  });
});
