/**
 * `alibaba.tair.ops-event`: cancel Tair O&M events with CancelActiveOperationTasks; inspect them with
 * DescribeActiveOperationTasks.
 *
 * CancelActiveOperationTasks takes many Ids and answers with the Ids it *did* cancel. Every Id gets its own
 * outcome: an Id missing from the answer was not cancelled, and the plugin reads the event listing to say
 * why (AllowCancel 0, start time passed, Status not 3, already ended, unknown).
 */
import { alibabaCredentialSource, callRpc } from '@cancelkit/alibaba-openapi';
import {
  type CallContext,
  type CancelKitError,
  type CancelOutcome,
  definePlugin,
  type OperationState,
  parseWithSchema,
  serializeError,
  toCancelKitError,
} from '@cancelkit/core/plugin';
import manifest from './manifest.js';
import { type TairOpsEventParams, tairOpsEventParamsSchema } from './schema.js';
import { cancelRefusals, EVENT_STATUS, EVENT_STATUS_TEXT, TAIR_API_VERSION, TAIR_ERROR_CODES } from './wire.js';

/** Ids per CancelActiveOperationTasks call: keeps the query string far below URL limits. */
export const TAIR_IDS_PER_CALL = 100;
/** DescribeActiveOperationTasks' largest page. */
export const DESCRIBE_PAGE_SIZE = 100;
/** The listing has no Id filter, so inspect pages through it; this caps one inspect at 10,000 events. */
export const MAX_DESCRIBE_PAGES = 100;

/** One item of DescribeActiveOperationTasks' `Items` (AllowCancel is a string, Status a number). */
export interface ActiveOperationTask {
  readonly Id: number | string;
  readonly AllowCancel?: string | number;
  readonly Status?: number | string;
  readonly StartTime?: string;
  readonly SwitchTime?: string;
  readonly InsName?: string;
  readonly Region?: string;
  readonly TaskType?: string;
  readonly ResultInfo?: string;
  readonly DbType?: string;
}

interface DescribeActiveOperationTasksBody {
  readonly Items?: readonly ActiveOperationTask[] | { readonly Item?: readonly ActiveOperationTask[] };
  readonly PageNumber?: number;
  readonly PageSize?: number;
  readonly TotalRecordCount?: number;
}

interface EventListing {
  readonly events: ReadonlyMap<string, ActiveOperationTask>;
  /** False when the page cap stopped the listing before every wanted Id was seen. */
  readonly complete: boolean;
  readonly requestId?: string;
}

function itemsOf(body: DescribeActiveOperationTasksBody): readonly ActiveOperationTask[] {
  const items = body.Items;
  if (Array.isArray(items)) return items;
  // Classic RPC list wrapper, in case an API version answers `{"Items":{"Item":[…]}}`.
  return (items as { Item?: readonly ActiveOperationTask[] } | undefined)?.Item ?? [];
}

/** Pages through DescribeActiveOperationTasks until every wanted Id is seen or the listing ends. */
async function listEvents(ctx: CallContext, regionId: string | undefined, wanted: ReadonlySet<string>): Promise<EventListing> {
  const events = new Map<string, ActiveOperationTask>();
  let requestId: string | undefined;
  for (let page = 1; page <= MAX_DESCRIBE_PAGES; page++) {
    const response = await callRpc<DescribeActiveOperationTasksBody>(ctx, {
      product: 'r-kvstore',
      version: TAIR_API_VERSION,
      action: 'DescribeActiveOperationTasks',
      readOnly: true,
      ...(regionId ? { regionId } : {}),
      params: {
        Region: regionId ?? 'all',
        AllowCancel: -1,
        AllowChange: -1,
        Status: -1,
        PageNumber: page,
        PageSize: DESCRIBE_PAGE_SIZE,
      },
      errorCodes: TAIR_ERROR_CODES,
    });
    requestId ??= response.requestId;
    const items = itemsOf(response.body);
    for (const item of items) {
      const id = String(item.Id);
      if (wanted.has(id)) events.set(id, item);
    }
    const total = response.body.TotalRecordCount;
    const seenAll = [...wanted].every((id) => events.has(id));
    const lastPage = items.length < DESCRIBE_PAGE_SIZE || (typeof total === 'number' && page * DESCRIBE_PAGE_SIZE >= total);
    if (seenAll || lastPage) return { events, complete: true, ...(requestId ? { requestId } : {}) };
  }
  return { events, complete: false, ...(requestId ? { requestId } : {}) };
}

function parseTime(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The facts about one listed event, judged by the API's three cancel rules. */
export function eventState(target: string, event: ActiveOperationTask, nowMs: number, requestId?: string): OperationState {
  const status = Number(event.Status);
  const allowCancel = String(event.AllowCancel ?? '');
  const details = Object.fromEntries(
    Object.entries({
      instance: event.InsName,
      region: event.Region,
      taskType: event.TaskType,
      startTime: event.StartTime,
      switchTime: event.SwitchTime,
      allowCancel,
      resultInfo: event.ResultInfo,
    }).filter(([, v]) => v !== undefined && v !== ''),
  );
  const base = { target, found: true, status: String(event.Status ?? 'unknown'), details, ...(requestId ? { requestId } : {}) };
  if (status === EVENT_STATUS.cancelled) {
    const how = event.ResultInfo ? `, ${event.ResultInfo}` : '';
    return { ...base, terminal: true, cancelled: true, cancellable: false, reason: `The O&M event was already cancelled (Status 7${how}).` };
  }
  if (status === EVENT_STATUS.succeeded || status === EVENT_STATUS.failed) {
    return {
      ...base,
      terminal: true,
      cancelled: false,
      cancellable: false,
      reason: `The O&M event already ran (Status ${status}, ${EVENT_STATUS_TEXT[status]}).`,
    };
  }
  const refusals = cancelRefusals({ allowCancel, status, startTimeMs: parseTime(event.StartTime) }, nowMs);
  if (refusals.length > 0) {
    return { ...base, terminal: false, cancelled: false, cancellable: false, reason: `Cannot be cancelled: ${refusals.join('; ')}.` };
  }
  return { ...base, terminal: false, cancelled: false, cancellable: true };
}

function statesFromListing(ids: readonly string[], listing: EventListing, nowMs: number, regionId: string | undefined): OperationState[] {
  return ids.map((id): OperationState => {
    const event = listing.events.get(id);
    if (event) return eventState(id, event, nowMs, listing.requestId);
    const requestId = listing.requestId ? { requestId: listing.requestId } : {};
    if (!listing.complete) {
      // Not seen within the page cap: say so, and let the cancel call decide rather than guess "not found".
      return {
        target: id,
        found: true,
        status: 'unknown',
        terminal: false,
        cancelled: false,
        cancellable: true,
        reason: `Not among the first ${MAX_DESCRIBE_PAGES * DESCRIBE_PAGE_SIZE} events DescribeActiveOperationTasks lists; CancelActiveOperationTasks will decide.`,
        ...requestId,
      };
    }
    return {
      target: id,
      found: false,
      terminal: false,
      cancelled: false,
      cancellable: false,
      reason: `DescribeActiveOperationTasks lists no O&M event ${id}${regionId ? ` in ${regionId}` : ''}.`,
      ...requestId,
    };
  });
}

async function inspectEvents(params: TairOpsEventParams, ctx: CallContext): Promise<OperationState[]> {
  const listing = await listEvents(ctx, params.regionId, new Set(params.ids));
  return statesFromListing(params.ids, listing, ctx.clock.now(), params.regionId);
}

function parseIdList(value: unknown): Set<string> {
  if (typeof value !== 'string') return new Set();
  return new Set(
    value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** An outcome for targets a failed call never settled, keeping what the error says. */
function outcomeFromError(target: string, error: CancelKitError): CancelOutcome {
  const outcome = error.code === 'NotFound' ? 'not-found' : error.code === 'NotCancellable' ? 'not-cancellable' : 'failed';
  return {
    target,
    outcome,
    error: error.toJSON(),
    ...(error.requestId ? { requestId: error.requestId } : {}),
    ...(error.providerCode ? { providerCode: error.providerCode } : {}),
    ...(outcome !== 'failed' ? { reason: error.providerMessage ?? error.message } : {}),
  };
}

/** Why Ids the cloud left out of its answer were not cancelled, from a fresh look at the listing. */
async function explainNotCancelled(
  params: TairOpsEventParams,
  ctx: CallContext,
  missing: readonly { id: string; requestId?: string }[],
): Promise<CancelOutcome[]> {
  const leftOut = 'CancelActiveOperationTasks did not list it among the cancelled Ids';
  let states: Map<string, OperationState>;
  try {
    const listing = await listEvents(ctx, params.regionId, new Set(missing.map((m) => m.id)));
    states = new Map(statesFromListing(missing.map((m) => m.id), listing, ctx.clock.now(), params.regionId).map((s) => [s.target, s]));
  } catch (thrown) {
    // The cloud did not cancel these Ids, but without their state we cannot say it refused: report the
    // failure (a re-run retries them) rather than claim "not cancellable".
    const error = toCancelKitError(thrown);
    return missing.map(({ id, requestId }) => ({
      target: id,
      outcome: 'failed',
      reason: `${leftOut}; reading its state to say why failed (${error.code}: ${error.message}).`,
      error: serializeError(error),
      ...(requestId ? { requestId } : {}),
    }));
  }
  return missing.map(({ id, requestId }): CancelOutcome => {
    const state = states.get(id);
    const rid = requestId ? { requestId } : {};
    if (!state || state.status === 'unknown') {
      return { target: id, outcome: 'not-cancellable', reason: `${leftOut}, and its state could not be read.`, ...rid };
    }
    if (!state.found) return { target: id, outcome: 'not-found', reason: state.reason ?? `${leftOut}; the event is unknown.`, ...rid };
    if (state.terminal) return { target: id, outcome: 'already-finished', reason: state.reason ?? `${leftOut}; the event already ended.`, ...rid };
    if (!state.cancellable) return { target: id, outcome: 'not-cancellable', reason: state.reason ?? leftOut, ...rid };
    return {
      target: id,
      outcome: 'not-cancellable',
      reason: `${leftOut}, although DescribeActiveOperationTasks shows it as cancellable (Status ${state.status}).`,
      ...rid,
    };
  });
}

async function cancelEvents(params: TairOpsEventParams, ctx: CallContext): Promise<CancelOutcome[]> {
  const outcomes: CancelOutcome[] = [];
  const missing: { id: string; requestId?: string }[] = [];
  const batches = chunk(params.ids, TAIR_IDS_PER_CALL);
  for (const [index, batch] of batches.entries()) {
    let response: { requestId: string; body: { Ids?: string } };
    try {
      response = await callRpc<{ Ids?: string }>(ctx, {
        product: 'r-kvstore',
        version: TAIR_API_VERSION,
        action: 'CancelActiveOperationTasks',
        ...(params.regionId ? { regionId: params.regionId } : {}),
        params: { Ids: batch.join(',') },
        errorCodes: TAIR_ERROR_CODES,
      });
    } catch (thrown) {
      // Before anything was cancelled the whole call may be retried by the engine; after a batch has been
      // cancelled, a retry would re-send it and misreport its events, so the rest is settled here instead.
      if (index === 0) throw thrown;
      const error = toCancelKitError(thrown);
      for (const rest of batches.slice(index)) for (const id of rest) outcomes.push(outcomeFromError(id, error));
      break;
    }
    const cancelled = parseIdList(response.body.Ids);
    const requestId = response.requestId || undefined;
    for (const id of batch) {
      if (cancelled.has(id)) outcomes.push({ target: id, outcome: 'cancelled', ...(requestId ? { requestId } : {}) });
      else missing.push({ id, ...(requestId ? { requestId } : {}) });
    }
  }
  if (missing.length > 0) outcomes.push(...(await explainNotCancelled(params, ctx, missing)));
  return outcomes;
}

export const tairOpsEventPlugin = definePlugin<TairOpsEventParams>({
  manifest,
  parse: (input) => parseWithSchema(tairOpsEventParamsSchema, input),
  targets: (params) => [...params.ids],
  select: (params, targets) => ({ ...params, ids: params.ids.filter((id) => targets.includes(id)) }),
  inspect: inspectEvents,
  cancel: cancelEvents,
  credentialSources: [alibabaCredentialSource],
});

// The module apps load (package.json `cancelkit.plugin`): the plugin alone, without the DI container
// that index.ts's ContainerModule pulls in, so a CLI command does not pay for inversify.
export default tairOpsEventPlugin;
