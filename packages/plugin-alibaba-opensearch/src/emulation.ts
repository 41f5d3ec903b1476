/**
 * The OpenSearch ha3 emulation for `@cancelkit/emulator`: StopTask (PUT) and ListClusterTasks (GET), ROA
 * style with lower-camel bodies (`{requestId, result}`). A running FSM task becomes `stopped`; an ended one
 * is refused; ids arrive percent-decoded exactly once, so an fsmId with `@`, `/` or `%` stays one id.
 *
 * Admin fields (`POST /_emulator/operations {"service":"alibaba.opensearch", …}`): regionId, instanceId,
 * fsmId, status.
 */
import { alibabaRoaProtocol } from '@cancelkit/alibaba-openapi/emulation';
import {
  type CreateOperationContext,
  defineEmulation,
  type EmulatedCall,
  type EmulatedOperation,
  EmulatedError,
  type EmulatorResponse,
} from '@cancelkit/core/emulation';
import { type DocumentedError, HA3_ERRORS } from './wire.js';

export const HA3_SERVICE = 'alibaba.opensearch';
/** The emulation's FSM vocabulary (lower case, as ListClusterTasks examples show status words). */
const FSM_STATUSES = new Set(['pending', 'running', 'success', 'failed', 'stopped']);
const ACTIVE_STATUSES = new Set(['pending', 'running']);
const STOPPED_STATUS = 'stopped';

function fail(error: DocumentedError): never {
  throw new EmulatedError(error.status, error.code, error.message);
}

function stringField(fields: Readonly<Record<string, unknown>>, name: string, pattern: RegExp, expected: string): string | undefined {
  const value = fields[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !pattern.test(value)) throw new EmulatedError(400, 'InvalidParameter', `${name} must be ${expected}.`);
  return value;
}

/** The ha3 console's yyyy-MM-dd HH:mm:ss. */
function consoleTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

function createOperation(fields: Readonly<Record<string, unknown>>, context: CreateOperationContext): EmulatedOperation {
  const regionId = stringField(fields, 'regionId', /^[a-z]{2,}(?:-[a-z0-9]+)+$/, 'a region id such as cn-hangzhou') ?? 'cn-hangzhou';
  const instanceId =
    stringField(fields, 'instanceId', /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/, 'an instance id such as ha-cn-7mz2nx41h01') ?? context.newId('ha-cn-');
  const fsmId =
    stringField(fields, 'fsmId', /^[^\p{Cc}]{1,1024}$/u, 'an FSM id without control characters') ??
    `tisplus_opensearch@datasource_flow_fsm@${context.now}-${instanceId}_api@bj_vpc_domain_1@null@MANUAL-${instanceId}_api@${context.now}@${context.newId('').replace(/\W/g, '').slice(-6)}`;
  const status = fields.status ?? 'running';
  if (typeof status !== 'string' || !FSM_STATUSES.has(status)) {
    throw new EmulatedError(400, 'InvalidParameter', `status must be one of ${[...FSM_STATUSES].join(', ')}.`);
  }
  return {
    service: HA3_SERVICE,
    id: fsmId,
    status,
    regionId,
    instanceId,
    name: 'datasource_flow_fsm',
    type: 'datasource_flow_fsm',
    groupType: 'Table_Update',
    time: String(Math.floor(context.now / 1000)),
    finishDate: ACTIVE_STATUSES.has(status) ? '' : consoleTime(context.now),
  };
}

function instanceTasks(call: EmulatedCall, instanceId: string): EmulatedOperation[] {
  const tasks = call.store.list(HA3_SERVICE).filter((t) => t.instanceId === instanceId);
  // An instance exists in the emulator when some operation was created on it.
  if (tasks.length === 0) fail(HA3_ERRORS.instanceNotFound);
  return tasks;
}

function pathParam(call: EmulatedCall, name: string): string {
  const value = call.pathParams[name];
  if (value === undefined || value === '') throw new EmulatedError(400, 'InvalidParameter', `The path parameter ${name} is missing.`);
  return value;
}

function stopTask(call: EmulatedCall): EmulatorResponse {
  const instanceId = pathParam(call, 'instanceId');
  const fsmId = pathParam(call, 'fsmId');
  const task = instanceTasks(call, instanceId).find((t) => t.id === fsmId);
  if (!task) fail(HA3_ERRORS.taskNotFound);
  if (!ACTIVE_STATUSES.has(task.status)) fail(HA3_ERRORS.taskNotStoppable);
  call.store.put({ ...task, status: STOPPED_STATUS, finishDate: consoleTime(call.now) });
  return { status: 200, body: { requestId: call.requestId, result: {} } };
}

function listItem(task: EmulatedOperation): Record<string, unknown> {
  const nodeStatus = task.status === 'success' ? 'SUCCESS' : task.status === 'failed' ? 'FAILED' : task.status === STOPPED_STATUS ? 'STOPPED' : 'RUNNING';
  return {
    fsmId: task.id,
    status: task.status,
    name: task.name,
    type: task.type,
    groupType: task.groupType,
    time: task.time,
    user: 'cancelkit-emulator',
    extraAttribute: '',
    field3: '',
    tags: [],
    taskNodes: [{ index: 0, name: 'build_index', status: nodeStatus, finishDate: task.finishDate ?? '' }],
  };
}

function listClusterTasks(call: EmulatedCall): EmulatorResponse {
  const instanceId = pathParam(call, 'instanceId');
  return { status: 200, body: { requestId: call.requestId, result: instanceTasks(call, instanceId).map(listItem) } };
}

const ha3Emulation = defineEmulation({
  service: HA3_SERVICE,
  protocol: alibabaRoaProtocol,
  routes: [
    { style: 'rest', method: 'PUT', path: '/openapi/ha3/instances/{instanceId}/stop-task/{fsmId}', action: 'StopTask', handler: stopTask },
    {
      style: 'rest',
      method: 'GET',
      path: '/openapi/ha3/instances/{instanceId}/cluster-tasks',
      action: 'ListClusterTasks',
      readOnly: true,
      handler: listClusterTasks,
    },
  ],
  createOperation,
  fields: {
    regionId: 'Region of the instance (informational: ROA calls carry no region; default cn-hangzhou)',
    instanceId: 'Instance the FSM task runs on; StopTask on another instance answers instance.NotFound (default a fresh ha-cn-… id)',
    fsmId: 'FSM task id; may contain @ and other characters (default a realistic tisplus_opensearch@… id)',
    status: `${[...FSM_STATUSES].join(', ')} (default running; pending and running can be stopped)`,
  },
  demo: [
    {
      title: 'OpenSearch FSM task (an id with @ in it), running',
      plugin: 'alibaba.opensearch.fsm-task',
      seed: { regionId: 'cn-hangzhou', status: 'running' },
      params: (op) => ({ regionId: String(op?.regionId), instanceId: String(op?.instanceId), fsmId: String(op?.id) }),
      expected: 'cancelled',
    },
  ],
});

export default ha3Emulation;
