import { callRpc } from '@cancelkit/alibaba-openapi';
import type { CancelKit, CancelKitError, LogRecord } from '@cancelkit/core';
import { type RunningEmulator, startEmulator } from '@cancelkit/emulator';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import oosEmulation from './emulation.js';
import oosExecutionPlugin from './index.js';
import manifest from './manifest.js';
import { type DirectContext, directContext, kitFor, thrownBy } from '@cancelkit/alibaba-openapi/testing';
import { OOS_API_VERSION, OOS_ERROR_CODES } from './wire.js';

const ID = 'alibaba.oos.execution';
let emu: RunningEmulator;
let kit: CancelKit;
let ctx: DirectContext;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, emulations: [oosEmulation] });
  kit = kitFor(oosExecutionPlugin, 'alibaba.oos', emu.url);
  ctx = directContext(emu.url);
});
afterAll(async () => {
  await kit.close();
  await ctx.close();
  await emu.stop();
});
beforeEach(() => emu.reset());

function execution(fields: Record<string, unknown> = {}): string {
  return emu.createOperation('alibaba.oos', fields).id;
}
function statusOf(id: string): string | undefined {
  return emu.listOperations('alibaba.oos').find((o) => o.id === id)?.status;
}
function cancelCalls(): number {
  return emu.requests().filter((r) => r.action === 'CancelExecution').length;
}

describe('cancel through the kit (real HTTP to the emulator)', () => {
  it.each(['Running', 'Started', 'Queued', 'Waiting'])('cancels a %s execution', async (status) => {
    const executionId = execution({ status });
    const [result] = await kit.cancel(ID, { regionId: 'cn-hangzhou', executionId });
    expect(result).toMatchObject({ target: executionId, outcome: 'cancelled', attempts: 1 });
    expect(result?.requestId).toMatch(/\S/);
    expect(statusOf(executionId)).toBe('Cancelled');
  });

  it('waits until the cancelled execution is terminal', async () => {
    const executionId = execution({ regionId: 'ap-southeast-1' });
    const [result] = await kit.cancel(ID, { regionId: 'ap-southeast-1', executionId }, { wait: true });
    expect(result?.waited).toMatchObject({ terminal: true, timedOut: false, status: 'Cancelled' });
  });

  it.each(['Success', 'Failed', 'Cancelled'])('reports already-finished for a %s execution without sending CancelExecution', async (status) => {
    const executionId = execution({ status });
    const [result] = await kit.cancel(ID, { regionId: 'cn-hangzhou', executionId });
    expect(result).toMatchObject({ outcome: 'already-finished', attempts: 0 });
    expect(cancelCalls()).toBe(0);
  });

  it('with the pre-check off, ExecutionCancelFailed is reconciled into already-finished', async () => {
    const executionId = execution({ status: 'Success' });
    const [result] = await kit.cancel(ID, { regionId: 'cn-hangzhou', executionId }, { precheck: false });
    expect(result?.outcome).toBe('already-finished');
    expect(cancelCalls()).toBe(1);
    expect(statusOf(executionId)).toBe('Success');
  });

  it('cancelling twice: the second is already-finished and changes nothing', async () => {
    const executionId = execution();
    const [first] = await kit.cancel(ID, { regionId: 'cn-hangzhou', executionId });
    expect(first?.outcome).toBe('cancelled');
    const before = emu.listOperations('alibaba.oos');
    expect(before.find((o) => o.id === executionId)?.status).toBe('Cancelled');
    const [again] = await kit.cancel(ID, { regionId: 'cn-hangzhou', executionId }, { precheck: false });
    expect(again?.outcome).toBe('already-finished');
    expect(again?.reason).toMatch(/already cancelled/i);
    // The second CancelExecution reached the cloud, was refused, and left every execution as it was.
    expect(cancelCalls()).toBe(2);
    expect(emu.requests().filter((r) => r.action === 'CancelExecution').at(-1)?.status).toBe(403);
    expect(emu.listOperations('alibaba.oos')).toEqual(before);
  });

  it('reports not-found for an unknown execution and for one in another region', async () => {
    const [unknown] = await kit.cancel(ID, { regionId: 'cn-hangzhou', executionId: 'exec-nope' });
    expect(unknown?.outcome).toBe('not-found');
    const elsewhere = execution({ regionId: 'cn-beijing' });
    const [wrongRegion] = await kit.cancel(ID, { regionId: 'cn-hangzhou', executionId: elsewhere }, { precheck: false });
    expect(wrongRegion?.outcome).toBe('not-found');
    expect(statusOf(elsewhere)).toBe('Running');
  });
});

describe('every documented CancelExecution error maps to the taxonomy', () => {
  it('ExecutionCancelFailed (403) → NotCancellable', async () => {
    const executionId = execution({ status: 'Failed' });
    const error = await thrownBy(() => oosExecutionPlugin.cancel(oosExecutionPlugin.parse({ regionId: 'cn-hangzhou', executionId }), ctx));
    expect(error).toMatchObject({ code: 'NotCancellable', providerCode: 'ExecutionCancelFailed', providerStatus: 403 });
    expect((error as CancelKitError).providerMessage).toContain('Execution cancel failed');
  });

  it('EntityNotExist.Execution (404) → NotFound', async () => {
    const error = await thrownBy(() => oosExecutionPlugin.cancel(oosExecutionPlugin.parse({ regionId: 'cn-hangzhou', executionId: 'exec-missing' }), ctx));
    expect(error).toMatchObject({ code: 'NotFound', providerCode: 'EntityNotExist.Execution', providerStatus: 404 });
    expect((error as CancelKitError).providerMessage).toBe('The specific execution exec-missing does not exist.');
  });

  it.each([
    ['User.NoPermission', 401, 'PermissionDenied'],
    ['InvalidStsToken', 400, 'Unauthenticated'],
    ['ExpiredStsToken', 400, 'Unauthenticated'],
    ['InvalidAccountType', 400, 'PermissionDenied'],
  ])('%s (%i) → %s', async (code, status, taxonomy) => {
    const failing = await startEmulator({ port: 0, emulations: [oosEmulation], settings: { 'alibaba.oos': { failWith: { CancelExecution: code } } } });
    const failingCtx = directContext(failing.url);
    try {
      const executionId = failing.createOperation('alibaba.oos', {}).id;
      const error = await thrownBy(() => oosExecutionPlugin.cancel(oosExecutionPlugin.parse({ regionId: 'cn-hangzhou', executionId }), failingCtx));
      expect(error).toMatchObject({ code: taxonomy, providerCode: code, providerStatus: status });
      expect(failing.listOperations('alibaba.oos')[0]?.status).toBe('Running');
    } finally {
      await failingCtx.close();
      await failing.stop();
    }
  });

  it('InvalidVersion (400) → Unknown, never "not found"', async () => {
    const error = await thrownBy(() =>
      callRpc(ctx, { product: 'oos', version: '2017-01-01', action: 'CancelExecution', regionId: 'cn-hangzhou', params: { ExecutionId: 'exec-1' }, errorCodes: OOS_ERROR_CODES }),
    );
    expect(error).toMatchObject({ code: 'Unknown', providerCode: 'InvalidVersion', providerStatus: 400 });
  });

  it('InvalidAction.NotFound → Unknown, never "not found"', async () => {
    const error = await thrownBy(() =>
      callRpc(ctx, { product: 'oos', version: OOS_API_VERSION, action: 'CancelExecutions', regionId: 'cn-hangzhou', params: { ExecutionId: 'exec-1' }, errorCodes: OOS_ERROR_CODES }),
    );
    expect(error).toMatchObject({ code: 'Unknown', providerCode: 'InvalidAction.NotFound' });
  });

  it('MissingParameter → InvalidInput', async () => {
    const error = await thrownBy(() =>
      callRpc(ctx, { product: 'oos', version: OOS_API_VERSION, action: 'CancelExecution', regionId: 'cn-hangzhou', params: {}, errorCodes: OOS_ERROR_CODES }),
    );
    expect(error).toMatchObject({ code: 'InvalidInput', providerCode: 'MissingParameter' });
  });

  it('through the kit, a permission error is a failed outcome with the provider code', async () => {
    const failing = await startEmulator({ port: 0, emulations: [oosEmulation], settings: { 'alibaba.oos': { failWith: { CancelExecution: 'User.NoPermission' } } } });
    const failingKit = kitFor(oosExecutionPlugin, 'alibaba.oos', failing.url);
    try {
      const executionId = failing.createOperation('alibaba.oos', {}).id;
      const [result] = await failingKit.cancel(ID, { regionId: 'cn-hangzhou', executionId });
      expect(result?.outcome).toBe('failed');
      expect(result?.error).toMatchObject({ code: 'PermissionDenied', providerCode: 'User.NoPermission', httpStatus: 401 });
      expect(result?.error?.providerMessage).toBe('User has no permission to do the action: (CancelExecution)');
    } finally {
      await failingKit.close();
      await failing.stop();
    }
  });
});

describe('inspect', () => {
  it('reads the execution through ListExecutions with ExecutionId', async () => {
    const executionId = execution({ status: 'Waiting' });
    execution();
    const [state] = await kit.inspect(ID, { regionId: 'cn-hangzhou', executionId });
    expect(state).toMatchObject({ target: executionId, found: true, status: 'Waiting', terminal: false, cancellable: true });
    expect(state?.details).toMatchObject({ templateName: 'ACS-ECS-BulkyRunCommand', mode: 'Automatic' });
    expect(emu.requests().map((r) => r.action)).toEqual(['ListExecutions']);
  });

  it('ListExecutions answers with the real shape and pages with NextToken', async () => {
    for (let i = 0; i < 3; i++) execution();
    const first = await callRpc<{ Executions: Record<string, unknown>[]; NextToken: string; TotalCount: number; MaxResults: number }>(ctx, {
      product: 'oos',
      version: OOS_API_VERSION,
      action: 'ListExecutions',
      regionId: 'cn-hangzhou',
      params: { RegionId: 'cn-hangzhou', MaxResults: 2 },
    });
    expect(first.body).toMatchObject({ TotalCount: 3, MaxResults: 2 });
    expect(first.body.Executions).toHaveLength(2);
    expect(first.body.Executions[0]).toMatchObject({ Status: 'Running', Mode: 'Automatic' });
    const second = await callRpc<{ Executions: unknown[]; NextToken: string }>(ctx, {
      product: 'oos',
      version: OOS_API_VERSION,
      action: 'ListExecutions',
      regionId: 'cn-hangzhou',
      params: { RegionId: 'cn-hangzhou', MaxResults: 2, NextToken: first.body.NextToken },
    });
    expect(second.body.Executions).toHaveLength(1);
    expect(second.body.NextToken).toBe('');
  });

  it('refuses bad admin fields naming the field', () => {
    expect(() => emu.createOperation('alibaba.oos', { status: 'Exploded' })).toThrow(/status/);
    expect(() => emu.createOperation('alibaba.oos', { regionId: 'Hangzhou' })).toThrow(/regionId/);
  });
});

describe('parse rejects bad input before any request', () => {
  afterEach(() => expect(emu.requests()).toHaveLength(0));

  it.each([
    [{ regionId: 'cn-hangzhou' }, 'executionId', 'is required'],
    [{ regionId: 'cn-hangzhou', executionId: '' }, 'executionId', 'is empty'],
    [{ regionId: 'cn-hangzhou', executionId: 'exec-1\n' }, 'executionId', 'line breaks'],
    [{ regionId: 'cn-hangzhou', executionId: 'exec-\u0000' }, 'executionId', 'control characters'],
    [{ regionId: 'cn-hangzhou', executionId: `exec-${'x'.repeat(500)}` }, 'executionId', 'too long'],
    [{ executionId: 'exec-1' }, 'regionId', 'is required'],
    [{ regionId: 'cn_hangzhou', executionId: 'exec-1' }, 'regionId', 'not a region id'],
    [{ regionId: 'cn-hangzhou', executionId: 'exec-1', ExecutionId: 'exec-2' }, '', 'unknown parameter(s) ExecutionId'],
  ])('%j → %s %s', async (input, field, text) => {
    const error = await thrownBy(() => kit.cancel(ID, input));
    expect(error).toMatchObject({ code: 'InvalidInput' });
    expect((error as CancelKitError).issues.some((i) => i.field === field && i.message.includes(text))).toBe(true);
  });
});

describe('secrets never leak', () => {
  it('a wrong secret or STS token is Unauthenticated and appears nowhere', async () => {
    const secret = 'oos-wrong-secret-0123456789';
    const token = 'STS.oos-token-0123456789';
    const logs: LogRecord[] = [];
    const badKit = kitFor(oosExecutionPlugin, 'alibaba.oos', emu.url, { accessKeySecret: secret, securityToken: token, logs });
    const badCtx = directContext(emu.url, { accessKeySecret: secret, securityToken: token });
    try {
      const executionId = execution();
      const [result] = await badKit.cancel(ID, { regionId: 'cn-hangzhou', executionId });
      expect(result?.error?.code).toBe('Unauthenticated');
      const direct = await thrownBy(() => oosExecutionPlugin.cancel(oosExecutionPlugin.parse({ regionId: 'cn-hangzhou', executionId }), badCtx));
      const all = [JSON.stringify(result), JSON.stringify(logs), String(direct), JSON.stringify(direct), (direct as Error).stack ?? ''].join('\n');
      expect(all).not.toContain(secret);
      expect(all).not.toContain(token);
      expect(statusOf(executionId)).toBe('Running');
    } finally {
      await badKit.close();
      await badCtx.close();
    }
  });
});

describe('manifest', () => {
  it('describes the plugin and its params as JSON Schema', () => {
    expect(manifest).toMatchObject({ id: ID, provider: 'alibaba', service: 'alibaba.oos', operation: 'execution', targetParam: 'executionId' });
    const schema = manifest.paramsSchema as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(schema.properties).sort()).toEqual(['executionId', 'regionId']);
    expect(schema.required.sort()).toEqual(['executionId', 'regionId']);
    for (const example of manifest.examples ?? []) expect(() => oosExecutionPlugin.parse(example)).not.toThrow();
  });
});
