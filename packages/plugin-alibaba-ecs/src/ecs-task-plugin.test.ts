import { callRpc } from '@cancelkit/alibaba-openapi';
import { type CancelKit, type CancelKitError, createCancelKit, isCancelKitError, type LogRecord } from '@cancelkit/core';
import { type RunningEmulator, startEmulator } from '@cancelkit/emulator';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import ecsEmulation from './emulation.js';
import ecsTaskPlugin, { ecsTaskModule } from './index.js';
import manifest from './manifest.js';
import { DEMO_KEY, type DirectContext, directContext, kitFor, thrownBy } from '@cancelkit/alibaba-openapi/testing';
import { ECS_API_VERSION, ECS_ERROR_CODES } from './wire.js';

const ID = 'alibaba.ecs.task';
let emu: RunningEmulator;
let kit: CancelKit;
let ctx: DirectContext;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, emulations: [ecsEmulation] });
  kit = kitFor(ecsTaskPlugin, 'alibaba.ecs', emu.url);
  ctx = directContext(emu.url);
});
afterAll(async () => {
  await kit.close();
  await ctx.close();
  await emu.stop();
});
beforeEach(() => emu.reset());

function task(fields: Record<string, unknown> = {}): string {
  return emu.createOperation('alibaba.ecs', fields).id;
}
function statusOf(id: string): string | undefined {
  return emu.listOperations('alibaba.ecs').find((o) => o.id === id)?.status;
}
function cancelCalls(): number {
  return emu.requests().filter((r) => r.action === 'CancelTask').length;
}

describe('cancel through the kit (real HTTP to the emulator)', () => {
  it('cancels a running ImportImage task and the task shows as cancelled', async () => {
    const taskId = task({ regionId: 'cn-hangzhou', taskAction: 'ImportImage', taskStatus: 'Processing' });
    const [result] = await kit.cancel(ID, { regionId: 'cn-hangzhou', taskId });
    expect(result).toMatchObject({ target: taskId, outcome: 'cancelled', attempts: 1 });
    expect(result?.requestId).toMatch(/\S/);
    expect(statusOf(taskId)).toBe('Deleted');
    const [state] = await kit.inspect(ID, { regionId: 'cn-hangzhou', taskId });
    expect(state).toMatchObject({ found: true, terminal: true, cancelled: true, status: 'Deleted' });
    const signed = emu.requests().filter((r) => r.action === 'CancelTask');
    expect(signed).toHaveLength(1);
    expect(signed[0]?.signature?.ok).toBe(true);
  });

  it('cancels a waiting ExportImage task in another region and waits until it is terminal', async () => {
    const taskId = task({ regionId: 'eu-central-1', taskAction: 'ExportImage', taskStatus: 'Waiting' });
    const [result] = await kit.cancel(ID, { regionId: 'eu-central-1', taskId }, { wait: true });
    expect(result?.outcome).toBe('cancelled');
    expect(result?.waited).toMatchObject({ terminal: true, timedOut: false, status: 'Deleted' });
  });

  it('reports already-finished for a finished task without sending CancelTask', async () => {
    const taskId = task({ taskStatus: 'Finished' });
    const [result] = await kit.cancel(ID, { regionId: 'cn-hangzhou', taskId });
    expect(result).toMatchObject({ outcome: 'already-finished', attempts: 0 });
    expect(result?.reason).toContain('Finished');
    expect(cancelCalls()).toBe(0);
  });

  it('reports already-finished for a task cancelled before (a second cancel changes nothing)', async () => {
    const taskId = task();
    await kit.cancel(ID, { regionId: 'cn-hangzhou', taskId });
    const [again] = await kit.cancel(ID, { regionId: 'cn-hangzhou', taskId }, { precheck: false });
    // The cloud answers IncorrectTaskStatus; the engine re-inspects and finds the task cancelled.
    expect(again?.outcome).toBe('already-finished');
    expect(statusOf(taskId)).toBe('Deleted');
  });

  it('reports not-found for an unknown task id', async () => {
    const [result] = await kit.cancel(ID, { regionId: 'cn-hangzhou', taskId: 't-doesnotexist' });
    expect(result).toMatchObject({ target: 't-doesnotexist', outcome: 'not-found' });
    expect(result?.reason).toContain('InvalidTaskId.NotFound');
    expect(cancelCalls()).toBe(0);
  });

  it('reports not-found for a task of another region', async () => {
    const taskId = task({ regionId: 'cn-beijing' });
    const [result] = await kit.cancel(ID, { regionId: 'cn-shanghai', taskId }, { precheck: false });
    expect(result?.outcome).toBe('not-found');
    expect(result?.reason).toContain('InvalidTaskId.NotFound');
    expect(statusOf(taskId)).toBe('Processing');
  });

  it('reports not-cancellable for a task type CancelTask does not support, with the reason', async () => {
    const taskId = task({ taskAction: 'RedeployInstance' });
    const [result] = await kit.cancel(ID, { regionId: 'cn-hangzhou', taskId });
    expect(result?.outcome).toBe('not-cancellable');
    expect(result?.reason).toContain('RedeployInstance');
    expect(cancelCalls()).toBe(0);
    const [forced] = await kit.cancel(ID, { regionId: 'cn-hangzhou', taskId }, { precheck: false });
    expect(forced?.outcome).toBe('not-cancellable');
    expect(statusOf(taskId)).toBe('Processing');
  });

  it('reports not-cancellable for a paused task (not running or waiting)', async () => {
    const taskId = task({ taskStatus: 'Paused' });
    const [result] = await kit.cancel(ID, { regionId: 'cn-hangzhou', taskId });
    expect(result?.outcome).toBe('not-cancellable');
    expect(result?.reason).toContain('SupportCancel=false');
  });

  it('reports failed with InvalidInput for a region ECS does not know', async () => {
    const [result] = await kit.cancel(ID, { regionId: 'xx-nowhere-9', taskId: 't-abc' });
    expect(result?.outcome).toBe('failed');
    expect(result?.error).toMatchObject({ code: 'InvalidInput', providerCode: 'InvalidRegionId.NotFound', httpStatus: 400 });
  });

  it('reports not-cancellable when the cloud answers CancelTaskFailed', async () => {
    const failing = await startEmulator({ port: 0, emulations: [ecsEmulation], settings: { 'alibaba.ecs': { failWith: { CancelTask: 'CancelTaskFailed' } } } });
    const failingKit = kitFor(ecsTaskPlugin, 'alibaba.ecs', failing.url);
    try {
      const taskId = failing.createOperation('alibaba.ecs', {}).id;
      const [result] = await failingKit.cancel(ID, { regionId: 'cn-hangzhou', taskId }, { precheck: false });
      expect(result?.outcome).toBe('not-cancellable');
      expect(failing.listOperations('alibaba.ecs')[0]?.status).toBe('Processing');
    } finally {
      await failingKit.close();
      await failing.stop();
    }
  });

  it('works when bound through the ContainerModule', async () => {
    const moduleKit = createCancelKit({
      plugins: [ecsTaskModule],
      config: { endpoints: { 'alibaba.ecs': emu.url }, providers: { alibaba: { ...DEMO_KEY } }, env: {}, homeDir: '/nonexistent' },
    });
    try {
      const taskId = task();
      expect(moduleKit.manifests().map((m) => m.id)).toEqual([ID]);
      const [result] = await moduleKit.cancel(ID, { regionId: 'cn-hangzhou', taskId });
      expect(result?.outcome).toBe('cancelled');
    } finally {
      await moduleKit.close();
    }
  });
});

describe('every documented CancelTask error maps to the taxonomy (plugin called directly)', () => {
  async function cancelError(taskId: string, regionId = 'cn-hangzhou'): Promise<CancelKitError> {
    const params = ecsTaskPlugin.parse({ regionId, taskId });
    const error = await thrownBy(() => ecsTaskPlugin.cancel(params, ctx));
    if (!isCancelKitError(error)) throw error;
    return error;
  }

  it('InvalidTaskId.NotFound (400) → NotFound', async () => {
    const error = await cancelError('t-missing');
    expect(error).toMatchObject({ code: 'NotFound', providerCode: 'InvalidTaskId.NotFound', providerStatus: 400 });
    expect(error.providerMessage).toBe('The specified "TaskId" is not found.');
    expect(error.requestId).toMatch(/\S/);
  });

  it('InvalidTaskId.TaskActionNotSupport (403) → NotCancellable', async () => {
    const error = await cancelError(task({ taskAction: 'ModifyDiskSpec' }));
    expect(error).toMatchObject({ code: 'NotCancellable', providerCode: 'InvalidTaskId.TaskActionNotSupport', providerStatus: 403 });
  });

  it('InvalidTaskId.IncorrectTaskStatus (403) → NotCancellable', async () => {
    const error = await cancelError(task({ taskStatus: 'Failed' }));
    expect(error).toMatchObject({ code: 'NotCancellable', providerCode: 'InvalidTaskId.IncorrectTaskStatus', providerStatus: 403 });
  });

  it('InvalidRegionId.NotFound (400) → InvalidInput', async () => {
    const error = await cancelError('t-1', 'xx-nowhere-1');
    expect(error).toMatchObject({ code: 'InvalidInput', providerCode: 'InvalidRegionId.NotFound', providerStatus: 400 });
  });

  it('CancelTaskFailed (403) → NotCancellable', async () => {
    const failing = await startEmulator({ port: 0, emulations: [ecsEmulation], settings: { 'alibaba.ecs': { failWith: { CancelTask: 'CancelTaskFailed' } } } });
    const failingCtx = directContext(failing.url);
    try {
      const taskId = failing.createOperation('alibaba.ecs', {}).id;
      const error = await thrownBy(() => ecsTaskPlugin.cancel(ecsTaskPlugin.parse({ regionId: 'cn-hangzhou', taskId }), failingCtx));
      expect(error).toMatchObject({ code: 'NotCancellable', providerCode: 'CancelTaskFailed', providerStatus: 403 });
    } finally {
      await failingCtx.close();
      await failing.stop();
    }
  });

  it.each([
    ['RegionId', { TaskId: 't-1' }],
    ['TaskId', { RegionId: 'cn-hangzhou' }],
  ])('MissingParameter %s (400) → InvalidInput', async (name, params) => {
    const error = await thrownBy(() =>
      callRpc(ctx, { product: 'ecs', version: ECS_API_VERSION, action: 'CancelTask', params, errorCodes: ECS_ERROR_CODES }),
    );
    expect(error).toMatchObject({ code: 'InvalidInput', providerCode: 'MissingParameter', providerStatus: 400 });
    expect((error as CancelKitError).providerMessage).toContain(`"${name}"`);
  });

  it('a wrong API version is refused by the emulator and is never mistaken for a missing task', async () => {
    const error = await thrownBy(() =>
      callRpc(ctx, { product: 'ecs', version: '2016-03-14', action: 'CancelTask', params: { RegionId: 'cn-hangzhou', TaskId: 't-1' }, errorCodes: ECS_ERROR_CODES }),
    );
    expect(error).toMatchObject({ code: 'Unknown', providerCode: 'InvalidVersion' });
  });
});

describe('inspect', () => {
  it('describes a running task as cancellable with its details', async () => {
    const taskId = task({ taskAction: 'ExportImage', taskStatus: 'Processing' });
    const [state] = await kit.inspect(ID, { regionId: 'cn-hangzhou', taskId });
    expect(state).toMatchObject({
      target: taskId,
      found: true,
      status: 'Processing',
      terminal: false,
      cancelled: false,
      cancellable: true,
      details: { taskAction: 'ExportImage', supportCancel: 'true' },
    });
    expect(state?.requestId).toMatch(/\S/);
  });

  it('says a failed task is terminal and not cancelled', async () => {
    const [state] = await kit.inspect(ID, { regionId: 'cn-hangzhou', taskId: task({ taskStatus: 'Failed' }) });
    expect(state).toMatchObject({ found: true, terminal: true, cancelled: false, cancellable: false });
  });

  it('plans a dry run that matches the real run', async () => {
    const running = task();
    const finished = task({ taskStatus: 'Finished' });
    const [a] = await kit.plan(ID, { regionId: 'cn-hangzhou', taskId: running });
    const [b] = await kit.plan(ID, { regionId: 'cn-hangzhou', taskId: finished });
    expect(a).toMatchObject({ action: 'cancel', expected: 'cancelled' });
    expect(b).toMatchObject({ action: 'skip', expected: 'already-finished' });
    expect(cancelCalls()).toBe(0);
  });
});

describe('the emulation answers the read calls with the real shapes', () => {
  it('DescribeTasks lists tasks under TaskSet.Task with SupportCancel as a string', async () => {
    const a = task({ taskAction: 'ImportImage' });
    task({ taskAction: 'ExportImage', taskStatus: 'Finished' });
    task({ regionId: 'cn-beijing' });
    const response = await callRpc<{ TotalCount: number; TaskSet: { Task: Record<string, unknown>[] } }>(ctx, {
      product: 'ecs',
      version: ECS_API_VERSION,
      action: 'DescribeTasks',
      params: { RegionId: 'cn-hangzhou', TaskIds: `${a},t-other`, PageSize: 10 },
    });
    expect(response.body.TotalCount).toBe(1);
    expect(response.body.TaskSet.Task[0]).toMatchObject({ TaskId: a, TaskAction: 'ImportImage', TaskStatus: 'Processing', SupportCancel: 'true' });
    expect(response.body.TaskSet.Task[0]?.CreationTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/);
  });

  it('refuses bad admin fields with a 400 naming the field', () => {
    expect(() => emu.createOperation('alibaba.ecs', { taskStatus: 'Exploded' })).toThrow(/taskStatus/);
    expect(() => emu.createOperation('alibaba.ecs', { regionId: 'mars-1' })).toThrow(/regionId/);
  });
});

describe('parse rejects bad input before any request', () => {
  afterEach(() => expect(emu.requests()).toHaveLength(0));

  it.each([
    [{ regionId: 'cn-hangzhou' }, 'taskId', 'is required'],
    [{ regionId: 'cn-hangzhou', taskId: '' }, 'taskId', 'is empty'],
    [{ regionId: 'cn-hangzhou', taskId: 't-1\r\nX-Injected: 1' }, 'taskId', 'line breaks'],
    [{ regionId: 'cn-hangzhou', taskId: 't-1\u0000' }, 'taskId', 'control characters'],
    [{ regionId: 'cn-hangzhou', taskId: ' t-1' }, 'taskId', 'spaces'],
    [{ regionId: 'cn-hangzhou', taskId: `t-${'a'.repeat(200)}` }, 'taskId', 'too long'],
    [{ regionId: 'cn-hangzhou', taskId: 42 }, 'taskId', 'must be a string'],
    [{ taskId: 't-1' }, 'regionId', 'is required'],
    [{ regionId: 'CN Hangzhou', taskId: 't-1' }, 'regionId', 'cn-hangzhou'],
    [{ regionId: 'cn-hangzhou\n', taskId: 't-1' }, 'regionId', 'not a region id'],
    [{ regionId: 'cn-hangzhou', taskId: 't-1', taskID: 't-2' }, '', 'unknown parameter(s) taskID'],
  ])('%j → %s %s', async (input, field, text) => {
    const error = await thrownBy(() => kit.cancel(ID, input));
    expect(error).toMatchObject({ code: 'InvalidInput' });
    const issues = (error as CancelKitError).issues;
    expect(issues.some((i) => i.field === field && i.message.includes(text))).toBe(true);
  });

  it('rejects prototype-polluting keys', async () => {
    const input = JSON.parse('{"regionId":"cn-hangzhou","taskId":"t-1","__proto__":{"x":1}}') as unknown;
    await expect(kit.cancel(ID, input)).rejects.toMatchObject({ code: 'InvalidInput' });
  });
});

describe('secrets never leak', () => {
  const WRONG_SECRET = 'wrong-secret-ABCDEF0123456789';
  const TOKEN = 'STS.token-9876543210-secret';

  it('a wrong secret is Unauthenticated and neither the secret nor the token appears in results, errors or logs', async () => {
    const logs: LogRecord[] = [];
    const badKit = kitFor(ecsTaskPlugin, 'alibaba.ecs', emu.url, { accessKeySecret: WRONG_SECRET, securityToken: TOKEN, logs });
    const badCtx = directContext(emu.url, { accessKeySecret: WRONG_SECRET, securityToken: TOKEN, logs });
    try {
      const taskId = task();
      const [result] = await badKit.cancel(ID, { regionId: 'cn-hangzhou', taskId });
      expect(result?.outcome).toBe('failed');
      expect(result?.error?.code).toBe('Unauthenticated');
      const direct = await thrownBy(() =>
        ecsTaskPlugin.cancel(ecsTaskPlugin.parse({ regionId: 'cn-hangzhou', taskId }), badCtx),
      );
      const everything = [
        JSON.stringify(result),
        JSON.stringify(logs),
        String(direct),
        JSON.stringify(direct),
        JSON.stringify(Object.fromEntries(Object.entries(direct as object))),
        (direct as Error).stack ?? '',
      ].join('\n');
      expect(everything).not.toContain(WRONG_SECRET);
      expect(everything).not.toContain(TOKEN);
      expect(everything).not.toContain(encodeURIComponent(TOKEN));
      expect(statusOf(taskId)).toBe('Processing');
    } finally {
      await badKit.close();
      await badCtx.close();
    }
  });
});

describe('manifest', () => {
  it('describes the plugin and its params as JSON Schema', () => {
    expect(manifest).toMatchObject({ id: ID, provider: 'alibaba', service: 'alibaba.ecs', operation: 'task', targetParam: 'taskId' });
    expect(manifest.docsUrl).toMatch(/^https:\/\/www\.alibabacloud\.com\//);
    const schema = manifest.paramsSchema as { properties: Record<string, unknown>; required: string[]; additionalProperties: boolean };
    expect(Object.keys(schema.properties).sort()).toEqual(['regionId', 'taskId']);
    expect(schema.required.sort()).toEqual(['regionId', 'taskId']);
    expect(schema.additionalProperties).toBe(false);
    expect(JSON.parse(JSON.stringify(manifest))).toEqual(manifest);
    for (const example of manifest.examples ?? []) expect(() => ecsTaskPlugin.parse(example)).not.toThrow();
  });
});
