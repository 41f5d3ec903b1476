/**
 * `alibaba.ecs.task`: cancel an ECS ImportImage/ExportImage task with CancelTask; inspect it with
 * DescribeTaskAttribute.
 */
import { alibabaCredentialSource, callRpc } from '@cancelkit/alibaba-openapi';
import {
  type CallContext,
  type CancelOutcome,
  definePlugin,
  isCancelKitError,
  type OperationState,
  parseWithSchema,
} from '@cancelkit/core/plugin';
import manifest from './manifest.js';
import { type EcsTaskParams, ecsTaskParamsSchema } from './schema.js';
import {
  CANCELLABLE_TASK_ACTIONS,
  CANCELLED_TASK_STATUSES,
  ECS_API_VERSION,
  ECS_ERROR_CODES,
  FINISHED_TASK_STATUSES,
  RUNNING_TASK_STATUSES,
} from './wire.js';

/** The fields of DescribeTaskAttribute's answer this plugin reads (`SupportCancel` is a string). */
export interface TaskAttributeBody {
  readonly TaskId?: string;
  readonly TaskAction?: string;
  readonly TaskStatus?: string;
  readonly SupportCancel?: string;
  readonly CreationTime?: string;
  readonly FinishedTime?: string;
  readonly TaskProcess?: string;
  readonly RegionId?: string;
}

function definedEntries(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined && v !== ''));
}

/** Turns DescribeTaskAttribute's answer into the facts the engine decides on. */
export function taskState(target: string, body: TaskAttributeBody, requestId: string | undefined): OperationState {
  const status = body.TaskStatus ?? 'Unknown';
  const action = body.TaskAction;
  const base = {
    target,
    found: true,
    status,
    ...(requestId ? { requestId } : {}),
    details: definedEntries({
      taskAction: action,
      supportCancel: body.SupportCancel,
      creationTime: body.CreationTime,
      finishedTime: body.FinishedTime,
      taskProcess: body.TaskProcess,
    }),
  };
  if (CANCELLED_TASK_STATUSES.has(status)) {
    return { ...base, terminal: true, cancelled: true, cancellable: false, reason: `The task was cancelled (TaskStatus ${status}).` };
  }
  if (FINISHED_TASK_STATUSES.has(status)) {
    return { ...base, terminal: true, cancelled: false, cancellable: false, reason: `The task already ended (TaskStatus ${status}).` };
  }
  if (action !== undefined && !CANCELLABLE_TASK_ACTIONS.has(action)) {
    return {
      ...base,
      terminal: false,
      cancelled: false,
      cancellable: false,
      reason: `TaskAction ${action} cannot be cancelled: CancelTask only cancels ImportImage and ExportImage tasks.`,
    };
  }
  if (body.SupportCancel === 'false') {
    return {
      ...base,
      terminal: false,
      cancelled: false,
      cancellable: false,
      reason: `ECS reports SupportCancel=false for this task (TaskStatus ${status}).`,
    };
  }
  // A running or waiting task is cancellable; for a status ECS has not documented, SupportCancel (or, when
  // absent, the CancelTask call itself) decides, so an unknown word never blocks a cancel.
  const known = RUNNING_TASK_STATUSES.has(status);
  return {
    ...base,
    terminal: false,
    cancelled: false,
    cancellable: true,
    ...(known ? {} : { reason: `TaskStatus ${status} is not documented; CancelTask will decide.` }),
  };
}

async function inspectTask(params: EcsTaskParams, ctx: CallContext): Promise<OperationState[]> {
  try {
    const response = await callRpc<TaskAttributeBody>(ctx, {
      product: 'ecs',
      version: ECS_API_VERSION,
      action: 'DescribeTaskAttribute',
      readOnly: true,
      regionId: params.regionId,
      params: { RegionId: params.regionId, TaskId: params.taskId },
      errorCodes: ECS_ERROR_CODES,
    });
    if (!response.body.TaskId && !response.body.TaskStatus) {
      return [
        {
          target: params.taskId,
          found: false,
          terminal: false,
          cancelled: false,
          cancellable: false,
          reason: `DescribeTaskAttribute returned no task ${params.taskId} in ${params.regionId}.`,
          ...(response.requestId ? { requestId: response.requestId } : {}),
        },
      ];
    }
    return [taskState(params.taskId, response.body, response.requestId)];
  } catch (error) {
    if (isCancelKitError(error) && error.code === 'NotFound' && error.providerCode === 'InvalidTaskId.NotFound') {
      return [
        {
          target: params.taskId,
          found: false,
          terminal: false,
          cancelled: false,
          cancellable: false,
          reason: `ECS knows no task ${params.taskId} in ${params.regionId} (InvalidTaskId.NotFound).`,
          ...(error.requestId ? { requestId: error.requestId } : {}),
        },
      ];
    }
    throw error;
  }
}

async function cancelTask(params: EcsTaskParams, ctx: CallContext): Promise<CancelOutcome[]> {
  // Errors are thrown in the taxonomy (see ECS_ERROR_CODES); the engine turns NotFound / NotCancellable
  // into per-target outcomes and re-inspects to say why.
  const response = await callRpc<{ RequestId?: string }>(ctx, {
    product: 'ecs',
    version: ECS_API_VERSION,
    action: 'CancelTask',
    regionId: params.regionId,
    params: { RegionId: params.regionId, TaskId: params.taskId },
    errorCodes: ECS_ERROR_CODES,
  });
  return [{ target: params.taskId, outcome: 'cancelled', ...(response.requestId ? { requestId: response.requestId } : {}) }];
}

export const ecsTaskPlugin = definePlugin<EcsTaskParams>({
  manifest,
  parse: (input) => parseWithSchema(ecsTaskParamsSchema, input),
  targets: (params) => [params.taskId],
  inspect: inspectTask,
  cancel: cancelTask,
  credentialSources: [alibabaCredentialSource],
});

// The module apps load (package.json `cancelkit.plugin`): the plugin alone, without the DI container
// that index.ts's ContainerModule pulls in, so a CLI command does not pay for inversify.
export default ecsTaskPlugin;
