/**
 * `acme.jobs.job`: cancel a job with `POST /acme/v1/jobs/{jobId}/cancel`; inspect it with
 * `GET /acme/v1/jobs/{jobId}`.
 */
import { type CallContext, type CancelOutcome, definePlugin, type OperationState, parseWithSchema } from '@cancelkit/core/plugin';
import { acmeCall, acmeError } from './client.js';
import { acmeCredentialSource } from './credentials.js';
import manifest from './manifest.js';
import { type AcmeJobParams, acmeJobParamsSchema } from './schema.js';
import { ACME_ERRORS, cancelPath, FINISHED_STATUSES, jobPath } from './wire.js';

async function inspectJob(params: AcmeJobParams, ctx: CallContext): Promise<OperationState[]> {
  const target = params.jobId;
  const reply = await acmeCall(ctx, 'GET', jobPath(target));
  const requestId = reply.requestId ? { requestId: reply.requestId } : {};
  if (reply.status === 404 && reply.body.error?.code === ACME_ERRORS.notFound.code) {
    return [{ target, found: false, terminal: false, cancelled: false, cancellable: false, reason: `Acme Jobs knows no job ${target}.`, ...requestId }];
  }
  const record = reply.body.job;
  if (reply.status !== 200 || !record) throw acmeError(reply, `Reading job ${target}`);
  const terminal = FINISHED_STATUSES.has(record.status);
  return [
    {
      target,
      found: true,
      status: record.status,
      terminal,
      cancelled: record.status === 'cancelled',
      cancellable: !terminal && record.cancellable,
      ...(terminal ? { reason: `The job already ended (${record.status}).` } : record.cancellable ? {} : { reason: `A ${record.status} job can no longer be cancelled.` }),
      ...requestId,
      ...(record.createdAt ? { details: { createdAt: record.createdAt } } : {}),
    },
  ];
}

async function cancelJob(params: AcmeJobParams, ctx: CallContext): Promise<CancelOutcome[]> {
  const target = params.jobId;
  const reply = await acmeCall(ctx, 'POST', cancelPath(target));
  const base = { target, ...(reply.requestId ? { requestId: reply.requestId } : {}) };
  const providerCode = reply.body.error?.code;
  const reason = reply.body.error?.message;
  const facts = { ...(providerCode ? { providerCode } : {}), ...(reason ? { reason } : {}) };
  if (reply.status === 200) return [{ ...base, outcome: 'cancelled' }];
  // Facts about the target are outcomes; failures that say nothing about it are thrown in the taxonomy.
  if (providerCode === ACME_ERRORS.notFound.code) return [{ ...base, outcome: 'not-found', ...facts }];
  if (providerCode === ACME_ERRORS.alreadyFinished.code) return [{ ...base, outcome: 'already-finished', ...facts }];
  if (providerCode === ACME_ERRORS.notCancellable.code) return [{ ...base, outcome: 'not-cancellable', ...facts }];
  throw acmeError(reply, `Cancelling job ${target}`);
}

export const acmeJobPlugin = definePlugin<AcmeJobParams>({
  manifest,
  parse: (input) => parseWithSchema(acmeJobParamsSchema, input),
  targets: (params) => [params.jobId],
  inspect: inspectJob,
  cancel: cancelJob,
  credentialSources: [acmeCredentialSource],
});
