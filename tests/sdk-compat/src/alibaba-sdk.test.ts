/**
 * The official Alibaba Cloud SDKs, unmodified, against `@cancelkit/emulator` playing the four Alibaba
 * plugins' services over plain HTTP on 127.0.0.1 (wire doc §7 shows how each SDK is pointed there).
 * Covered: ACS3-HMAC-SHA256 (product SDKs and openapi-client `callApi`, RPC and ROA), RPC V1 (pop-core,
 * openapi-client `signatureAlgorithm: 'v2'`) and ROA V1 (pop-core, which sends no x-acs-action).
 */
import * as ecsSdk from '@alicloud/ecs20140526';
import * as openApiClient from '@alicloud/openapi-client';
import RPCClient from '@alicloud/pop-core';
import * as kvstoreSdk from '@alicloud/r-kvstore20150101';
import { type RunningEmulator, startEmulator } from '@cancelkit/emulator';
import ecsEmulation from '@cancelkit/plugin-alibaba-ecs/emulation';
import oosEmulation from '@cancelkit/plugin-alibaba-oos/emulation';
import ha3Emulation from '@cancelkit/plugin-alibaba-opensearch/emulation';
import tairEmulation from '@cancelkit/plugin-alibaba-tair/emulation';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

/**
 * The SDKs are CommonJS compiled by TypeScript, with the client class at `exports.default`. Node's ESM
 * loader hands `module.exports` over as the default import, while vitest's interop may already unwrap it.
 */
function clientClass<T>(moduleDefault: { default: T }): T {
  const value: unknown = moduleDefault;
  return typeof value === 'function' ? (value as T) : moduleDefault.default;
}
const EcsClient = clientClass(ecsSdk.default);
const KvstoreClient = clientClass(kvstoreSdk.default);
const OpenApi = clientClass(openApiClient.default);
type OpenApiInstance = InstanceType<typeof OpenApi>;
/** callApi reads its runtime options field by field; `{}` means every default (tea-util is not a dependency here). */
const DEFAULT_RUNTIME = {} as Parameters<OpenApiInstance['callApi']>[2];

/** pop-core types only its RPC client; this is the part of ROAClient (lib/roa.js) the tests use. */
interface PopRoaClient {
  put(path: string, query: Record<string, string>, body: string, headers?: Record<string, string>): Promise<Record<string, unknown>>;
}
const ROAClient = (RPCClient as unknown as { ROAClient: new (config: RPCClient.Config) => PopRoaClient }).ROAClient;

const DEMO = { accessKeyId: 'cancelkit-demo-ak', accessKeySecret: 'cancelkit-demo-sk' };
const FSM_ID = 'tisplus_opensearch@datasource_flow_fsm@1865410598556969-ha-cn-7mz2nx41h01_api@bj_vpc_domain_1@null@MANUAL@1649729867698@028315';

let emu: RunningEmulator;
/** Same services, with documented errors no operation state explains switched on. */
let failing: RunningEmulator;

beforeAll(async () => {
  const emulations = [ecsEmulation, tairEmulation, oosEmulation, ha3Emulation];
  emu = await startEmulator({ port: 0, emulations });
  failing = await startEmulator({
    port: 0,
    emulations,
    settings: {
      'alibaba.ecs': { failWith: { CancelTask: 'CancelTaskFailed' } },
      'alibaba.oos': { failWith: { CancelExecution: 'User.NoPermission' } },
    },
  });
});
afterAll(async () => {
  await emu.stop();
  await failing.stop();
});
beforeEach(() => {
  emu.reset();
  failing.reset();
});

function hostPort(server: RunningEmulator): string {
  return `127.0.0.1:${server.port}`;
}
function sdkConfig(server: RunningEmulator, extra: Record<string, unknown> = {}): ConstructorParameters<typeof EcsClient>[0] {
  // The product SDKs read the config's fields; openapi-client's Config carries the same ones.
  return new openApiClient.Config({ ...DEMO, endpoint: hostPort(server), protocol: 'http', regionId: 'cn-hangzhou', ...extra }) as unknown as ConstructorParameters<
    typeof EcsClient
  >[0];
}
async function rejection(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Record<string, unknown>;
  }
  throw new Error('expected the SDK call to fail');
}
function statusOf(server: RunningEmulator, service: string, id: string): string | undefined {
  return server.listOperations(service).find((o) => o.id === id)?.status;
}
function lastVerdict(server: RunningEmulator): string | undefined {
  const entry = server.requests().at(-1);
  return entry?.signature?.ok ? entry.signature.scheme : `refused ${JSON.stringify(entry)}`;
}

describe('@alicloud/ecs20140526 (ACS3-HMAC-SHA256)', () => {
  it('cancelTask cancels a running ImportImage task', async () => {
    const taskId = emu.createOperation('alibaba.ecs', { taskAction: 'ImportImage' }).id;
    const response = await new EcsClient(sdkConfig(emu)).cancelTask(new ecsSdk.CancelTaskRequest({ regionId: 'cn-hangzhou', taskId }));
    expect(response.statusCode).toBe(200);
    expect(response.body?.requestId).toMatch(/\S/);
    expect(statusOf(emu, 'alibaba.ecs', taskId)).toBe('Deleted');
    expect(lastVerdict(emu)).toBe('ACS3-HMAC-SHA256');
  });

  it('describeTasks lists tasks with the typed model (TaskSet.Task, SupportCancel string)', async () => {
    const taskId = emu.createOperation('alibaba.ecs', { taskAction: 'ExportImage', taskStatus: 'Processing' }).id;
    const response = await new EcsClient(sdkConfig(emu)).describeTasks(new ecsSdk.DescribeTasksRequest({ regionId: 'cn-hangzhou', taskIds: taskId }));
    expect(response.body?.totalCount).toBe(1);
    const task = response.body?.taskSet?.task?.[0];
    expect(task).toMatchObject({ taskId, taskAction: 'ExportImage', taskStatus: 'Processing', supportCancel: 'true' });
  });

  it.each([
    ['InvalidTaskId.NotFound', 400, () => ({ regionId: 'cn-hangzhou', taskId: 't-missing' })],
    ['InvalidTaskId.TaskActionNotSupport', 403, () => ({ regionId: 'cn-hangzhou', taskId: emu.createOperation('alibaba.ecs', { taskAction: 'RedeployInstance' }).id })],
    ['InvalidTaskId.IncorrectTaskStatus', 403, () => ({ regionId: 'cn-hangzhou', taskId: emu.createOperation('alibaba.ecs', { taskStatus: 'Finished' }).id })],
    ['InvalidRegionId.NotFound', 400, () => ({ regionId: 'xx-nowhere-1', taskId: 't-1' })],
    ['MissingParameter', 400, () => ({ regionId: 'cn-hangzhou' })],
  ])('cancelTask answers %s (%i) as the SDK expects', async (code, status, request) => {
    const error = await rejection(new EcsClient(sdkConfig(emu)).cancelTask(new ecsSdk.CancelTaskRequest(request())));
    expect(error).toMatchObject({ code, statusCode: status });
  });

  it('cancelTask answers CancelTaskFailed (403)', async () => {
    const taskId = failing.createOperation('alibaba.ecs', {}).id;
    const error = await rejection(new EcsClient(sdkConfig(failing)).cancelTask(new ecsSdk.CancelTaskRequest({ regionId: 'cn-hangzhou', taskId })));
    expect(error).toMatchObject({ code: 'CancelTaskFailed', statusCode: 403 });
    expect(statusOf(failing, 'alibaba.ecs', taskId)).toBe('Processing');
  });

  it('cancelTask with signatureAlgorithm v2 (legacy RPC V1 HMAC-SHA1) works too', async () => {
    const taskId = emu.createOperation('alibaba.ecs', {}).id;
    const response = await new EcsClient(sdkConfig(emu, { signatureAlgorithm: 'v2' })).cancelTask(
      new ecsSdk.CancelTaskRequest({ regionId: 'cn-hangzhou', taskId }),
    );
    expect(response.statusCode).toBe(200);
    expect(statusOf(emu, 'alibaba.ecs', taskId)).toBe('Deleted');
    expect(lastVerdict(emu)).not.toMatch(/^refused/);
  });

  it('a wrong secret is refused with SignatureDoesNotMatch and changes nothing', async () => {
    const taskId = emu.createOperation('alibaba.ecs', {}).id;
    const error = await rejection(
      new EcsClient(sdkConfig(emu, { accessKeySecret: 'not-the-secret' })).cancelTask(new ecsSdk.CancelTaskRequest({ regionId: 'cn-hangzhou', taskId })),
    );
    expect(error.code).toBe('SignatureDoesNotMatch');
    expect(statusOf(emu, 'alibaba.ecs', taskId)).toBe('Processing');
  });
});

describe('@alicloud/r-kvstore20150101 (ACS3-HMAC-SHA256)', () => {
  it('cancelActiveOperationTasks answers with the Ids it cancelled (a subset)', async () => {
    const ok1 = emu.createOperation('alibaba.tair', {}).id;
    const blocked = emu.createOperation('alibaba.tair', { allowCancel: 0 }).id;
    const ok2 = emu.createOperation('alibaba.tair', {}).id;
    const response = await new KvstoreClient(sdkConfig(emu)).cancelActiveOperationTasks(
      new kvstoreSdk.CancelActiveOperationTasksRequest({ ids: [ok1, blocked, ok2, '42'].join(',') }),
    );
    expect(response.body?.ids).toBe(`${ok1},${ok2}`);
    expect(response.body?.requestId).toMatch(/\S/);
    expect(statusOf(emu, 'alibaba.tair', blocked)).toBe('3');
  });

  it('cancelActiveOperationTasks without Ids answers MissingParameter (400)', async () => {
    const error = await rejection(new KvstoreClient(sdkConfig(emu)).cancelActiveOperationTasks(new kvstoreSdk.CancelActiveOperationTasksRequest({})));
    expect(error).toMatchObject({ code: 'MissingParameter', statusCode: 400 });
  });
});

describe('@alicloud/pop-core (legacy V1 signatures)', () => {
  const rpc = (server: RunningEmulator) =>
    new RPCClient({ ...DEMO, endpoint: `http://${hostPort(server)}`, apiVersion: '2019-06-01' });

  it.each(['GET', 'POST'])('RPC V1 CancelExecution (%s) cancels a running execution', async (method) => {
    const executionId = emu.createOperation('alibaba.oos', {}).id;
    const result = await rpc(emu).request<{ RequestId: string }>('CancelExecution', { ExecutionId: executionId, RegionId: 'cn-hangzhou' }, { method });
    expect(result.RequestId).toMatch(/\S/);
    expect(statusOf(emu, 'alibaba.oos', executionId)).toBe('Cancelled');
    expect(lastVerdict(emu)).not.toMatch(/^refused/);
  });

  it.each([
    ['EntityNotExist.Execution', () => 'exec-missing'],
    ['ExecutionCancelFailed', () => emu.createOperation('alibaba.oos', { status: 'Success' }).id],
  ])('RPC V1 CancelExecution answers %s', async (code, executionId) => {
    const error = await rejection(rpc(emu).request('CancelExecution', { ExecutionId: executionId(), RegionId: 'cn-hangzhou' }, { method: 'POST' }));
    expect(error.code).toBe(code);
  });

  it('RPC V1 CancelExecution answers User.NoPermission', async () => {
    const executionId = failing.createOperation('alibaba.oos', {}).id;
    const error = await rejection(rpc(failing).request('CancelExecution', { ExecutionId: executionId }, { method: 'POST' }));
    expect(error.code).toBe('User.NoPermission');
  });

  it('ROA V1 StopTask (routed by method and path: pop-core sends no x-acs-action) stops a running FSM task', async () => {
    const instanceId = 'ha-cn-popcore1';
    const fsmId = emu.createOperation('alibaba.opensearch', { instanceId, fsmId: 'fsm-popcore-1' }).id;
    const roa = new ROAClient({ ...DEMO, endpoint: `http://${hostPort(emu)}`, apiVersion: '2021-10-25' });
    const result = await roa.put(`/openapi/ha3/instances/${instanceId}/stop-task/${fsmId}`, {}, '');
    expect(result).toMatchObject({ result: {} });
    expect(statusOf(emu, 'alibaba.opensearch', fsmId)).toBe('stopped');
    expect(lastVerdict(emu)).not.toMatch(/^refused/);
  });

  it('ROA V1 StopTask on an unknown instance answers 404 instance.NotFound', async () => {
    const roa = new ROAClient({ ...DEMO, endpoint: `http://${hostPort(emu)}`, apiVersion: '2021-10-25' });
    const error = await rejection(roa.put('/openapi/ha3/instances/ha-cn-none/stop-task/fsm-1', {}, ''));
    expect(error.statusCode).toBe(404);
    expect(error.result).toMatchObject({ code: 'instance.NotFound' });
  });
});

describe('@alicloud/openapi-client callApi', () => {
  const client = (server: RunningEmulator, extra: Record<string, unknown> = {}): OpenApiInstance =>
    new OpenApi(new openApiClient.Config({ ...DEMO, endpoint: hostPort(server), protocol: 'http', ...extra }));
  const rpcParams = (action: string) =>
    new openApiClient.Params({
      action,
      version: '2019-06-01',
      protocol: 'HTTPS',
      pathname: '/',
      method: 'POST',
      authType: 'AK',
      style: 'RPC',
      reqBodyType: 'formData',
      bodyType: 'json',
    });
  const stopTaskParams = (instanceId: string, fsmId: string) =>
    new openApiClient.Params({
      action: 'StopTask',
      version: '2021-10-25',
      protocol: 'HTTPS',
      pathname: `/openapi/ha3/instances/${encodeURIComponent(instanceId)}/stop-task/${encodeURIComponent(fsmId)}`,
      method: 'PUT',
      authType: 'AK',
      style: 'ROA',
      reqBodyType: 'json',
      bodyType: 'json',
    });

  it.each([
    ['ACS3-HMAC-SHA256', {}],
    ['RPC V1 (signatureAlgorithm v2)', { signatureAlgorithm: 'v2' }],
  ])('RPC CancelExecution with %s cancels and reports EntityNotExist.Execution', async (_scheme, extra) => {
    const executionId = emu.createOperation('alibaba.oos', {}).id;
    const request = (id: string) => new openApiClient.OpenApiRequest({ query: { ExecutionId: id, RegionId: 'cn-hangzhou' } });
    const response = (await client(emu, extra).callApi(rpcParams('CancelExecution'), request(executionId), DEFAULT_RUNTIME)) as {
      statusCode: number;
      body: { RequestId: string };
    };
    expect(response.statusCode).toBe(200);
    expect(response.body.RequestId).toMatch(/\S/);
    expect(statusOf(emu, 'alibaba.oos', executionId)).toBe('Cancelled');
    const error = await rejection(client(emu, extra).callApi(rpcParams('CancelExecution'), request('exec-missing'), DEFAULT_RUNTIME));
    expect(error.code).toBe('EntityNotExist.Execution');
    const refused = await rejection(client(emu, extra).callApi(rpcParams('CancelExecution'), request(executionId), DEFAULT_RUNTIME));
    expect(refused.code).toBe('ExecutionCancelFailed');
  });

  it.each([
    ['ACS3-HMAC-SHA256', {}],
    ['ROA V1 (signatureAlgorithm v2)', { signatureAlgorithm: 'v2' }],
  ])('ROA StopTask with %s stops an FSM task whose id carries @, and reports instance.NotFound', async (_scheme, extra) => {
    const instanceId = 'ha-cn-callapi1';
    const fsmId = emu.createOperation('alibaba.opensearch', { instanceId, fsmId: FSM_ID }).id;
    const response = (await client(emu, extra).callApi(stopTaskParams(instanceId, fsmId), new openApiClient.OpenApiRequest({}), DEFAULT_RUNTIME)) as {
      statusCode: number;
      body: { requestId: string; result: unknown };
    };
    expect(response.statusCode).toBe(200);
    expect(response.body).toMatchObject({ result: {} });
    expect(statusOf(emu, 'alibaba.opensearch', fsmId)).toBe('stopped');
    const error = await rejection(client(emu, extra).callApi(stopTaskParams('ha-cn-none', fsmId), new openApiClient.OpenApiRequest({}), DEFAULT_RUNTIME));
    expect(error.code).toBe('instance.NotFound');
  });

  it('RPC callApi to the ECS API reports InvalidTaskId.IncorrectTaskStatus for a finished task', async () => {
    const taskId = emu.createOperation('alibaba.ecs', { taskStatus: 'Finished' }).id;
    const params = new openApiClient.Params({
      action: 'CancelTask',
      version: '2014-05-26',
      protocol: 'HTTPS',
      pathname: '/',
      method: 'POST',
      authType: 'AK',
      style: 'RPC',
      reqBodyType: 'formData',
      bodyType: 'json',
    });
    const error = await rejection(
      client(emu).callApi(params, new openApiClient.OpenApiRequest({ query: { RegionId: 'cn-hangzhou', TaskId: taskId } }), DEFAULT_RUNTIME),
    );
    expect(error.code).toBe('InvalidTaskId.IncorrectTaskStatus');
  });
});
