/**
 * RFC 9457 problem details. Every error the server answers with goes through `toProblem`, so a client
 * always gets `application/problem+json` carrying the taxonomy's `code` (the same codes the CLI maps to
 * exit codes) and never a stack trace or a secret.
 */
import { type CancelKitError, ERROR_TRAITS, type ErrorCode, type InputIssue, isCancelKitError } from '@cancelkit/core';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface Problem {
  /** A URI naming the problem kind: `urn:cancelkit:problem:<code>`. */
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  issues?: InputIssue[];
  /** The cloud's request id, when the cloud answered. */
  requestId?: string;
  providerCode?: string;
  hint?: string;
  /** This occurrence: `urn:cancelkit:request:<server request id>`. */
  instance?: string;
}

/** An error the HTTP layer raises itself: a taxonomy code plus an HTTP status that may differ from the code's default (413, 415, 422, 504). */
export class HttpProblem extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly issues: readonly InputIssue[];
  readonly hint: string | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: ErrorCode,
    detail: string,
    options: { status?: number; issues?: readonly InputIssue[]; hint?: string; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
    this.code = code;
    this.status = options.status ?? ERROR_TRAITS[code].httpStatus;
    this.issues = options.issues ?? [];
    this.hint = options.hint;
    this.headers = options.headers ?? {};
  }
}

const STATUS_TITLES: Readonly<Record<number, string>> = {
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  500: 'Internal server error',
  503: 'Service unavailable',
  504: 'Gateway timeout',
};

function typeOf(code: ErrorCode): string {
  return `urn:cancelkit:problem:${code.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}`;
}

function base(code: ErrorCode, status: number, detail: string, requestId: string | undefined): Problem {
  const problem: Problem = {
    type: typeOf(code),
    title: STATUS_TITLES[status] ?? ERROR_TRAITS[code].title,
    status,
    detail,
    code,
  };
  if (requestId !== undefined) problem.instance = `urn:cancelkit:request:${requestId}`;
  return problem;
}

function fromCancelKitError(error: CancelKitError, serverRequestId: string | undefined): Problem {
  const problem = base(error.code, error.status, error.message, serverRequestId);
  if (error.issues.length > 0) problem.issues = [...error.issues];
  if (error.requestId !== undefined) problem.requestId = error.requestId;
  if (error.providerCode !== undefined) problem.providerCode = error.providerCode;
  if (error.hint !== undefined) problem.hint = error.hint;
  return problem;
}

/** Fastify's own errors (body too large, bad JSON, wrong media type) carry a 4xx statusCode and an FST_ code. */
function fromFrameworkError(error: { statusCode: number; code?: string; message: string }, requestId: string | undefined): Problem {
  const status = error.statusCode;
  if (status === 413) {
    return { ...base('InvalidInput', 413, 'The request body is larger than the server accepts.', requestId), hint: 'Split the batch into smaller requests.' };
  }
  if (status === 415) {
    return { ...base('InvalidInput', 415, 'The request body must be application/json.', requestId), hint: 'Send Content-Type: application/json.' };
  }
  if (status === 503 && error.code === 'FST_ERR_HANDLER_TIMEOUT') {
    return { ...base('Transient', 503, 'The request took longer than the server allows.', requestId), hint: 'Retry; long batches answer 202 and run in the background.' };
  }
  if (status >= 400 && status < 500) {
    // Malformed JSON and the like: the framework message names the problem without echoing secrets.
    return base('InvalidInput', status, error.message, requestId);
  }
  return base('Unknown', 500, 'The server failed to handle the request.', requestId);
}

/** A `Retry-After` value: whole seconds, at least 1, never telling a client to come back before `waitMs`. */
export function retryAfterSeconds(waitMs: number): string {
  return String(Math.max(1, Math.ceil(waitMs / 1000)));
}

export function toProblem(error: unknown, requestId: string | undefined): { problem: Problem; headers: Readonly<Record<string, string>> } {
  if (error instanceof HttpProblem) {
    const problem = base(error.code, error.status, error.message, requestId);
    if (error.issues.length > 0) problem.issues = [...error.issues];
    if (error.hint !== undefined) problem.hint = error.hint;
    return { problem, headers: error.headers };
  }
  if (isCancelKitError(error)) {
    // A retryable answer (429 Throttled, 503 Transient) tells the client when to come back, as RFC 9110
    // asks: the cloud's own hint when it gave one, else a second.
    const headers: Record<string, string> = error.retryable
      ? { 'retry-after': retryAfterSeconds(error.retryAfterMs ?? 1000) }
      : {};
    return { problem: fromCancelKitError(error, requestId), headers };
  }
  const candidate = error as { statusCode?: unknown; code?: unknown; message?: unknown } | null;
  if (candidate && typeof candidate.statusCode === 'number' && typeof candidate.message === 'string') {
    const framework: { statusCode: number; code?: string; message: string } = { statusCode: candidate.statusCode, message: candidate.message };
    if (typeof candidate.code === 'string') framework.code = candidate.code;
    return { problem: fromFrameworkError(framework, requestId), headers: {} };
  }
  return { problem: base('Unknown', 500, 'The server failed to handle the request.', requestId), headers: {} };
}
