/**
 * The OOS emulation for `@cancelkit/emulator`: CancelExecution and ListExecutions. A running execution
 * becomes Cancelled; an ended one answers ExecutionCancelFailed (403); an unknown one
 * EntityNotExist.Execution (404).
 *
 * Admin fields (`POST /_emulator/operations {"service":"alibaba.oos", …}`): regionId, executionId, status.
 * Caller-side errors no execution state explains (User.NoPermission, InvalidStsToken, ExpiredStsToken,
 * InvalidAccountType) are produced with `settings: { 'alibaba.oos': { failWith: { CancelExecution: 'User.NoPermission' } } }`.
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
  ACTIVE_EXECUTION_STATUSES,
  CANCELLED_EXECUTION_STATUS,
  type DocumentedError,
  ENDED_EXECUTION_STATUSES,
  OOS_API_VERSION,
  OOS_ERRORS,
} from './wire.js';

export const OOS_SERVICE = 'alibaba.oos';
const EXECUTION_STATUSES = new Set(['Started', 'Queued', 'Running', 'Waiting', 'Success', 'Failed', 'Cancelled']);

function fail(error: DocumentedError, fill: Readonly<Record<string, string>> = {}): never {
  const message = error.message.replace(/\{(\w+)\}/g, (whole, key: string) => fill[key] ?? whole);
  throw new EmulatedError(error.status, error.code, message);
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function stringField(fields: Readonly<Record<string, unknown>>, name: string, pattern: RegExp, expected: string): string | undefined {
  const value = fields[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !pattern.test(value)) throw new EmulatedError(400, 'InvalidParameter', `${name} must be ${expected}.`);
  return value;
}

function createOperation(fields: Readonly<Record<string, unknown>>, context: CreateOperationContext): EmulatedOperation {
  const regionId = stringField(fields, 'regionId', /^[a-z]{2,}(?:-[a-z0-9]+)+$/, 'a region id such as cn-hangzhou') ?? 'cn-hangzhou';
  const executionId = stringField(fields, 'executionId', /^[^\s\p{Cc}]{1,128}$/u, 'an execution id such as exec-8a2aaf460fdf47c6b5ef') ?? context.newId('exec-');
  const status = fields.status ?? 'Running';
  if (typeof status !== 'string' || !EXECUTION_STATUSES.has(status)) {
    throw new EmulatedError(400, 'InvalidParameter', `status must be one of ${[...EXECUTION_STATUSES].join(', ')}.`);
  }
  const ended = ENDED_EXECUTION_STATUSES.has(status);
  return {
    service: OOS_SERVICE,
    id: executionId,
    status,
    regionId,
    templateName: 'ACS-ECS-BulkyRunCommand',
    startDate: isoSeconds(context.now),
    createDate: isoSeconds(context.now),
    updateDate: isoSeconds(context.now),
    endDate: ended ? isoSeconds(context.now) : '',
    statusMessage: ended ? `Execution ${status.toLowerCase()}.` : '',
  };
}

/** Documented caller-side errors, switched on per action through the emulator's settings. */
function injectedFailure(call: EmulatedCall, action: string): void {
  const service = call.settings[OOS_SERVICE] as { failWith?: Record<string, unknown> } | undefined;
  const code = service?.failWith?.[action];
  if (typeof code !== 'string') return;
  const documented = Object.values(OOS_ERRORS).find((e) => e.code === code);
  if (documented) fail(documented, { api_name: action, account_type: 'Unknown', key: call.params.ExecutionId ?? '', reason: '' });
}

/** OOS endpoints are regional; one emulator serves every region, so RegionId (when sent) picks it. */
function findExecution(call: EmulatedCall, executionId: string): EmulatedOperation | undefined {
  const execution = call.store.get(OOS_SERVICE, executionId);
  if (!execution) return undefined;
  const regionId = call.params.RegionId;
  return regionId && execution.regionId !== regionId ? undefined : execution;
}

function cancelExecution(call: EmulatedCall): EmulatorResponse {
  injectedFailure(call, 'CancelExecution');
  const executionId = call.params.ExecutionId;
  if (!executionId) fail(OOS_ERRORS.missingExecutionId);
  const execution = findExecution(call, executionId);
  if (!execution) fail(OOS_ERRORS.executionNotFound, { key: executionId });
  if (!ACTIVE_EXECUTION_STATUSES.has(execution.status)) {
    fail(OOS_ERRORS.cancelFailed, { reason: `: the execution ${executionId} is ${execution.status}` });
  }
  const now = isoSeconds(call.now);
  call.store.put({
    ...execution,
    status: CANCELLED_EXECUTION_STATUS,
    statusMessage: 'Execution cancelled.',
    endDate: now,
    updateDate: now,
  });
  return { status: 200, body: { RequestId: call.requestId } };
}

function listItem(execution: EmulatedOperation): Record<string, unknown> {
  return {
    ExecutionId: execution.id,
    TemplateName: execution.templateName,
    TemplateId: `t-${execution.id.replace(/^exec-/, '').slice(0, 20)}`,
    TemplateVersion: 'v1',
    Mode: 'Automatic',
    Status: execution.status,
    StatusMessage: execution.statusMessage ?? '',
    StatusReason: '',
    StartDate: execution.startDate,
    EndDate: execution.endDate ?? '',
    CreateDate: execution.createDate,
    UpdateDate: execution.updateDate,
    ExecutedBy: 'cancelkit-emulator',
    Category: 'Other',
    IsParent: false,
    ParentExecutionId: '',
    Parameters: {},
    Outputs: '{}',
    Counters: {},
    CurrentTasks: [],
    Tags: {},
    RamRole: 'OOSServiceRole',
    ResourceGroupId: '',
    SafetyCheck: 'Skip',
  };
}

function listExecutions(call: EmulatedCall): EmulatorResponse {
  injectedFailure(call, 'ListExecutions');
  const maxResults = call.params.MaxResults ? Number(call.params.MaxResults) : 50;
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100) {
    throw new EmulatedError(400, 'InvalidParameter', 'The specified parameter "MaxResults" is not valid.');
  }
  const start = call.params.NextToken ? Number(call.params.NextToken) : 0;
  if (!Number.isInteger(start) || start < 0) throw new EmulatedError(400, 'InvalidParameter', 'The specified parameter "NextToken" is not valid.');
  const matching = call.store
    .list(OOS_SERVICE)
    .filter((e) => !call.params.RegionId || e.regionId === call.params.RegionId)
    .filter((e) => !call.params.ExecutionId || e.id === call.params.ExecutionId)
    .filter((e) => !call.params.Status || e.status === call.params.Status);
  const page = matching.slice(start, start + maxResults);
  const next = start + maxResults < matching.length ? String(start + maxResults) : '';
  return {
    status: 200,
    body: {
      RequestId: call.requestId,
      Executions: page.map(listItem),
      MaxResults: maxResults,
      NextToken: next,
      TotalCount: matching.length,
    },
  };
}

const oosEmulation = defineEmulation({
  service: OOS_SERVICE,
  protocol: alibabaRpcProtocol,
  routes: [
    { style: 'rpc', action: 'CancelExecution', version: OOS_API_VERSION, handler: cancelExecution },
    { style: 'rpc', action: 'ListExecutions', version: OOS_API_VERSION, readOnly: true, handler: listExecutions },
  ],
  createOperation,
  fields: {
    regionId: 'Region of the execution; a CancelExecution/ListExecutions call with another RegionId does not see it (default cn-hangzhou)',
    executionId: 'Execution id (default a fresh exec-… id)',
    status: `${[...EXECUTION_STATUSES].join(', ')} (default Running; Started, Queued, Running and Waiting can be cancelled)`,
  },
  demo: [
    {
      title: 'OOS execution, running',
      plugin: 'alibaba.oos.execution',
      seed: { regionId: 'cn-hangzhou', status: 'Running' },
      params: (op) => ({ regionId: String(op?.regionId), executionId: String(op?.id) }),
      expected: 'cancelled',
    },
    {
      title: 'OOS execution that already succeeded',
      plugin: 'alibaba.oos.execution',
      seed: { regionId: 'cn-hangzhou', status: 'Success' },
      params: (op) => ({ regionId: String(op?.regionId), executionId: String(op?.id) }),
      expected: 'already-finished',
    },
  ],
});

export default oosEmulation;
