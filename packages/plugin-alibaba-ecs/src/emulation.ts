/**
 * The ECS emulation for `@cancelkit/emulator`: CancelTask, DescribeTasks and DescribeTaskAttribute with
 * ECS's own rules and every error code of the CancelTask documentation.
 *
 * Admin fields (`POST /_emulator/operations {"service":"alibaba.ecs", …}`): regionId, taskId, taskAction,
 * taskStatus. Setting `settings: { 'alibaba.ecs': { failWith: { CancelTask: 'CancelTaskFailed' } } }`
 * makes an action answer with a documented error that no task state explains (CancelTaskFailed is an
 * internal failure on the cloud's side).
 */
import { alibabaRpcProtocol } from '@cancelkit/alibaba-openapi/emulation';
import {
  type CreateOperationContext,
  defineEmulation,
  type EmulatedCall,
  type EmulatedOperation,
  EmulatedError,
  type EmulatorResponse,
} from '@cancelkit/core/emulation';
import {
  CANCELLABLE_TASK_ACTIONS,
  type DocumentedError,
  ECS_API_VERSION,
  ECS_CANCEL_TASK_ERRORS,
  FINISHED_TASK_STATUSES,
  RUNNING_TASK_STATUSES,
} from './wire.js';

export const ECS_SERVICE = 'alibaba.ecs';

/** Regions ECS answers for; any other RegionId gets InvalidRegionId.NotFound. */
export const ECS_REGIONS: ReadonlySet<string> = new Set([
  'cn-qingdao', 'cn-beijing', 'cn-zhangjiakou', 'cn-huhehaote', 'cn-wulanchabu', 'cn-hangzhou', 'cn-shanghai',
  'cn-nanjing', 'cn-fuzhou', 'cn-shenzhen', 'cn-heyuan', 'cn-guangzhou', 'cn-chengdu', 'cn-hongkong',
  'ap-northeast-1', 'ap-northeast-2', 'ap-southeast-1', 'ap-southeast-3', 'ap-southeast-5', 'ap-southeast-6',
  'ap-southeast-7', 'us-east-1', 'us-west-1', 'eu-west-1', 'eu-central-1', 'me-east-1', 'me-central-1', 'na-south-1',
]);

const TASK_ACTIONS = new Set(['ImportImage', 'ExportImage', 'RedeployInstance', 'ModifyDiskSpec', 'ArchiveSnapshot']);
const TASK_STATUSES = new Set(['Processing', 'Waiting', 'Pending', 'Paused', 'Finished', 'Failed', 'Deleted']);
/** DescribeTasks' TaskStatus filter: "Only tasks in the Finished, Processing, or Failed state can be queried. Other values do not take effect." */
const FILTERABLE_STATUSES = new Set(['Finished', 'Processing', 'Failed']);
/** The status a cancelled task shows (see CANCELLED_TASK_STATUSES in wire.ts). */
const CANCELLED_STATUS = 'Deleted';

function fail(error: DocumentedError): never {
  throw new EmulatedError(error.status, error.code, error.message);
}

/** ECS timestamps in task listings: `2015-11-23T02:13Z` (UTC, minutes). */
function ecsTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16)}Z`;
}

function optionalString(fields: Readonly<Record<string, unknown>>, name: string, allowed?: ReadonlySet<string>): string | undefined {
  const value = fields[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 128 || /\s/.test(value)) {
    throw new EmulatedError(400, 'InvalidParameter', `${name} must be a non-empty string without spaces.`);
  }
  if (allowed && !allowed.has(value)) {
    throw new EmulatedError(400, 'InvalidParameter', `${name} must be one of ${[...allowed].join(', ')}.`);
  }
  return value;
}

function createOperation(fields: Readonly<Record<string, unknown>>, context: CreateOperationContext): EmulatedOperation {
  const regionId = optionalString(fields, 'regionId', ECS_REGIONS) ?? 'cn-hangzhou';
  const taskId = optionalString(fields, 'taskId') ?? context.newId('t-');
  const taskAction = optionalString(fields, 'taskAction', TASK_ACTIONS) ?? 'ImportImage';
  const status = optionalString(fields, 'taskStatus', TASK_STATUSES) ?? 'Processing';
  const ended = FINISHED_TASK_STATUSES.has(status) || status === CANCELLED_STATUS;
  return {
    service: ECS_SERVICE,
    id: taskId,
    status,
    regionId,
    taskAction,
    creationTime: ecsTime(context.now),
    ...(ended ? { finishedTime: ecsTime(context.now) } : {}),
    resourceId: taskAction === 'ImportImage' || taskAction === 'ExportImage' ? `m-${taskId.replace(/^t-/, '')}` : `i-${taskId.replace(/^t-/, '')}`,
  };
}

function injectedFailure(call: EmulatedCall, action: string): void {
  const service = call.settings[ECS_SERVICE] as { failWith?: Record<string, unknown> } | undefined;
  const code = service?.failWith?.[action];
  if (typeof code !== 'string') return;
  const documented = Object.values(ECS_CANCEL_TASK_ERRORS).find((e) => e.code === code);
  if (documented) fail(documented);
}

function requireRegion(call: EmulatedCall): string {
  const regionId = call.params.RegionId;
  if (!regionId) fail(ECS_CANCEL_TASK_ERRORS.missingRegionId);
  if (!ECS_REGIONS.has(regionId)) fail(ECS_CANCEL_TASK_ERRORS.regionNotFound);
  return regionId;
}

function findTask(call: EmulatedCall, regionId: string): EmulatedOperation {
  const taskId = call.params.TaskId;
  if (!taskId) fail(ECS_CANCEL_TASK_ERRORS.missingTaskId);
  const task = call.store.get(ECS_SERVICE, taskId);
  if (!task || task.regionId !== regionId) fail(ECS_CANCEL_TASK_ERRORS.taskNotFound);
  return task;
}

function supportsCancel(task: EmulatedOperation): boolean {
  return CANCELLABLE_TASK_ACTIONS.has(String(task.taskAction)) && RUNNING_TASK_STATUSES.has(task.status);
}

function taskSummary(task: EmulatedOperation): Record<string, unknown> {
  return {
    TaskId: task.id,
    TaskAction: task.taskAction,
    TaskStatus: task.status,
    SupportCancel: supportsCancel(task) ? 'true' : 'false',
    CreationTime: task.creationTime,
    FinishedTime: typeof task.finishedTime === 'string' ? task.finishedTime : '',
    ResourceId: task.resourceId,
  };
}

function cancelTask(call: EmulatedCall): EmulatorResponse {
  // ECS validates parameters first, then the region, then the task (the order of the error table).
  if (!call.params.RegionId) fail(ECS_CANCEL_TASK_ERRORS.missingRegionId);
  if (!call.params.TaskId) fail(ECS_CANCEL_TASK_ERRORS.missingTaskId);
  const regionId = requireRegion(call);
  const task = findTask(call, regionId);
  if (!CANCELLABLE_TASK_ACTIONS.has(String(task.taskAction))) fail(ECS_CANCEL_TASK_ERRORS.actionNotSupported);
  if (!RUNNING_TASK_STATUSES.has(task.status)) fail(ECS_CANCEL_TASK_ERRORS.incorrectStatus);
  injectedFailure(call, 'CancelTask');
  call.store.put({ ...task, status: CANCELLED_STATUS, finishedTime: ecsTime(call.now) });
  return { status: 200, body: { RequestId: call.requestId } };
}

function positiveInt(value: string | undefined, fallback: number, name: string, max: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new EmulatedError(400, `Invalid${name}.ValueNotSupported`, `The specified parameter "${name}" is not valid.`);
  }
  return n;
}

function describeTasks(call: EmulatedCall): EmulatorResponse {
  injectedFailure(call, 'DescribeTasks');
  const regionId = requireRegion(call);
  const pageNumber = positiveInt(call.params.PageNumber, 1, 'PageNumber', 1_000_000);
  const pageSize = positiveInt(call.params.PageSize, 10, 'PageSize', 100);
  const ids = call.params.TaskIds ? new Set(call.params.TaskIds.split(',').map((s) => s.trim()).filter(Boolean)) : undefined;
  const action = call.params.TaskAction || undefined;
  const statusFilter = call.params.TaskStatus && FILTERABLE_STATUSES.has(call.params.TaskStatus) ? call.params.TaskStatus : undefined;
  const matching = call.store
    .list(ECS_SERVICE)
    .filter((t) => t.regionId === regionId)
    .filter((t) => !ids || ids.has(t.id))
    .filter((t) => !action || t.taskAction === action)
    .filter((t) => !statusFilter || t.status === statusFilter);
  const page = matching.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
  return {
    status: 200,
    body: {
      RequestId: call.requestId,
      RegionId: regionId,
      PageNumber: pageNumber,
      PageSize: pageSize,
      TotalCount: matching.length,
      TaskSet: { Task: page.map(taskSummary) },
    },
  };
}

function describeTaskAttribute(call: EmulatedCall): EmulatorResponse {
  injectedFailure(call, 'DescribeTaskAttribute');
  const regionId = requireRegion(call);
  const task = findTask(call, regionId);
  const done = task.status === 'Finished';
  return {
    status: 200,
    body: {
      RequestId: call.requestId,
      RegionId: regionId,
      ...taskSummary(task),
      TaskProcess: done ? '100%' : '0%',
      TotalCount: 1,
      SuccessCount: done ? 1 : 0,
      FailedCount: task.status === 'Failed' ? 1 : 0,
      OperationProgressSet: { OperationProgress: [] },
    },
  };
}

const ecsEmulation = defineEmulation({
  service: ECS_SERVICE,
  protocol: alibabaRpcProtocol,
  routes: [
    { style: 'rpc', action: 'CancelTask', version: ECS_API_VERSION, handler: cancelTask },
    { style: 'rpc', action: 'DescribeTasks', version: ECS_API_VERSION, readOnly: true, handler: describeTasks },
    { style: 'rpc', action: 'DescribeTaskAttribute', version: ECS_API_VERSION, readOnly: true, handler: describeTaskAttribute },
  ],
  createOperation,
  fields: {
    regionId: `Region of the task (default cn-hangzhou; one of ${[...ECS_REGIONS].slice(0, 4).join(', ')}, …)`,
    taskId: 'Task id (default a fresh t-… id)',
    taskAction: `What created the task: ${[...TASK_ACTIONS].join(', ')} (default ImportImage; only ImportImage and ExportImage can be cancelled)`,
    taskStatus: `${[...TASK_STATUSES].join(', ')} (default Processing; Processing, Waiting and Pending can be cancelled; a cancelled task shows Deleted)`,
  },
  demo: [
    {
      title: 'ECS image import, still processing',
      plugin: 'alibaba.ecs.task',
      seed: { regionId: 'cn-hangzhou', taskAction: 'ImportImage', taskStatus: 'Processing' },
      params: (op) => ({ regionId: String(op?.regionId), taskId: String(op?.id) }),
      expected: 'cancelled',
    },
    {
      title: 'ECS image export that already finished',
      plugin: 'alibaba.ecs.task',
      seed: { regionId: 'cn-hangzhou', taskAction: 'ExportImage', taskStatus: 'Finished' },
      params: (op) => ({ regionId: String(op?.regionId), taskId: String(op?.id) }),
      expected: 'already-finished',
    },
  ],
});

export default ecsEmulation;
