import { callRoa } from '@cancelkit/alibaba-openapi';
import type { CancelKit, CancelKitError, LogRecord } from '@cancelkit/core';
import { type RunningEmulator, startEmulator } from '@cancelkit/emulator';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import ha3Emulation from './emulation.js';
import ha3FsmTaskPlugin from './index.js';
import manifest from './manifest.js';
import { type DirectContext, directContext, kitFor, thrownBy } from '@cancelkit/alibaba-openapi/testing';
import { HA3_API_VERSION, HA3_ERROR_CODES } from './wire.js';

const ID = 'alibaba.opensearch.fsm-task';
const INSTANCE = 'ha-cn-7mz2nx41h01';
const DOC_FSM_ID =
  'tisplus_opensearch@datasource_flow_fsm@1865410598556969-ha-cn-0ju2rrogr01_test_api_2@sz_vpc_domain_1@null@MANUAL-ha-cn-0ju2rrogr01_test_api_2@1657511220772@165343';
let emu: RunningEmulator;
let kit: CancelKit;
let ctx: DirectContext;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, emulations: [ha3Emulation] });
  kit = kitFor(ha3FsmTaskPlugin, 'alibaba.opensearch', emu.url);
  ctx = directContext(emu.url);
});
afterAll(async () => {
  await kit.close();
  await ctx.close();
  await emu.stop();
});
beforeEach(() => emu.reset());

function fsmTask(fields: Record<string, unknown> = {}): string {
  return emu.createOperation('alibaba.opensearch', { instanceId: INSTANCE, ...fields }).id;
}
function statusOf(id: string): string | undefined {
  return emu.listOperations('alibaba.opensearch').find((o) => o.id === id)?.status;
}
function stopCalls() {
  return emu.requests().filter((r) => r.action === 'StopTask');
}

describe('stop through the kit (real HTTP to the emulator)', () => {
  it('stops a running FSM task with the documentation example id', async () => {
    const fsmId = fsmTask({ fsmId: DOC_FSM_ID });
    const [result] = await kit.cancel(ID, { regionId: 'cn-hangzhou', instanceId: INSTANCE, fsmId });
    expect(result).toMatchObject({ target: DOC_FSM_ID, outcome: 'cancelled', attempts: 1 });
    expect(result?.requestId).toMatch(/\S/);
    expect(statusOf(fsmId)).toBe('stopped');
    const [call] = stopCalls();
    expect(call?.method).toBe('PUT');
    expect(call?.signature?.ok).toBe(true);
    // `@` is encoded exactly once on the wire (%40), never twice (%2540).
    expect(call?.path).toBe(`/openapi/ha3/instances/${INSTANCE}/stop-task/${DOC_FSM_ID.replaceAll('@', '%40')}`);
  });

  it.each([
    ['slash and dots', 'a/../../b@c'],
    ['percent', 'fsm%40already%2Fencoded'],
    ['query and fragment characters', 'fsm?x=1&y=2#frag'],
    ['space and plus', 'fsm with space+plus'],
    ['sub-delims', "fsm*!'()~"],
    ['non-ASCII', 'fsm@任务-é'],
  ])('an fsmId with %s stays one path segment, encoded once', async (_label, fsmId) => {
    const other = fsmTask({ fsmId: 'b@c' });
    fsmTask({ fsmId });
    const [result] = await kit.cancel(ID, { regionId: 'cn-hangzhou', instanceId: INSTANCE, fsmId });
    expect(result?.outcome).toBe('cancelled');
    expect(statusOf(fsmId)).toBe('stopped');
    expect(statusOf(other)).toBe('running');
    const path = stopCalls()[0]?.path ?? '';
    expect(path.startsWith(`/openapi/ha3/instances/${INSTANCE}/stop-task/`)).toBe(true);
    const segments = path.split('/');
    expect(segments).toHaveLength(7);
    // Decoding the segment once gives the id back: it was encoded exactly once.
    expect(decodeURIComponent(segments[6] ?? '')).toBe(fsmId);
  });

  it('waits until the stopped task is terminal', async () => {
    const fsmId = fsmTask();
    const [result] = await kit.cancel(ID, { regionId: 'cn-hangzhou', instanceId: INSTANCE, fsmId }, { wait: true });
    expect(result?.waited).toMatchObject({ terminal: true, timedOut: false, status: 'stopped' });
  });

  it.each(['success', 'failed', 'stopped'])('reports already-finished for a %s task without sending StopTask', async (status) => {
    const fsmId = fsmTask({ status });
    const [result] = await kit.cancel(ID, { regionId: 'cn-hangzhou', instanceId: INSTANCE, fsmId });
    expect(result).toMatchObject({ outcome: 'already-finished', attempts: 0 });
    expect(stopCalls()).toHaveLength(0);
  });

  it('with the pre-check off, a refused stop is reconciled into already-finished', async () => {
    const fsmId = fsmTask({ status: 'success' });
    const [result] = await kit.cancel(ID, { regionId: 'cn-hangzhou', instanceId: INSTANCE, fsmId }, { precheck: false });
    expect(result?.outcome).toBe('already-finished');
    expect(stopCalls()).toHaveLength(1);
  });

  it('reports not-found for an unknown task and for an unknown instance', async () => {
    fsmTask();
    const [unknownTask] = await kit.cancel(ID, { regionId: 'cn-hangzhou', instanceId: INSTANCE, fsmId: 'fsm@none' });
    expect(unknownTask?.outcome).toBe('not-found');
    const [unknownInstance] = await kit.cancel(ID, { regionId: 'cn-hangzhou', instanceId: 'ha-cn-nothere', fsmId: 'fsm@none' });
    expect(unknownInstance?.outcome).toBe('not-found');
    // ListClusterTasks itself answers instance.NotFound, which is what the user needs to read.
    expect(unknownInstance?.reason).toContain('instance.NotFound');
    expect(stopCalls()).toHaveLength(0);
  });
});

describe('error codes map to the taxonomy (plugin called directly)', () => {
  const stop = (instanceId: string, fsmId: string) =>
    thrownBy(() => ha3FsmTaskPlugin.cancel(ha3FsmTaskPlugin.parse({ regionId: 'cn-hangzhou', instanceId, fsmId }), ctx));

  it('instance.NotFound (404) → NotFound, read from the lower-camel ROA body', async () => {
    const error = await stop('ha-cn-missing', 'fsm@1');
    expect(error).toMatchObject({ code: 'NotFound', providerCode: 'instance.NotFound', providerStatus: 404, providerMessage: 'Instance not found' });
    expect((error as CancelKitError).requestId).toMatch(/\S/);
  });

  it('task.NotFound (404) → NotFound', async () => {
    fsmTask();
    expect(await stop(INSTANCE, 'fsm@missing')).toMatchObject({ code: 'NotFound', providerCode: 'task.NotFound' });
  });

  it('task.InvalidStatus (400) → NotCancellable', async () => {
    const fsmId = fsmTask({ status: 'failed' });
    expect(await stop(INSTANCE, fsmId)).toMatchObject({ code: 'NotCancellable', providerCode: 'task.InvalidStatus', providerStatus: 400 });
  });

  it('an unknown ROA path answers InvalidAction.NotFound → Unknown, never "task not found"', async () => {
    const error = await thrownBy(() =>
      callRoa(ctx, {
        product: 'searchengine',
        version: HA3_API_VERSION,
        action: 'StopTasks',
        method: 'PUT',
        pathSegments: ['openapi', 'ha3', 'instances', INSTANCE, 'stop-tasks', 'x'],
        errorCodes: HA3_ERROR_CODES,
      }),
    );
    expect(error).toMatchObject({ code: 'Unknown', providerCode: 'InvalidAction.NotFound' });
  });
});

describe('inspect', () => {
  it('reads the task through ListClusterTasks', async () => {
    const fsmId = fsmTask({ status: 'pending' });
    const [state] = await kit.inspect(ID, { regionId: 'cn-hangzhou', instanceId: INSTANCE, fsmId });
    expect(state).toMatchObject({ target: fsmId, found: true, status: 'pending', terminal: false, cancellable: true });
    expect(state?.details).toMatchObject({ groupType: 'Table_Update' });
  });

  it('ListClusterTasks answers {requestId, result:[…]} with fsmId, status and taskNodes', async () => {
    const fsmId = fsmTask();
    const response = await callRoa<{ requestId: string; result: Record<string, unknown>[] }>(ctx, {
      product: 'searchengine',
      version: HA3_API_VERSION,
      action: 'ListClusterTasks',
      method: 'GET',
      pathSegments: ['openapi', 'ha3', 'instances', INSTANCE, 'cluster-tasks'],
    });
    expect(response.body.requestId).toBe(response.requestId);
    expect(response.body.result[0]).toMatchObject({ fsmId, status: 'running', groupType: 'Table_Update' });
    expect(Array.isArray(response.body.result[0]?.taskNodes)).toBe(true);
  });

  it('StopTask answers {requestId, result:{}}', async () => {
    const fsmId = fsmTask();
    const response = await callRoa<{ requestId: string; result: unknown }>(ctx, {
      product: 'searchengine',
      version: HA3_API_VERSION,
      action: 'StopTask',
      method: 'PUT',
      pathSegments: ['openapi', 'ha3', 'instances', INSTANCE, 'stop-task', fsmId],
    });
    expect(response.body).toEqual({ requestId: response.requestId, result: {} });
  });

  it('refuses bad admin fields naming the field', () => {
    expect(() => emu.createOperation('alibaba.opensearch', { status: 'exploded' })).toThrow(/status/);
    expect(() => emu.createOperation('alibaba.opensearch', { instanceId: 'ha cn' })).toThrow(/instanceId/);
  });
});

describe('parse rejects bad input before any request', () => {
  afterEach(() => expect(emu.requests()).toHaveLength(0));

  it.each([
    [{ regionId: 'cn-hangzhou', instanceId: INSTANCE }, 'fsmId', 'is required'],
    [{ regionId: 'cn-hangzhou', instanceId: INSTANCE, fsmId: '' }, 'fsmId', 'is empty'],
    [{ regionId: 'cn-hangzhou', instanceId: INSTANCE, fsmId: '..' }, 'fsmId', 'cannot be'],
    [{ regionId: 'cn-hangzhou', instanceId: INSTANCE, fsmId: '.' }, 'fsmId', 'cannot be'],
    [{ regionId: 'cn-hangzhou', instanceId: INSTANCE, fsmId: 'fsm\r\nHost: evil' }, 'fsmId', 'line breaks'],
    [{ regionId: 'cn-hangzhou', instanceId: INSTANCE, fsmId: 'fsm\u0000' }, 'fsmId', 'control characters'],
    [{ regionId: 'cn-hangzhou', instanceId: INSTANCE, fsmId: ' fsm' }, 'fsmId', 'space'],
    [{ regionId: 'cn-hangzhou', instanceId: INSTANCE, fsmId: 'f'.repeat(2000) }, 'fsmId', 'too long'],
    [{ regionId: 'cn-hangzhou', instanceId: '..', fsmId: 'fsm' }, 'instanceId', 'not an instance id'],
    [{ regionId: 'cn-hangzhou', instanceId: 'ha-cn/../x', fsmId: 'fsm' }, 'instanceId', 'not an instance id'],
    [{ regionId: 'cn-hangzhou', fsmId: 'fsm' }, 'instanceId', 'is required'],
    [{ instanceId: INSTANCE, fsmId: 'fsm' }, 'regionId', 'is required'],
    [{ regionId: 'cn-hangzhou', instanceId: INSTANCE, fsmId: 'fsm', taskId: 'x' }, '', 'unknown parameter(s) taskId'],
  ])('%j → %s %s', async (input, field, text) => {
    const error = await thrownBy(() => kit.cancel(ID, input));
    expect(error).toMatchObject({ code: 'InvalidInput' });
    expect((error as CancelKitError).issues.some((i) => i.field === field && i.message.includes(text))).toBe(true);
  });

  it('accepts fsmIds with @, spaces inside and non-ASCII', () => {
    for (const fsmId of [DOC_FSM_ID, 'a b', 'fsm@任务', "x*!'()~%/?#"]) {
      expect(ha3FsmTaskPlugin.parse({ regionId: 'cn-hangzhou', instanceId: INSTANCE, fsmId })).toEqual({ regionId: 'cn-hangzhou', instanceId: INSTANCE, fsmId });
    }
  });
});

describe('secrets never leak', () => {
  it('a wrong secret is Unauthenticated and appears nowhere', async () => {
    const secret = 'ha3-wrong-secret-0123456789';
    const logs: LogRecord[] = [];
    const badKit = kitFor(ha3FsmTaskPlugin, 'alibaba.opensearch', emu.url, { accessKeySecret: secret, logs });
    try {
      const fsmId = fsmTask();
      const [result] = await badKit.cancel(ID, { regionId: 'cn-hangzhou', instanceId: INSTANCE, fsmId });
      expect(result?.outcome).toBe('failed');
      expect(result?.error?.code).toBe('Unauthenticated');
      expect(JSON.stringify(result) + JSON.stringify(logs)).not.toContain(secret);
      expect(statusOf(fsmId)).toBe('running');
    } finally {
      await badKit.close();
    }
  });
});

describe('manifest', () => {
  it('describes the plugin and its params as JSON Schema', () => {
    expect(manifest).toMatchObject({ id: ID, provider: 'alibaba', service: 'alibaba.opensearch', operation: 'fsm-task', targetParam: 'fsmId' });
    const schema = manifest.paramsSchema as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(schema.properties).sort()).toEqual(['fsmId', 'instanceId', 'regionId']);
    for (const example of manifest.examples ?? []) expect(() => ha3FsmTaskPlugin.parse(example)).not.toThrow();
  });

  it('its JSON Schema refuses the dot segments parse refuses (hosts validate with the manifest alone)', () => {
    const node = (manifest.paramsSchema as { properties: { fsmId: { pattern?: string; allOf?: { pattern: string }[] } } }).properties.fsmId;
    const patterns = [...(node.pattern ? [node.pattern] : []), ...(node.allOf ?? []).map((a) => a.pattern)].map((p) => new RegExp(p, 'u'));
    const schemaAccepts = (id: string) => patterns.every((p) => p.test(id));
    for (const id of ['.', '..']) expect(schemaAccepts(id), id).toBe(false);
    for (const id of ['...', 'a.b', 'tisplus_opensearch@datasource_flow_fsm@1']) expect(schemaAccepts(id), id).toBe(true);
  });
});
