/**
 * What Acme Jobs says on the wire, in one place: paths, states, headers and error codes. The client
 * speaks it and the emulation answers with it, so the two cannot drift apart.
 */

/** Every Acme API path starts here; the emulator routes on it. */
export const API_PREFIX = '/acme/v1';
export const jobPath = (id: string): string => `${API_PREFIX}/jobs/${encodeURIComponent(id)}`;
export const cancelPath = (id: string): string => `${jobPath(id)}/cancel`;

export const REQUEST_ID_HEADER = 'x-acme-request-id';
export const DEFAULT_ENDPOINT = 'https://api.acme.example';

export const STATUSES = ['queued', 'running', 'finalizing', 'succeeded', 'failed', 'cancelled'] as const;
export type Status = (typeof STATUSES)[number];
/** A cancel is accepted in these states. */
export const CANCELLABLE_STATUSES: ReadonlySet<string> = new Set<Status>(['queued', 'running']);
/** Nothing more happens in these states. */
export const FINISHED_STATUSES: ReadonlySet<string> = new Set<Status>(['succeeded', 'failed', 'cancelled']);

/** Acme's error codes and the HTTP status each comes with. */
export const ACME_ERRORS = {
  missingKey: { status: 401, code: 'MissingApiKey', message: 'Send Authorization: Bearer <apiKeyId>:<apiKeySecret>.' },
  invalidKey: { status: 401, code: 'InvalidApiKey', message: 'The API key is not valid.' },
  forbidden: { status: 403, code: 'Forbidden', message: 'The API key may not do this.' },
  notFound: { status: 404, code: 'JobNotFound', message: 'No job has this id.' },
  alreadyFinished: { status: 409, code: 'JobAlreadyFinished', message: 'The job has already finished.' },
  notCancellable: { status: 409, code: 'JobNotCancellable', message: 'The job is finalizing and can no longer be cancelled.' },
  unknownApi: { status: 404, code: 'UnknownApi', message: 'No Acme API answers this method and path.' },
  throttled: { status: 429, code: 'TooManyRequests', message: 'Too many requests; retry after a second.' },
  unavailable: { status: 503, code: 'ServiceUnavailable', message: 'Acme Jobs is briefly unavailable; try again.' },
} as const;

/** The JSON body of every Acme answer. */
export interface AcmeJob {
  readonly id: string;
  readonly status: string;
  readonly cancellable: boolean;
  readonly createdAt?: string;
}
export interface AcmeBody {
  readonly job?: AcmeJob;
  readonly error?: { readonly code?: string; readonly message?: string };
  readonly requestId?: string;
}
