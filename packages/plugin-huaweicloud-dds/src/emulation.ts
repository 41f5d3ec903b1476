/**
 * The DDS scheduled-task emulation: `ListScheduledTasks` and `CancelScheduledTask` as the wire notes
 * describe them (§2.4, §3, §14). Pending tasks can be cancelled and stay listed as Canceled; other states
 * and unknown tasks get a 4xx `{error_code: "DBS.…", error_msg}`. DDS documents no codes for these two
 * refusals, so they are settings (`settings.ddsErrorCodes`), and clients must not depend on them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  defineEmulation,
  type EmulatedCall,
  EmulatedError,
  type EmulatedOperation,
  type EmulatorResponse,
} from '@cancelkit/core/emulation';
import { huaweiApigProtocol } from '@cancelkit/huaweicloud-apig/emulation';

export const DDS_SERVICE = 'huaweicloud.dds';
export const DDS_JOB_STATUSES = ['Pending', 'Running', 'Completed', 'Failed', 'Canceled'] as const;
export type DdsJobStatus = (typeof DDS_JOB_STATUSES)[number];
export const DEFAULT_PROJECT_ID = 'cancelkit-demo-project';

export interface DdsErrorAnswer {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/** `settings.ddsErrorCodes`: the answers for the two undocumented refusals. */
export interface DdsErrorSettings {
  readonly jobNotFound?: Partial<DdsErrorAnswer>;
  readonly jobNotCancellable?: Partial<DdsErrorAnswer>;
}

/** Defaults chosen from the documented DDS table (wire notes §5.1): parameter error / illegal operation. */
export const DEFAULT_DDS_ERRORS: Readonly<Record<keyof DdsErrorSettings, DdsErrorAnswer>> = Object.freeze({
  jobNotFound: { status: 400, code: 'DBS.200001', message: 'Parameter error.' },
  jobNotCancellable: { status: 400, code: 'DBS.200004', message: 'Operation is illegal.' },
});

const DAY_MS = 24 * 60 * 60 * 1000;

function parameterError(detail: string): EmulatedError {
  return new EmulatedError(400, 'DBS.200001', `Parameter error: ${detail}`);
}

function errorAnswer(settings: Readonly<Record<string, unknown>>, which: keyof DdsErrorSettings): EmulatedError {
  const fallback = DEFAULT_DDS_ERRORS[which];
  const configured = (settings.ddsErrorCodes as Record<string, unknown> | undefined)?.[which];
  if (configured === undefined) return new EmulatedError(fallback.status, fallback.code, fallback.message);
  const field = `settings.ddsErrorCodes.${which}`;
  if (typeof configured !== 'object' || configured === null) throw new Error(`${field} must be an object {status, code, message}`);
  const { status = fallback.status, code = fallback.code, message = fallback.message } = configured as Partial<DdsErrorAnswer>;
  if (!Number.isInteger(status) || status < 400 || status > 499) throw new Error(`${field}.status must be an integer from 400 to 499`);
  if (typeof code !== 'string' || code === '' || typeof message !== 'string') throw new Error(`${field}.code and .message must be strings`);
  return new EmulatedError(status, code, message);
}

/** Huawei's list time format: `yyyy-mm-ddThh:mm:ss+0000`. */
export function formatDdsTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+0000');
}

/** `yyyy-mm-ddThh:mm:ss` followed by `Z` or an offset like `+0800` / `+08:00`. */
export function parseDdsTime(value: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(Z|([+-])(\d{2}):?(\d{2}))$/.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const local = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(local);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  if (m[7] === 'Z') return local;
  const offset = (Number(m[9]) * 60 + Number(m[10])) * 60_000;
  return m[8] === '+' ? local - offset : local + offset;
}

function integerParam(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value)) throw parameterError(`${name} must be an integer`);
  const n = Number(value);
  if (n < min || n > max) throw parameterError(`${name} must be from ${min} to ${max}`);
  return n;
}

function timeParam(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const ms = parseDdsTime(value);
  if (ms === undefined) throw parameterError(`${name} must be yyyy-mm-ddThh:mm:ssZ, Z being an offset such as +0800`);
  return ms;
}

function toSchedule(op: EmulatedOperation): Record<string, string> {
  const text = (key: string, fallback = '') => (typeof op[key] === 'string' ? (op[key] as string) : fallback);
  return {
    job_id: op.id,
    job_name: text('jobName'),
    job_status: op.status,
    instance_id: text('instanceId'),
    instance_name: text('instanceName'),
    instance_status: text('instanceStatus'),
    create_time: formatDdsTime(typeof op.createTime === 'number' ? op.createTime : 0),
    start_time: text('startTime'),
    end_time: text('endTime'),
  };
}

function listScheduledTasks(call: EmulatedCall): EmulatorResponse {
  const projectId = call.pathParams.project_id ?? '';
  const p = call.params;
  const limit = integerParam(p.limit, 'limit', 10, 1, 100);
  const offset = integerParam(p.offset, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
  const start = timeParam(p.start_time, 'start_time', call.now - 7 * DAY_MS);
  const end = timeParam(p.end_time, 'end_time', call.now);
  if (p.job_status !== undefined && p.job_status !== '' && !(DDS_JOB_STATUSES as readonly string[]).includes(p.job_status)) {
    throw parameterError(`job_status must be one of ${DDS_JOB_STATUSES.join(', ')}`);
  }
  const matching = call.store
    .list(DDS_SERVICE)
    .filter((op) => op.projectId === projectId)
    .filter((op) => !p.job_status || op.status === p.job_status)
    .filter((op) => !p.job_name || op.jobName === p.job_name)
    .filter((op) => !p.instance_id || op.instanceId === p.instance_id)
    .filter((op) => {
      const created = typeof op.createTime === 'number' ? op.createTime : 0;
      return created >= start && created <= end;
    })
    // Newest first, with the id as a tie-breaker so paging is stable.
    .sort((a, b) => (Number(b.createTime) || 0) - (Number(a.createTime) || 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    status: 200,
    body: { total_count: matching.length, schedules: matching.slice(offset, offset + limit).map(toSchedule) },
  };
}

function cancelScheduledTask(call: EmulatedCall): EmulatorResponse {
  const projectId = call.pathParams.project_id ?? '';
  const jobId = call.pathParams.job_id ?? '';
  const op = call.store.get(DDS_SERVICE, jobId);
  // A task of another project does not exist as far as this project can tell.
  if (!op || op.projectId !== projectId) throw errorAnswer(call.settings, 'jobNotFound');
  if (op.status !== 'Pending') throw errorAnswer(call.settings, 'jobNotCancellable');
  call.store.put({ ...op, status: 'Canceled', updateTime: call.now });
  return { status: 204 };
}

const FIELDS = Object.freeze({
  projectId: `project the task belongs to (default ${DEFAULT_PROJECT_ID}, the demo key's project)`,
  jobId: 'task id (default a random UUID)',
  status: `${DDS_JOB_STATUSES.join(' | ')} (default Pending)`,
  jobName: 'task name (default RESIZE_FLAVOR)',
  instanceId: 'DDS instance id (default random)',
  instanceName: 'DDS instance name (default dds-demo)',
  createTime: 'creation time, epoch ms or yyyy-mm-ddThh:mm:ss+0800 (default now; the list shows the last 7 days by default)',
});

function invalidField(field: string, message: string): EmulatedError {
  return new EmulatedError(400, 'InvalidParameter', `${field}: ${message}`);
}

function stringField(fields: Readonly<Record<string, unknown>>, name: string, fallback: string, max: number): string {
  const value = fields[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value === '' || value.length > max) {
    throw invalidField(name, `must be a non-empty string of at most ${max} characters`);
  }
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || value[i] === '/' || value[i] === '\\') {
      throw invalidField(name, 'must not contain control characters, "/" or "\\"');
    }
  }
  if (value === '.' || value === '..') throw invalidField(name, 'cannot be "." or ".."');
  return value;
}

export default defineEmulation({
  service: DDS_SERVICE,
  protocol: huaweiApigProtocol,
  fields: FIELDS,
  routes: [
    { style: 'rest', method: 'GET', path: '/v3/{project_id}/scheduled-jobs', action: 'ListScheduledTasks', readOnly: true, handler: listScheduledTasks },
    { style: 'rest', method: 'DELETE', path: '/v3/{project_id}/scheduled-jobs/{job_id}', action: 'CancelScheduledTask', handler: cancelScheduledTask },
  ],
  demo: [
    {
      title: 'DDS scheduled job, pending',
      plugin: 'huaweicloud.dds.scheduled-job',
      seed: { status: 'Pending' },
      params: (op) => ({ region: 'cn-north-4', jobId: String(op?.id) }),
      expected: 'cancelled',
    },
    {
      title: 'DDS scheduled job that does not exist',
      plugin: 'huaweicloud.dds.scheduled-job',
      params: () => ({ region: 'cn-north-4', jobId: '00000000-dead-beef-0000-000000000000' }),
      expected: 'not-found',
    },
  ],
  createOperation(fields, context): EmulatedOperation {
    const known = new Set(Object.keys(FIELDS));
    const unknown = Object.keys(fields).filter((key) => !known.has(key));
    if (unknown.length > 0) throw invalidField(unknown[0] ?? '', `is not a field of ${DDS_SERVICE} (fields: ${[...known].join(', ')})`);
    const status = fields.status ?? 'Pending';
    if (typeof status !== 'string' || !(DDS_JOB_STATUSES as readonly string[]).includes(status)) {
      throw invalidField('status', `must be one of ${DDS_JOB_STATUSES.join(', ')}`);
    }
    let createTime = context.now;
    if (fields.createTime !== undefined) {
      const raw = fields.createTime;
      const parsed = typeof raw === 'number' && Number.isFinite(raw) ? raw : typeof raw === 'string' ? parseDdsTime(raw) : undefined;
      if (parsed === undefined) throw invalidField('createTime', 'must be epoch ms or yyyy-mm-ddThh:mm:ss+0800');
      createTime = parsed;
    }
    const jobId = stringField(fields, 'jobId', randomUUID(), 128);
    // The maintenance window the task is booked for: tomorrow, one hour.
    const windowStart = createTime + DAY_MS;
    return {
      service: DDS_SERVICE,
      id: jobId,
      status,
      projectId: stringField(fields, 'projectId', DEFAULT_PROJECT_ID, 64),
      jobId,
      jobName: stringField(fields, 'jobName', 'RESIZE_FLAVOR', 64),
      instanceId: stringField(fields, 'instanceId', `${randomBytes(16).toString('hex')}in02`, 64),
      instanceName: stringField(fields, 'instanceName', 'dds-demo', 64),
      instanceStatus: 'normal',
      createTime,
      startTime: formatDdsTime(windowStart),
      endTime: formatDdsTime(windowStart + 60 * 60 * 1000),
    };
  },
});
