/**
 * `huaweicloud.dds.scheduled-job`: cancels a DDS scheduled task and inspects it through the list of
 * scheduled tasks. DDS documents no error codes for "no such job" or "not Pending", so a refused cancel
 * is never classified by its DBS code: the plugin asks the list what the job's state is and reports that.
 */
import {
  type CallContext,
  CancelKitError,
  type CancelOutcome,
  definePlugin,
  InvalidInput,
  isCancelKitError,
  type OperationState,
  parseWithSchema,
  serializeError,
} from '@cancelkit/core/plugin';
import { callApig, huaweiCredentialSource, resolveProjectId } from '@cancelkit/huaweicloud-apig';
import manifest from './manifest.js';
import { type DdsParams, ddsParamsSchema } from './schema.js';

/** One entry of `ListScheduledTasks` (wire notes §3.2); every field is a string. */
export interface DdsSchedule {
  readonly job_id?: string;
  readonly job_name?: string;
  readonly job_status?: string;
  readonly instance_id?: string;
  readonly instance_name?: string;
  readonly instance_status?: string;
  readonly create_time?: string;
  readonly start_time?: string;
  readonly end_time?: string;
}

interface ListScheduledTasksResponse {
  readonly total_count?: number;
  readonly schedules?: DdsSchedule[];
}

/** The list API's largest page. */
export const PAGE_SIZE = 100;
/** 50 pages of 100: a project with more pending tasks than this is not a scheduled-task list any more. */
export const MAX_PAGES = 50;

async function scope(params: DdsParams, ctx: CallContext): Promise<{ region: string; projectId: string }> {
  if (params.projectId !== undefined) return { region: params.region, projectId: params.projectId };
  const credentials = await ctx.credentials(huaweiCredentialSource);
  const projectId = resolveProjectId(credentials, ctx.providerConfig, params.region);
  if (projectId === undefined) {
    const message = `no project id is known for region ${params.region}`;
    const hint = `pass --project-id, set HUAWEICLOUD_SDK_PROJECT_ID, or configure providers.huaweicloud.projectIds["${params.region}"]`;
    throw new InvalidInput(`projectId: ${message} (${hint})`, { issues: [{ field: 'projectId', message, hint }] });
  }
  return { region: params.region, projectId };
}

/**
 * How far back the second look reaches. The list covers tasks created in the last 7 days unless asked for
 * a window (wire notes §3.1), so a task booked earlier would look absent; DDS documents no largest window,
 * so a refusal of this one only means the task stays unlisted, never a wrong outcome.
 */
export const LOOKBACK_DAYS = 366;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The list's time format, `yyyy-mm-ddThh:mm:ss+0000`. */
function ddsTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+0000');
}

/**
 * What a look at the list found. `complete` is false when MAX_PAGES stopped it before the list ended: a job
 * not seen then may still exist, so it must not be reported missing.
 */
interface JobLookup {
  readonly schedule?: DdsSchedule;
  readonly requestId: string;
  readonly complete: boolean;
}

/** Pages through one window of the scheduled-task list until the job shows up or the list ends. */
async function findJobIn(
  params: DdsParams,
  where: { region: string; projectId: string },
  window: Record<string, string>,
  ctx: CallContext,
): Promise<JobLookup> {
  let offset = 0;
  let requestId = '';
  for (let page = 0; page < MAX_PAGES; page++) {
    const response = await callApig<ListScheduledTasksResponse | undefined>(ctx, {
      service: 'dds',
      region: where.region,
      method: 'GET',
      pathSegments: ['v3', where.projectId, 'scheduled-jobs'],
      query: { ...window, offset, limit: PAGE_SIZE },
      projectId: where.projectId,
      operation: 'ListScheduledTasks',
    });
    requestId = response.requestId;
    const body = response.body;
    if (typeof body !== 'object' || body === null || (body.schedules !== undefined && !Array.isArray(body.schedules))) {
      throw new CancelKitError('Unknown', 'DDS ListScheduledTasks answered with an unexpected body (no schedules array).', {
        ...(requestId ? { requestId } : {}),
      });
    }
    const schedules = body.schedules ?? [];
    const schedule = schedules.find((s) => s?.job_id === params.jobId);
    if (schedule) return { schedule, requestId, complete: true };
    offset += schedules.length;
    const total = typeof body.total_count === 'number' ? body.total_count : undefined;
    if (schedules.length === 0 || (total !== undefined && offset >= total)) return { requestId, complete: true };
  }
  return { requestId, complete: false };
}

/**
 * Finds the job the way Terraform does (the default window: the last 7 days), then, if it is not there,
 * once more over the last {@link LOOKBACK_DAYS} days so an older Pending task is not reported missing.
 */
async function findJob(
  params: DdsParams,
  where: { region: string; projectId: string },
  ctx: CallContext,
): Promise<JobLookup> {
  const recent = await findJobIn(params, where, {}, ctx);
  if (recent.schedule) return recent;
  const now = ctx.clock.now();
  // end_time a day ahead: a task created a moment ago on a clock ahead of ours still falls inside.
  const window = { start_time: ddsTime(now - LOOKBACK_DAYS * DAY_MS), end_time: ddsTime(now + DAY_MS) };
  try {
    return await findJobIn(params, where, window, ctx);
  } catch (thrown) {
    // A window DDS will not serve leaves the task unlisted, as the first look found it.
    if (isCancelKitError(thrown) && thrown.code === 'InvalidInput') return recent;
    throw thrown;
  }
}

function details(schedule: DdsSchedule): Record<string, string> {
  const out: Record<string, string> = {};
  const pick: [keyof DdsSchedule, string][] = [
    ['job_name', 'jobName'],
    ['instance_id', 'instanceId'],
    ['instance_name', 'instanceName'],
    ['create_time', 'createTime'],
    ['start_time', 'startTime'],
    ['end_time', 'endTime'],
  ];
  for (const [from, to] of pick) {
    const value = schedule[from];
    if (typeof value === 'string' && value !== '') out[to] = value;
  }
  return out;
}

/**
 * DDS job status → the contract's facts. Only Pending jobs can be cancelled. `complete` false: the list was
 * not read to its end, so an unseen job is unknown (the cancel call decides), not missing.
 */
export function stateOf(target: string, schedule: DdsSchedule | undefined, requestId: string, complete = true): OperationState {
  const withId = requestId ? { requestId } : {};
  if (!schedule && !complete) {
    return {
      target,
      found: true,
      status: 'unknown',
      terminal: false,
      cancelled: false,
      cancellable: true,
      reason: `The task is not among the first ${MAX_PAGES * PAGE_SIZE} tasks the list shows; the cancel call will decide.`,
      ...withId,
    };
  }
  if (!schedule) {
    return {
      target,
      found: false,
      terminal: false,
      cancelled: false,
      cancellable: false,
      reason: `DDS lists no scheduled task with this id in the project (searched the tasks created in the last ${LOOKBACK_DAYS} days).`,
      ...withId,
    };
  }
  const status = typeof schedule.job_status === 'string' ? schedule.job_status : 'unknown';
  const base = { target, found: true, status, details: details(schedule), ...withId };
  switch (status) {
    case 'Pending':
      return { ...base, terminal: false, cancelled: false, cancellable: true };
    case 'Running':
      return { ...base, terminal: false, cancelled: false, cancellable: false, reason: 'The task is Running; DDS cancels only Pending tasks.' };
    case 'Completed':
      return { ...base, terminal: true, cancelled: false, cancellable: false, reason: 'The task already Completed.' };
    case 'Failed':
      return { ...base, terminal: true, cancelled: false, cancellable: false, reason: 'The task already Failed.' };
    case 'Canceled':
      return { ...base, terminal: true, cancelled: true, cancellable: false, reason: 'The task was already Canceled.' };
    default:
      return { ...base, terminal: false, cancelled: false, cancellable: false, reason: `DDS reports the status "${status}", which cancelkit does not know.` };
  }
}

async function inspectJob(params: DdsParams, ctx: CallContext): Promise<OperationState> {
  const where = await scope(params, ctx);
  const { schedule, requestId, complete } = await findJob(params, where, ctx);
  return stateOf(params.jobId, schedule, requestId, complete);
}

/** A 4xx refusal that may be about the job itself (not about credentials or rate), worth asking the list about. */
function mayBeAboutTheJob(error: CancelKitError): boolean {
  const status = error.providerStatus;
  return status !== undefined && status >= 400 && status < 500 && error.code !== 'Unauthenticated' && error.code !== 'Throttled';
}

async function cancelJob(params: DdsParams, ctx: CallContext): Promise<CancelOutcome> {
  const where = await scope(params, ctx);
  try {
    const response = await callApig<undefined>(ctx, {
      service: 'dds',
      region: where.region,
      method: 'DELETE',
      pathSegments: ['v3', where.projectId, 'scheduled-jobs', params.jobId],
      projectId: where.projectId,
      operation: 'CancelScheduledTask',
    });
    return { target: params.jobId, outcome: 'cancelled', ...(response.requestId ? { requestId: response.requestId } : {}) };
  } catch (thrown) {
    if (!isCancelKitError(thrown) || !mayBeAboutTheJob(thrown)) throw thrown;
    let state: OperationState;
    try {
      const { schedule, requestId, complete } = await findJob(params, where, ctx);
      state = stateOf(params.jobId, schedule, requestId, complete);
    } catch {
      // The list could not explain the refusal; the refusal itself is the best answer.
      throw thrown;
    }
    const refused = `DDS refused the cancel (HTTP ${thrown.providerStatus}${thrown.providerCode ? `, ${thrown.providerCode}` : ''}${thrown.providerMessage ? `: ${thrown.providerMessage}` : ''})`;
    // The list, not the status, says what the refusal was: a job that is not listed is NotFound, one in
    // the wrong state NotCancellable, whatever 4xx DDS chose (a 400 would otherwise read as bad input).
    const explained = (outcome: 'not-found' | 'already-finished' | 'not-cancellable'): CancelOutcome => ({
      target: params.jobId,
      ...(thrown.requestId ? { requestId: thrown.requestId } : {}),
      ...(thrown.providerCode ? { providerCode: thrown.providerCode } : {}),
      error: { ...serializeError(thrown), code: outcome === 'not-found' ? 'NotFound' : 'NotCancellable', retryable: false },
      outcome,
      reason: `${refused}; ${state.reason}`,
    });
    if (!state.found) return explained('not-found');
    if (state.terminal) return explained('already-finished');
    if (!state.cancellable) return explained('not-cancellable');
    // Still Pending (or beyond the pages read): the list cannot explain the refusal; report it as it is.
    throw thrown;
  }
}

export const ddsScheduledJobPlugin = definePlugin<DdsParams>({
  manifest,
  parse: (input) => parseWithSchema(ddsParamsSchema, input),
  targets: (params) => [params.jobId],
  inspect: async (params, ctx) => [await inspectJob(params, ctx)],
  cancel: async (params, ctx) => [await cancelJob(params, ctx)],
  credentialSources: [huaweiCredentialSource],
});

// The module apps load (package.json `cancelkit.plugin`): the plugin alone, without the DI container
// that index.ts's ContainerModule pulls in, so a CLI command does not pay for inversify.
export default ddsScheduledJobPlugin;
