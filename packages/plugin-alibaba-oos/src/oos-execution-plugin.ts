/**
 * `alibaba.oos.execution`: cancel an OOS execution with CancelExecution; inspect it with ListExecutions
 * filtered by ExecutionId (OOS has no GetExecution).
 */
import { alibabaCredentialSource, callRpc } from '@cancelkit/alibaba-openapi';
import { type CallContext, type CancelOutcome, definePlugin, type OperationState, parseWithSchema } from '@cancelkit/core/plugin';
import manifest from './manifest.js';
import { type OosExecutionParams, oosExecutionParamsSchema } from './schema.js';
import {
  ACTIVE_EXECUTION_STATUSES,
  CANCELLED_EXECUTION_STATUS,
  ENDED_EXECUTION_STATUSES,
  OOS_API_VERSION,
  OOS_ERROR_CODES,
} from './wire.js';

/** The fields of one ListExecutions item this plugin reads. */
export interface OosExecution {
  readonly ExecutionId?: string;
  readonly Status?: string;
  readonly StatusMessage?: string;
  readonly StatusReason?: string;
  readonly TemplateName?: string;
  readonly Mode?: string;
  readonly StartDate?: string;
  readonly EndDate?: string;
  readonly ParentExecutionId?: string;
}

interface ListExecutionsBody {
  readonly Executions?: readonly OosExecution[];
}

/** The facts about one listed execution. */
export function executionState(target: string, execution: OosExecution, requestId: string | undefined): OperationState {
  const status = execution.Status ?? 'Unknown';
  const details = Object.fromEntries(
    Object.entries({
      templateName: execution.TemplateName,
      mode: execution.Mode,
      startDate: execution.StartDate,
      endDate: execution.EndDate,
      statusMessage: execution.StatusMessage,
      parentExecutionId: execution.ParentExecutionId,
    }).filter(([, v]) => v !== undefined && v !== ''),
  );
  const base = { target, found: true, status, details, ...(requestId ? { requestId } : {}) };
  if (status === CANCELLED_EXECUTION_STATUS) {
    return { ...base, terminal: true, cancelled: true, cancellable: false, reason: 'The execution was already cancelled.' };
  }
  if (ENDED_EXECUTION_STATUSES.has(status)) {
    return { ...base, terminal: true, cancelled: false, cancellable: false, reason: `The execution already ended (Status ${status}).` };
  }
  // Started/Queued/Running/Waiting can be cancelled; an undocumented word is left to CancelExecution to judge.
  return {
    ...base,
    terminal: false,
    cancelled: false,
    cancellable: true,
    ...(ACTIVE_EXECUTION_STATUSES.has(status) ? {} : { reason: `Status ${status} is not documented; CancelExecution will decide.` }),
  };
}

async function inspectExecution(params: OosExecutionParams, ctx: CallContext): Promise<OperationState[]> {
  const response = await callRpc<ListExecutionsBody>(ctx, {
    product: 'oos',
    version: OOS_API_VERSION,
    action: 'ListExecutions',
    readOnly: true,
    regionId: params.regionId,
    params: { RegionId: params.regionId, ExecutionId: params.executionId },
    errorCodes: OOS_ERROR_CODES,
  });
  const execution = (response.body.Executions ?? []).find((e) => e.ExecutionId === params.executionId);
  if (!execution) {
    return [
      {
        target: params.executionId,
        found: false,
        terminal: false,
        cancelled: false,
        cancellable: false,
        reason: `ListExecutions shows no execution ${params.executionId} in ${params.regionId}.`,
        ...(response.requestId ? { requestId: response.requestId } : {}),
      },
    ];
  }
  return [executionState(params.executionId, execution, response.requestId)];
}

async function cancelExecution(params: OosExecutionParams, ctx: CallContext): Promise<CancelOutcome[]> {
  // ExecutionCancelFailed → NotCancellable and EntityNotExist.Execution → NotFound are thrown; the engine
  // turns them into this target's outcome and re-inspects to tell "already ended" from "refused".
  const response = await callRpc<{ RequestId?: string }>(ctx, {
    product: 'oos',
    version: OOS_API_VERSION,
    action: 'CancelExecution',
    regionId: params.regionId,
    params: { RegionId: params.regionId, ExecutionId: params.executionId },
    errorCodes: OOS_ERROR_CODES,
  });
  return [{ target: params.executionId, outcome: 'cancelled', ...(response.requestId ? { requestId: response.requestId } : {}) }];
}

export const oosExecutionPlugin = definePlugin<OosExecutionParams>({
  manifest,
  parse: (input) => parseWithSchema(oosExecutionParamsSchema, input),
  targets: (params) => [params.executionId],
  inspect: inspectExecution,
  cancel: cancelExecution,
  credentialSources: [alibabaCredentialSource],
});

// The module apps load (package.json `cancelkit.plugin`): the plugin alone, without the DI container
// that index.ts's ContainerModule pulls in, so a CLI command does not pay for inversify.
export default oosExecutionPlugin;
