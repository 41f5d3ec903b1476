/**
 * A fictional cloud for the kit's own tests: "Fake Jobs", a JSON REST API with a bearer key
 * (`Authorization: Bearer <keyId>:<secret>`), its emulation, and a plugin for it that honours the
 * contract — plus switches that break exactly one promise each, so the tests can show that the kit
 * catches every one and names the rule.
 */
import { timingSafeEqual } from 'node:crypto';
import {
  type CallContext,
  CancelKitError,
  type CancelOutcome,
  type CredentialSource,
  definePlugin,
  findForbiddenKeys,
  type InputIssue,
  invalidInput,
  type OperationState,
  type PluginManifest,
  transportError,
} from '@cancelkit/core/plugin';
import {
  defineEmulation,
  EmulatedError,
  type EmulatedOperation,
  type EmulationProtocol,
  type EmulatorRequest,
  type ServiceEmulation,
} from '@cancelkit/core/emulation';

export const FAKE_SERVICE = 'fake.jobs';
export const JOB_STATUSES = ['queued', 'running', 'finalizing', 'succeeded', 'failed', 'cancelled'] as const;
const CANCELLABLE = new Set(['queued', 'running']);
const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);

// ---------------------------------------------------------------------------------------------- emulation

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

let requestCounter = 0;

export const fakeBearerProtocol: EmulationProtocol = {
  name: 'fake-bearer',
  provider: 'fake',
  identify: (request: EmulatorRequest) => (request.rawPath.startsWith('/fake/') ? { params: Object.fromEntries(request.query) } : undefined),
  claims: (request) => request.rawPath.startsWith('/fake/'),
  authenticate(request, context) {
    const match = /^Bearer ([^:\s]+):(\S+)$/.exec(request.headers.authorization ?? '');
    if (!match) return { ok: false, scheme: 'bearer', error: new EmulatedError(401, 'MissingApiKey', 'Send Authorization: Bearer <keyId>:<secret>.') };
    const [, keyId = '', secret = ''] = match;
    const known = context.lookupKey(keyId);
    if (!known || !sameSecret(known.secret, secret)) {
      return { ok: false, scheme: 'bearer', error: new EmulatedError(401, 'InvalidApiKey', 'The API key is not valid.') };
    }
    return { ok: true, scheme: 'bearer', accessKeyId: keyId };
  },
  errorResponse: (error, requestId) => ({ status: error.status, body: { error: { code: error.code, message: error.message }, requestId } }),
  unknownApi: (request) => new EmulatedError(404, 'UnknownApi', `No API answers ${request.method} ${request.rawPath}.`),
  throttled: () => new EmulatedError(429, 'TooManyRequests', 'Slow down.'),
  serverError: () => new EmulatedError(503, 'ServiceUnavailable', 'Try again later.'),
  newRequestId: () => `fake-req-${++requestCounter}`,
  responseHeaders: (requestId) => ({ 'x-fake-request-id': requestId }),
};

function jobView(op: EmulatedOperation) {
  return { id: op.id, status: op.status, cancellable: CANCELLABLE.has(op.status) };
}

export const fakeJobsEmulation: ServiceEmulation = defineEmulation({
  service: FAKE_SERVICE,
  protocol: fakeBearerProtocol,
  fields: { jobId: 'job id (default: a fresh job-… id)', status: `one of ${JOB_STATUSES.join(', ')} (default running)` },
  createOperation(fields, context) {
    const status = fields.status ?? 'running';
    if (typeof status !== 'string' || !(JOB_STATUSES as readonly string[]).includes(status)) {
      throw new EmulatedError(400, 'InvalidField', `status must be one of ${JOB_STATUSES.join(', ')}`);
    }
    const id = typeof fields.jobId === 'string' && fields.jobId !== '' ? fields.jobId : context.newId('job-');
    const op: EmulatedOperation = { service: FAKE_SERVICE, id, status };
    context.store.put(op);
    return op;
  },
  routes: [
    {
      style: 'rest',
      method: 'GET',
      path: '/fake/v1/jobs/{jobId}',
      action: 'GetJob',
      readOnly: true,
      handler(call) {
        const op = call.store.get(FAKE_SERVICE, call.pathParams.jobId ?? '');
        if (!op) throw new EmulatedError(404, 'JobNotFound', 'No such job.');
        return { status: 200, body: { job: jobView(op), requestId: call.requestId } };
      },
    },
    {
      style: 'rest',
      method: 'POST',
      path: '/fake/v1/jobs/{jobId}/cancel',
      action: 'CancelJob',
      handler(call) {
        const op = call.store.get(FAKE_SERVICE, call.pathParams.jobId ?? '');
        if (!op) throw new EmulatedError(404, 'JobNotFound', 'No such job.');
        if (FINISHED.has(op.status)) throw new EmulatedError(409, 'JobAlreadyFinished', `The job is already ${op.status}.`);
        if (!CANCELLABLE.has(op.status)) throw new EmulatedError(409, 'JobNotCancellable', `A ${op.status} job can no longer be cancelled.`);
        op.status = 'cancelled';
        return { status: 200, body: { job: jobView(op), requestId: call.requestId } };
      },
    },
  ],
});

// ------------------------------------------------------------------------------------------------- plugin

export interface FakeCredentials {
  readonly keyId: string;
  readonly secret: string;
}

export const fakeCredentialSource: CredentialSource<FakeCredentials> = {
  provider: 'fake',
  description: 'providers.fake.keyId/secret or FAKE_KEY_ID/FAKE_SECRET',
  async resolve(request) {
    const keyId = (request.providerConfig.keyId as string | undefined) ?? request.env.FAKE_KEY_ID;
    const secret = (request.providerConfig.secret as string | undefined) ?? request.env.FAKE_SECRET;
    if (!keyId || !secret) throw new CancelKitError('Unauthenticated', `No Fake Jobs key found (looked in ${this.description}).`);
    return { keyId, secret };
  },
  secretsOf: (c) => [c.secret],
};

export interface FakeParams {
  readonly jobId: string;
}

export type Breakage =
  | 'none'
  | 'two-outcomes'
  | 'secret-in-error'
  | 'parse-sends-request'
  | 'inspect-mutates'
  | 'bad-manifest'
  | 'throttled-as-unknown'
  | 'forbidden-as-unknown'
  | 'logs-secret'
  | 'lenient-parse'
  | 'cancel-without-request'
  | 'inspect-throws-not-found'
  | 'throws-refusals'
  | 'raw-network-error'
  | 'network-not-ambiguous'
  | 'timeout-as-unknown'
  | 'network-as-failed-outcome'
  | 'inspect-hides-cancelled'
  | 'untyped-params-schema'
  | 'refusal-inspect-crashes'
  | 'made-up-request-id';

export function fakeManifest(breakage: Breakage = 'none'): PluginManifest {
  const bad = breakage === 'bad-manifest';
  return {
    id: bad ? 'Fake_Jobs' : 'fake.jobs.job',
    provider: 'fake',
    service: bad ? 'other.jobs' : FAKE_SERVICE,
    operation: 'job',
    title: 'Cancel a Fake Jobs job',
    docsUrl: bad ? 'http://docs.fake.example/jobs' : 'https://docs.fake.example/jobs',
    paramsSchema: {
      type: 'object',
      properties: { jobId: { type: breakage === 'untyped-params-schema' ? 'strng' : 'string', minLength: 1, maxLength: 64 } },
      required: bad ? ['jobId', 'region'] : ['jobId'],
      additionalProperties: false,
    },
    targetParam: bad ? 'id' : 'jobId',
    capabilities: { inspect: true, batch: bad, wait: true },
    coreRange: bad ? '^9.0.0' : '^0.1.0',
  };
}

const JOB_ID = /^[A-Za-z0-9._-]{1,64}$/;

function parseParams(input: unknown, lenient: boolean): FakeParams {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalidInput([{ field: '', message: 'must be an object such as {"jobId": "job-1"}' }]);
  }
  const forbidden = findForbiddenKeys(input);
  if (forbidden.length > 0) throw invalidInput(forbidden);
  const issues: InputIssue[] = [];
  const record = input as Record<string, unknown>;
  for (const key of Object.keys(record)) if (key !== 'jobId') issues.push({ field: key, message: 'is not a parameter of fake.jobs.job' });
  const jobId = record.jobId;
  if (typeof jobId !== 'string') issues.push({ field: 'jobId', message: 'is required', hint: 'pass jobId: "job-1"' });
  else if (!lenient && !JOB_ID.test(jobId)) issues.push({ field: 'jobId', message: 'must be 1-64 letters, digits, ".", "_" or "-"' });
  if (issues.length > 0) throw invalidInput(issues);
  return { jobId: jobId as string };
}

interface Reply {
  readonly status: number;
  readonly requestId?: string;
  readonly body: { job?: { id: string; status: string; cancellable: boolean }; error?: { code?: string; message?: string } };
}

/** Builds the plugin; `options.leakUrl` is where a parse that sends requests sends them. */
export function fakeJobsPlugin(breakage: Breakage = 'none', options: { leakUrl?: () => string | undefined } = {}) {
  async function call(ctx: CallContext, method: 'GET' | 'POST', path: string): Promise<Reply> {
    const credentials = await ctx.credentials(fakeCredentialSource);
    if (breakage === 'logs-secret') ctx.logger.debug(`calling ${path} as ${credentials.keyId}:${credentials.secret}`);
    const http = await ctx.http();
    let response: { statusCode: number; body: string; headers: Record<string, string | string[] | undefined> };
    try {
      response = await http(new URL(path, ctx.endpoint ?? 'https://jobs.fake.example').href, {
        method,
        headers: { authorization: `Bearer ${credentials.keyId}:${credentials.secret}` },
        timeout: { request: ctx.timeoutMs },
        signal: ctx.signal,
      });
    } catch (error) {
      if (breakage === 'raw-network-error') throw error;
      const code = (error as { code?: unknown }).code;
      if (breakage === 'timeout-as-unknown' && code === 'ETIMEDOUT') throw new CancelKitError('Unknown', `Fake Jobs ${method} ${path} failed`);
      // Only the code travels on: got's error holds the request options, Authorization header included.
      const mapped = transportError({ code }, `Fake Jobs ${method} ${path}`);
      if (breakage === 'network-not-ambiguous') throw new CancelKitError('Transient', mapped.message, { ambiguous: false });
      throw mapped;
    }
    const requestId = typeof response.headers['x-fake-request-id'] === 'string' ? response.headers['x-fake-request-id'] : undefined;
    let body: Reply['body'] = {};
    try {
      body = JSON.parse(response.body) as Reply['body'];
    } catch {
      body = {};
    }
    return { status: response.statusCode, body, ...(requestId ? { requestId } : {}) };
  }

  function errorOf(reply: Reply, credentials?: FakeCredentials): CancelKitError {
    const code = reply.body.error?.code ?? 'Unknown';
    const message = reply.body.error?.message ?? `HTTP ${reply.status}`;
    const options = { providerCode: code, providerMessage: message, httpStatus: reply.status, ...(reply.requestId ? { requestId: reply.requestId } : {}) };
    if (reply.status === 401) {
      const extra = breakage === 'secret-in-error' && credentials ? ` (sent ${credentials.keyId}:${credentials.secret})` : '';
      return new CancelKitError('Unauthenticated', `Fake Jobs refused the key: ${message}${extra}`, options);
    }
    if (reply.status === 429) {
      return new CancelKitError(breakage === 'throttled-as-unknown' ? 'Unknown' : 'Throttled', `Fake Jobs throttled the call: ${message}`, options);
    }
    if (reply.status === 403 && breakage !== 'forbidden-as-unknown') return new CancelKitError('PermissionDenied', `Fake Jobs refused the call: ${message}`, options);
    if (reply.status >= 500) return new CancelKitError('Transient', `Fake Jobs failed: ${message}`, options);
    if (reply.status === 404) return new CancelKitError('NotFound', message, options);
    if (reply.status === 409) return new CancelKitError('NotCancellable', message, options);
    return new CancelKitError('Unknown', message, options);
  }

  async function inspect(params: FakeParams, ctx: CallContext): Promise<OperationState[]> {
    if (breakage === 'inspect-mutates') await call(ctx, 'POST', `/fake/v1/jobs/${encodeURIComponent(params.jobId)}/cancel`);
    const reply = await call(ctx, 'GET', `/fake/v1/jobs/${encodeURIComponent(params.jobId)}`);
    const target = params.jobId;
    if (reply.status === 404 && breakage !== 'inspect-throws-not-found') {
      return [{ target, found: false, terminal: false, cancelled: false, cancellable: false, ...(reply.requestId ? { requestId: reply.requestId } : {}) }];
    }
    if (reply.status !== 200 || !reply.body.job) throw errorOf(reply, await ctx.credentials(fakeCredentialSource));
    const { status } = reply.body.job;
    if (breakage === 'refusal-inspect-crashes' && status === 'finalizing') throw new TypeError("Cannot read properties of undefined (reading 'progress')");
    return [
      {
        target,
        found: true,
        status,
        terminal: FINISHED.has(status),
        cancelled: status === 'cancelled' && breakage !== 'inspect-hides-cancelled',
        cancellable: reply.body.job.cancellable,
        ...(reply.requestId ? { requestId: reply.requestId } : {}),
      },
    ];
  }

  async function cancel(params: FakeParams, ctx: CallContext): Promise<CancelOutcome[]> {
    const target = params.jobId;
    if (breakage === 'cancel-without-request') return [{ target, outcome: 'cancelled', requestId: 'made-up' }];
    let reply: Reply;
    try {
      reply = await call(ctx, 'POST', `/fake/v1/jobs/${encodeURIComponent(target)}/cancel`);
    } catch (error) {
      if (breakage === 'network-as-failed-outcome' && error instanceof CancelKitError) return [{ target, outcome: 'failed', error: error.toJSON() }];
      throw error;
    }
    // The made-up one: read the wrong header, then fall back to an id of its own.
    const requestId = breakage === 'made-up-request-id' ? `local-${target}` : reply.requestId;
    const base = { target, ...(requestId ? { requestId } : {}) };
    let outcome: CancelOutcome;
    if (reply.status === 200) outcome = { ...base, outcome: 'cancelled' };
    else if (breakage === 'throws-refusals' || breakage === 'refusal-inspect-crashes') throw errorOf(reply);
    else if (reply.body.error?.code === 'JobNotFound') outcome = { ...base, outcome: 'not-found', providerCode: 'JobNotFound' };
    else if (reply.body.error?.code === 'JobAlreadyFinished') outcome = { ...base, outcome: 'already-finished', reason: reply.body.error.message ?? '' };
    else if (reply.body.error?.code === 'JobNotCancellable') outcome = { ...base, outcome: 'not-cancellable', reason: reply.body.error.message ?? '' };
    else throw errorOf(reply, await ctx.credentials(fakeCredentialSource));
    return breakage === 'two-outcomes' ? [outcome, { ...outcome }] : [outcome];
  }

  return definePlugin<FakeParams>({
    manifest: fakeManifest(breakage),
    parse(input) {
      if (breakage === 'parse-sends-request') {
        const url = options.leakUrl?.();
        if (url) void fetch(`${url}/fake/v1/jobs/parse-probe`).catch(() => undefined);
      }
      return parseParams(input, breakage === 'lenient-parse');
    },
    targets: (params) => [params.jobId],
    inspect,
    cancel,
    credentialSources: [fakeCredentialSource as CredentialSource<unknown>],
  });
}

/** The cases an author of this plugin would write. */
export const fakeCases = {
  cancellable: { operation: { status: 'running' }, params: (op: EmulatedOperation) => ({ jobId: op.id }) },
  notCancellable: { operation: { status: 'finalizing' }, params: (op: EmulatedOperation) => ({ jobId: op.id }) },
  notFound: { params: { jobId: 'job-does-not-exist' } },
  invalid: [{}, { jobId: '' }, { jobId: 'a b' }, { jobId: 'job-1', extra: true }],
};

export const FAKE_KEY = { keyId: 'fake-demo-key', secret: 'fake-demo-secret-0123456789' } as const;
