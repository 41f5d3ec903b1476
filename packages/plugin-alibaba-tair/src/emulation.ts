/**
 * The Tair (R-kvstore) emulation for `@cancelkit/emulator`: CancelActiveOperationTasks and
 * DescribeActiveOperationTasks, enforcing the API's three cancel rules (AllowCancel 1, start time not yet
 * reached, Status 3) and answering with only the Ids it cancelled.
 *
 * Admin fields (`POST /_emulator/operations {"service":"alibaba.tair", …}`): id, instanceId,
 * allowCancel (0|1), startTime, status (3..7), and region.
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
import { cancelRefusals, EVENT_STATUS, TAIR_API_VERSION, TAIR_ERRORS } from './wire.js';

export const TAIR_SERVICE = 'alibaba.tair';
const DAY_MS = 24 * 60 * 60 * 1000;
/** The first id handed out when the admin call names none (the doc's ids are of this size). */
const FIRST_EVENT_ID = 1_500_001;

function fail(error: { status: number; code: string; message: string }): never {
  throw new EmulatedError(error.status, error.code, error.message);
}

/** Alibaba's `yyyy-MM-ddTHH:mm:ssZ`. */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function badField(name: string, expected: string): never {
  throw new EmulatedError(400, 'InvalidParameter', `${name} must be ${expected}.`);
}

function createOperation(fields: Readonly<Record<string, unknown>>, context: CreateOperationContext): EmulatedOperation {
  let id: string;
  if (fields.id === undefined) {
    const highest = context.store.list(TAIR_SERVICE).reduce((max, op) => Math.max(max, Number(op.id) || 0), FIRST_EVENT_ID - 1);
    id = String(highest + 1);
  } else {
    id = String(fields.id);
    if (!/^[1-9][0-9]{0,15}$/.test(id)) badField('id', 'a positive whole number such as 1508850');
  }
  const instanceId = fields.instanceId ?? context.newId('r-');
  if (typeof instanceId !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(instanceId)) badField('instanceId', 'an instance id such as r-bp1zxszhcgatnx****');
  const allowCancel = fields.allowCancel ?? 1;
  if (allowCancel !== 0 && allowCancel !== 1 && allowCancel !== '0' && allowCancel !== '1') badField('allowCancel', '0 or 1');
  let startMs = context.now + DAY_MS;
  if (fields.startTime !== undefined) {
    const parsed = typeof fields.startTime === 'number' ? fields.startTime : typeof fields.startTime === 'string' ? Date.parse(fields.startTime) : Number.NaN;
    if (!Number.isFinite(parsed)) badField('startTime', 'an ISO-8601 time such as 2030-01-01T00:00:00Z (or epoch milliseconds)');
    startMs = parsed;
  }
  const status = fields.status ?? EVENT_STATUS.waiting;
  if (![3, 4, 5, 6, 7].includes(Number(status)) || String(Number(status)) !== String(status)) badField('status', 'one of 3 (waiting), 4 (running), 5 (succeeded), 6 (failed), 7 (cancelled)');
  const region = fields.region ?? 'cn-hangzhou';
  if (typeof region !== 'string' || !/^[a-z]{2,}(?:-[a-z0-9]+)+$/.test(region)) badField('region', 'a region id such as cn-hangzhou');
  return {
    service: TAIR_SERVICE,
    id,
    status: String(Number(status)),
    instanceId,
    allowCancel: String(allowCancel),
    startTime: isoSeconds(startMs),
    region,
    createdTime: isoSeconds(context.now),
    modifiedTime: isoSeconds(context.now),
    resultInfo: Number(status) === EVENT_STATUS.cancelled ? 'userCancel' : '',
  };
}

function cancelActiveOperationTasks(call: EmulatedCall): EmulatorResponse {
  const raw = call.params.Ids;
  if (raw === undefined || raw.trim() === '') fail(TAIR_ERRORS.missingIds);
  const ids = raw.split(',').map((s) => s.trim());
  if (ids.some((id) => !/^[0-9]{1,19}$/.test(id))) fail(TAIR_ERRORS.invalidIds);
  const cancelled: string[] = [];
  for (const id of ids) {
    const event = call.store.get(TAIR_SERVICE, id);
    if (!event || cancelled.includes(id)) continue;
    const refusals = cancelRefusals(
      { allowCancel: String(event.allowCancel), status: Number(event.status), startTimeMs: Date.parse(String(event.startTime)) },
      call.now,
    );
    if (refusals.length > 0) continue;
    call.store.put({ ...event, status: String(EVENT_STATUS.cancelled), resultInfo: 'userCancel', modifiedTime: isoSeconds(call.now) });
    cancelled.push(id);
  }
  return { status: 200, body: { Ids: cancelled.join(','), RequestId: call.requestId } };
}

/** `-1` (or absent) means "all"; otherwise the number to match. */
function numericFilter(value: string | undefined): number | undefined {
  if (value === undefined || value === '' || value === '-1') return undefined;
  const n = Number(value);
  return Number.isInteger(n) ? n : Number.NaN;
}

function pageParam(value: string | undefined, fallback: number, max: number, error: { status: number; code: string; message: string }): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) fail(error);
  return n;
}

function item(event: EmulatedOperation): Record<string, unknown> {
  const start = String(event.startTime);
  const startMs = Date.parse(start);
  return {
    Id: Number(event.id),
    InsName: event.instanceId,
    Region: event.region,
    DbType: 'redis',
    DbVersion: '7.0',
    AllowCancel: String(event.allowCancel),
    AllowChange: '1',
    Status: Number(event.status),
    StartTime: start,
    SwitchTime: start,
    Deadline: isoSeconds(startMs + 7 * DAY_MS),
    PrepareInterval: '04:00:00',
    CreatedTime: event.createdTime,
    ModifiedTime: event.modifiedTime,
    ChangeLevel: 'S1',
    ChangeLevelEn: 'System maintenance',
    ChangeLevelZh: '系统运维',
    TaskType: 'rds_apsradb_upgrade',
    TaskTypeEn: 'Minor version update',
    TaskTypeZh: '小版本升级',
    Impact: 'TransientDisconnection',
    ImpactEn: 'Transient instance disconnection',
    ImpactZh: '实例闪断',
    CurrentAVZ: `${String(event.region)}-h`,
    InsComment: '',
    ResultInfo: event.resultInfo ?? '',
    TaskParams: '',
    SubInsNames: [],
  };
}

function describeActiveOperationTasks(call: EmulatedCall): EmulatorResponse {
  const region = call.params.Region && call.params.Region !== 'all' ? call.params.Region : undefined;
  const allowCancel = numericFilter(call.params.AllowCancel);
  const status = numericFilter(call.params.Status);
  const insName = call.params.InsName || undefined;
  const pageNumber = pageParam(call.params.PageNumber, 1, 1_000_000, TAIR_ERRORS.invalidPageNumber);
  const pageSize = pageParam(call.params.PageSize, 25, 100, TAIR_ERRORS.invalidPageSize);
  const matching = call.store
    .list(TAIR_SERVICE)
    .filter((e) => !region || e.region === region)
    .filter((e) => allowCancel === undefined || Number(e.allowCancel) === allowCancel)
    .filter((e) => status === undefined || Number(e.status) === status)
    .filter((e) => !insName || e.instanceId === insName)
    .sort((a, b) => Number(a.id) - Number(b.id));
  const page = matching.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
  return {
    status: 200,
    body: {
      Items: page.map(item),
      PageNumber: pageNumber,
      PageSize: pageSize,
      TotalRecordCount: matching.length,
      RequestId: call.requestId,
    },
  };
}

const tairEmulation = defineEmulation({
  service: TAIR_SERVICE,
  protocol: alibabaRpcProtocol,
  routes: [
    { style: 'rpc', action: 'CancelActiveOperationTasks', version: TAIR_API_VERSION, handler: cancelActiveOperationTasks },
    { style: 'rpc', action: 'DescribeActiveOperationTasks', version: TAIR_API_VERSION, readOnly: true, handler: describeActiveOperationTasks },
  ],
  createOperation,
  fields: {
    id: 'O&M event Id, a positive whole number (default the next free id from 1500001)',
    instanceId: 'Instance the event applies to (default a fresh r-… id)',
    allowCancel: '1 or 0: whether Alibaba Cloud allows cancelling the event (default 1)',
    startTime: 'ISO-8601 start time; cancelling is refused once it has passed (default 24 h from now)',
    status: '3 waiting, 4 running, 5 succeeded, 6 failed, 7 cancelled; only 3 can be cancelled (default 3)',
    region: 'Region of the instance, matched by the Region filter (default cn-hangzhou)',
  },
  demo: [
    {
      title: 'Tair O&M event, waiting and cancellable',
      plugin: 'alibaba.tair.ops-event',
      seed: { allowCancel: 1, status: 3 },
      params: (op) => ({ ids: [String(op?.id)] }),
      expected: 'cancelled',
    },
    {
      title: 'Tair O&M event the cloud does not allow to cancel',
      plugin: 'alibaba.tair.ops-event',
      seed: { allowCancel: 0, status: 3 },
      params: (op) => ({ ids: [String(op?.id)] }),
      expected: 'not-cancellable',
    },
  ],
});

export default tairEmulation;
