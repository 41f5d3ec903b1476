/**
 * In-test service emulations over the fake protocols: `fake.widgets` (RPC), `fake.fsm` (ROA, ids with `@`
 * and `/`), `fake.jobs` (REST, 204 on delete).
 */
import { defineEmulation, EmulatedError, type EmulatedOperation, type ServiceEmulation } from '@cancelkit/core/emulation';
import { fakeRestProtocol, fakeRoaProtocol, fakeRpcProtocol } from './fake-protocols.js';

const WIDGET_STATUSES = ['Running', 'Done', 'Cancelled'];

function stringField(fields: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = fields[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new EmulatedError(400, 'InvalidParameter', `${name} must be a non-empty string.`);
  return value;
}

export const widgetsEmulation: ServiceEmulation = defineEmulation({
  service: 'fake.widgets',
  protocol: fakeRpcProtocol,
  fields: { widgetId: 'the widget id (default: generated)', status: `one of ${WIDGET_STATUSES.join(', ')} (default Running)` },
  createOperation(fields, context) {
    const status = stringField(fields, 'status') ?? 'Running';
    if (!WIDGET_STATUSES.includes(status)) throw new EmulatedError(400, 'InvalidParameter', `status must be one of ${WIDGET_STATUSES.join(', ')}.`);
    return { service: 'fake.widgets', id: stringField(fields, 'widgetId') ?? context.newId('w-'), status, createdAt: context.now };
  },
  routes: [
    {
      style: 'rpc',
      action: 'CancelWidget',
      version: '2020-01-01',
      handler(call) {
        const id = call.params.WidgetId;
        if (!id) throw new EmulatedError(400, 'MissingParameter', 'WidgetId is mandatory for this action.');
        const widget = call.store.get('fake.widgets', id);
        if (!widget) throw new EmulatedError(404, 'InvalidWidgetId.NotFound', `The widget ${id} does not exist.`);
        if (widget.status !== 'Running') throw new EmulatedError(403, 'IncorrectWidgetStatus', `The widget is ${widget.status}.`);
        // Changed in place on purpose: the emulator must persist in-place changes too.
        widget.status = 'Cancelled';
        widget.cancelledBy = call.accessKeyId;
        return { status: 200, body: { RequestId: call.requestId } };
      },
    },
    {
      style: 'rpc',
      action: 'DescribeWidgets',
      version: '2020-01-01',
      readOnly: true,
      handler(call) {
        const widgets = call.store.list('fake.widgets').map((w) => ({ WidgetId: w.id, Status: w.status }));
        return { status: 200, body: { RequestId: call.requestId, Widgets: widgets, Params: call.params } };
      },
    },
    {
      style: 'rpc',
      action: 'Explode',
      version: '2020-01-01',
      handler() {
        throw new Error('kaboom');
      },
    },
  ],
});

export const fsmEmulation: ServiceEmulation = defineEmulation({
  service: 'fake.fsm',
  protocol: fakeRoaProtocol,
  fields: { instanceId: 'instance id', fsmId: 'task id (may hold @ and /)', status: 'running | stopped' },
  createOperation(fields, context) {
    return {
      service: 'fake.fsm',
      id: stringField(fields, 'fsmId') ?? context.newId('fsm@'),
      instanceId: stringField(fields, 'instanceId') ?? 'inst-1',
      status: stringField(fields, 'status') ?? 'running',
    };
  },
  routes: [
    {
      style: 'rest',
      method: 'PUT',
      path: '/openapi/instances/{instanceId}/stop-task/{fsmId}',
      action: 'StopTask',
      handler(call) {
        const { instanceId, fsmId } = call.pathParams as { instanceId: string; fsmId: string };
        const task = call.store.get('fake.fsm', fsmId);
        if (!task || task.instanceId !== instanceId) throw new EmulatedError(404, 'Task.NotFound', `Task ${fsmId} not found.`);
        const stopped: EmulatedOperation = { ...task, status: 'stopped' };
        call.store.put(stopped);
        return { status: 200, body: { requestId: call.requestId, result: { instanceId, fsmId } } };
      },
    },
    {
      style: 'rest',
      method: 'GET',
      path: '/openapi/instances/{instanceId}/tasks',
      action: 'ListTasks',
      readOnly: true,
      handler(call) {
        const tasks = call.store.list('fake.fsm').filter((t) => t.instanceId === call.pathParams.instanceId);
        return { status: 200, body: { requestId: call.requestId, result: tasks.map((t) => ({ fsmId: t.id, status: t.status })) } };
      },
    },
  ],
});

export const jobsEmulation: ServiceEmulation = defineEmulation({
  service: 'fake.jobs',
  protocol: fakeRestProtocol,
  fields: { projectId: 'project id', jobId: 'job id', status: 'Pending | Running | Canceled' },
  createOperation(fields, context) {
    return {
      service: 'fake.jobs',
      id: stringField(fields, 'jobId') ?? context.newId('job-'),
      projectId: stringField(fields, 'projectId') ?? 'cancelkit-demo-project',
      status: stringField(fields, 'status') ?? 'Pending',
    };
  },
  routes: [
    {
      style: 'rest',
      method: 'DELETE',
      path: '/v3/{project_id}/jobs/{job_id}',
      action: 'CancelJob',
      handler(call) {
        const job = call.store.get('fake.jobs', call.pathParams.job_id ?? '');
        if (!job || job.projectId !== call.pathParams.project_id) throw new EmulatedError(404, 'DBS.200001', 'Parameter error.');
        if (job.status !== 'Pending') throw new EmulatedError(400, 'DBS.200004', 'Operation is illegal.');
        call.store.put({ ...job, status: 'Canceled' });
        return { status: 204 };
      },
    },
    {
      style: 'rest',
      method: 'GET',
      path: '/v3/{project_id}/jobs',
      action: 'ListJobs',
      readOnly: true,
      handler(call) {
        const jobs = call.store.list('fake.jobs').filter((j) => j.projectId === call.pathParams.project_id);
        return { status: 200, body: { total_count: jobs.length, jobs: jobs.map((j) => ({ job_id: j.id, status: j.status })), settings: call.settings } };
      },
    },
  ],
});

export const allFakeEmulations: ServiceEmulation[] = [widgetsEmulation, fsmEmulation, jobsEmulation];
