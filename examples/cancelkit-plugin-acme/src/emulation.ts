/**
 * Acme Jobs, played by `@cancelkit/emulator`: the bearer-key protocol (how Acme reads, authenticates and
 * answers a request) and the service (its operations and routes). The emulator loads it from this
 * package's `./emulation` entry; the plugin itself never imports it.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import {
  defineEmulation,
  EmulatedError,
  type EmulatedOperation,
  type EmulationProtocol,
  type ServiceEmulation,
} from '@cancelkit/core/emulation';
import { ACME_ENV } from './credentials.js';
import { ACME_ERRORS, API_PREFIX, CANCELLABLE_STATUSES, FINISHED_STATUSES, REQUEST_ID_HEADER, STATUSES } from './wire.js';

/** The emulator's `service` key (the admin API's `"service"` field). */
export const ACME_JOBS_SERVICE = 'acme.jobs';

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const acmeError = (name: keyof typeof ACME_ERRORS, message?: string) => {
  const e = ACME_ERRORS[name];
  return new EmulatedError(e.status, e.code, message ?? e.message);
};

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `Authorization: Bearer <apiKeyId>:<apiKeySecret>` on every call under `/acme/`. */
export const acmeBearerProtocol: EmulationProtocol = {
  name: 'acme-bearer',
  provider: 'acme',
  identify: (request) => (request.rawPath.startsWith(`${API_PREFIX}/`) ? { params: Object.fromEntries(request.query) } : undefined),
  claims: (request) => request.rawPath.startsWith('/acme/'),
  authenticate(request, context) {
    const match = /^Bearer ([^:\s]+):(\S+)$/.exec(request.headers.authorization ?? '');
    if (!match) return { ok: false, scheme: 'bearer', error: acmeError('missingKey') };
    const [, apiKeyId = '', secret = ''] = match;
    const known = context.lookupKey(apiKeyId);
    if (!known || !sameText(known.secret, secret)) return { ok: false, scheme: 'bearer', error: acmeError('invalidKey') };
    return { ok: true, scheme: 'bearer', accessKeyId: apiKeyId };
  },
  errorResponse: (error, requestId) => ({
    status: error.status,
    ...(error.status === 429 ? { headers: { 'retry-after': '1' } } : {}),
    body: { error: { code: error.code, message: error.message }, requestId },
  }),
  unknownApi: (request) => acmeError('unknownApi', `No Acme API answers ${request.method} ${request.rawPath}.`),
  throttled: () => acmeError('throttled'),
  serverError: () => acmeError('unavailable'),
  newRequestId: () => randomUUID(),
  responseHeaders: (requestId) => ({ [REQUEST_ID_HEADER]: requestId }),
  // How a host (the CLI's demo, cancelkit-server's emulator backend) points this provider's clients at
  // the emulator's key: without it, those hosts cannot give the plugin credentials.
  clientSettings: (credential) => ({
    providers: { acme: { apiKeyId: credential.accessKeyId, apiKeySecret: credential.secret } },
    env: { [ACME_ENV.apiKeyId]: credential.accessKeyId, [ACME_ENV.apiKeySecret]: credential.secret },
  }),
};

function view(op: EmulatedOperation) {
  return { id: op.id, status: op.status, cancellable: CANCELLABLE_STATUSES.has(op.status), createdAt: op.createdAt };
}

export const acmeJobsEmulation: ServiceEmulation = defineEmulation({
  service: ACME_JOBS_SERVICE,
  protocol: acmeBearerProtocol,
  fields: {
    jobId: 'the job id (default: a fresh job-… id)',
    status: `${STATUSES.join(' | ')} (default running; queued and running can be cancelled)`,
  },
  createOperation(fields, context) {
    const status = fields.status ?? 'running';
    if (typeof status !== 'string' || !(STATUSES as readonly string[]).includes(status)) {
      throw new EmulatedError(400, 'InvalidField', `status must be one of ${STATUSES.join(', ')}`);
    }
    const id = fields.jobId ?? context.newId('job-');
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
      throw new EmulatedError(400, 'InvalidField', 'jobId must be 1-64 letters, digits, ".", "_" or "-"');
    }
    const op: EmulatedOperation = { service: ACME_JOBS_SERVICE, id, status, createdAt: new Date(context.now).toISOString() };
    context.store.put(op);
    return op;
  },
  routes: [
    {
      style: 'rest',
      method: 'GET',
      path: `${API_PREFIX}/jobs/{id}`,
      action: 'GetJob',
      readOnly: true,
      handler(call) {
        const op = call.store.get(ACME_JOBS_SERVICE, call.pathParams.id ?? '');
        if (!op) throw acmeError('notFound');
        return { status: 200, body: { job: view(op), requestId: call.requestId } };
      },
    },
    {
      style: 'rest',
      method: 'POST',
      path: `${API_PREFIX}/jobs/{id}/cancel`,
      action: 'CancelJob',
      handler(call) {
        const op = call.store.get(ACME_JOBS_SERVICE, call.pathParams.id ?? '');
        if (!op) throw acmeError('notFound');
        if (FINISHED_STATUSES.has(op.status)) throw acmeError('alreadyFinished', `The job already ended (${op.status}).`);
        if (!CANCELLABLE_STATUSES.has(op.status)) throw acmeError('notCancellable');
        op.status = 'cancelled';
        return { status: 200, body: { job: view(op), requestId: call.requestId } };
      },
    },
  ],
});

export default acmeJobsEmulation;
