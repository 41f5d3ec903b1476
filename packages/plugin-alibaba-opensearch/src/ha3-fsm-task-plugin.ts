/**
 * `alibaba.opensearch.fsm-task`: stop an OpenSearch Vector Search / Retrieval Engine ("ha3") FSM task with
 * the ROA call StopTask; inspect it with ListClusterTasks.
 */
import { alibabaCredentialSource, callRoa } from '@cancelkit/alibaba-openapi';
import {
  type CallContext,
  type CancelOutcome,
  definePlugin,
  isCancelKitError,
  type OperationState,
  parseWithSchema,
} from '@cancelkit/core/plugin';
import manifest from './manifest.js';
import { type Ha3FsmTaskParams, ha3FsmTaskParamsSchema } from './schema.js';
import {
  ACTIVE_WORDS,
  clusterTasksPath,
  ENDED_WORDS,
  HA3_API_VERSION,
  HA3_ERROR_CODES,
  INSTANCE_NOT_FOUND_CODES,
  STOPPED_WORDS,
  stopTaskPath,
} from './wire.js';

/** The fields of one ListClusterTasks item this plugin reads. */
export interface ClusterTask {
  readonly fsmId?: string;
  readonly status?: string;
  readonly name?: string;
  readonly type?: string;
  readonly groupType?: string;
  readonly time?: string;
  readonly user?: string;
  readonly taskNodes?: readonly { readonly name?: string; readonly status?: string; readonly finishDate?: string }[];
}

interface ListClusterTasksBody {
  readonly requestId?: string;
  readonly result?: readonly ClusterTask[];
}

/** The facts about one listed FSM task. Status words are matched case-insensitively. */
export function fsmTaskState(target: string, task: ClusterTask, requestId: string | undefined): OperationState {
  const status = task.status ?? 'unknown';
  const word = status.toLowerCase();
  const details = Object.fromEntries(
    Object.entries({
      name: task.name,
      type: task.type,
      groupType: task.groupType,
      time: task.time,
      user: task.user,
      nodes: task.taskNodes?.map((n) => `${n.name ?? '?'}: ${n.status ?? '?'}`).join(', '),
    }).filter(([, v]) => v !== undefined && v !== ''),
  );
  const base = { target, found: true, status, details, ...(requestId ? { requestId } : {}) };
  if (STOPPED_WORDS.has(word)) {
    return { ...base, terminal: true, cancelled: true, cancellable: false, reason: `The FSM task was already stopped (status ${status}).` };
  }
  if (ENDED_WORDS.has(word)) {
    return { ...base, terminal: true, cancelled: false, cancellable: false, reason: `The FSM task already ended (status ${status}).` };
  }
  // The FSM vocabulary is not documented: a word not known to be final is left to StopTask to judge.
  return {
    ...base,
    terminal: false,
    cancelled: false,
    cancellable: true,
    ...(ACTIVE_WORDS.has(word) ? {} : { reason: `Status ${status} is not documented; StopTask will decide.` }),
  };
}

function notFound(params: Ha3FsmTaskParams, reason: string, requestId: string | undefined): OperationState {
  return {
    target: params.fsmId,
    found: false,
    terminal: false,
    cancelled: false,
    cancellable: false,
    reason,
    ...(requestId ? { requestId } : {}),
  };
}

async function inspectFsmTask(params: Ha3FsmTaskParams, ctx: CallContext): Promise<OperationState[]> {
  let response: { requestId: string; body: ListClusterTasksBody };
  try {
    response = await callRoa<ListClusterTasksBody>(ctx, {
      product: 'searchengine',
      version: HA3_API_VERSION,
      action: 'ListClusterTasks',
      regionId: params.regionId,
      method: 'GET',
      pathSegments: clusterTasksPath(params.instanceId),
      errorCodes: HA3_ERROR_CODES,
    });
  } catch (error) {
    // No such instance means no such task on it: a fact about the target, not a failure of the call.
    if (isCancelKitError(error) && error.code === 'NotFound' && INSTANCE_NOT_FOUND_CODES.has(error.providerCode ?? '')) {
      const reason = `OpenSearch knows no instance ${params.instanceId} in ${params.regionId} (${error.providerCode}).`;
      return [notFound(params, reason, error.requestId)];
    }
    throw error;
  }
  const tasks = Array.isArray(response.body.result) ? response.body.result : [];
  const task = tasks.find((t) => t.fsmId === params.fsmId);
  if (!task) {
    return [notFound(params, `ListClusterTasks shows no FSM task ${params.fsmId} on instance ${params.instanceId}.`, response.requestId)];
  }
  return [fsmTaskState(params.fsmId, task, response.requestId)];
}

async function stopFsmTask(params: Ha3FsmTaskParams, ctx: CallContext): Promise<CancelOutcome[]> {
  // instance/task not found → NotFound and a refused stop → NotCancellable are thrown; the engine turns
  // them into this target's outcome and re-inspects to say why.
  const response = await callRoa<{ requestId?: string }>(ctx, {
    product: 'searchengine',
    version: HA3_API_VERSION,
    action: 'StopTask',
    regionId: params.regionId,
    method: 'PUT',
    pathSegments: stopTaskPath(params.instanceId, params.fsmId),
    errorCodes: HA3_ERROR_CODES,
  });
  return [{ target: params.fsmId, outcome: 'cancelled', ...(response.requestId ? { requestId: response.requestId } : {}) }];
}

export const ha3FsmTaskPlugin = definePlugin<Ha3FsmTaskParams>({
  manifest,
  parse: (input) => parseWithSchema(ha3FsmTaskParamsSchema, input),
  targets: (params) => [params.fsmId],
  inspect: inspectFsmTask,
  cancel: stopFsmTask,
  credentialSources: [alibabaCredentialSource],
});

// The module apps load (package.json `cancelkit.plugin`): the plugin alone, without the DI container
// that index.ts's ContainerModule pulls in, so a CLI command does not pay for inversify.
export default ha3FsmTaskPlugin;
