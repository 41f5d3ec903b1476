/**
 * One error taxonomy for every plugin, provider and app. Each class carries a stable `code`, whether the
 * engine may retry it, the CLI exit code and the HTTP status, and keeps what the provider said
 * (code, message, request id) so nothing the cloud told us is lost.
 *
 * Checks are structural (`isCancelKitError`), never `instanceof`, so two copies of core still agree
 * (the Backstage lesson).
 */

export const ERROR_CODES = [
  'InvalidInput',
  'Unauthenticated',
  'PermissionDenied',
  'NotFound',
  'NotCancellable',
  'Throttled',
  'Transient',
  'Unknown',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorTraits {
  readonly retryable: boolean;
  /** Exit code of the `cancelkit` CLI when this error ends a single-target command. */
  readonly exitCode: number;
  /** HTTP status `cancelkit-server` answers with. */
  readonly httpStatus: number;
  readonly title: string;
}

/** Exit code for a batch where some targets failed and others did not. */
export const EXIT_PARTIAL_FAILURE = 9;
export const EXIT_OK = 0;

export const ERROR_TRAITS: Readonly<Record<ErrorCode, ErrorTraits>> = Object.freeze({
  InvalidInput: { retryable: false, exitCode: 2, httpStatus: 400, title: 'Invalid input' },
  Unauthenticated: { retryable: false, exitCode: 3, httpStatus: 401, title: 'Unauthenticated' },
  PermissionDenied: { retryable: false, exitCode: 4, httpStatus: 403, title: 'Permission denied' },
  NotFound: { retryable: false, exitCode: 5, httpStatus: 404, title: 'Not found' },
  NotCancellable: { retryable: false, exitCode: 6, httpStatus: 409, title: 'Not cancellable' },
  Throttled: { retryable: true, exitCode: 7, httpStatus: 429, title: 'Throttled' },
  Transient: { retryable: true, exitCode: 8, httpStatus: 503, title: 'Transient failure' },
  Unknown: { retryable: false, exitCode: 1, httpStatus: 502, title: 'Unknown error' },
});

/** One problem with one field of the input. */
export interface InputIssue {
  /** Dotted path of the field, e.g. `taskId` or `ids.2`; empty for the whole input. */
  readonly field: string;
  readonly message: string;
  /** How to fix it, in a sentence. */
  readonly hint?: string;
}

export interface CancelKitErrorOptions {
  /** The provider's own error code, e.g. `InvalidTaskId.NotFound` or `DDS.0001`. */
  providerCode?: string;
  /** The provider's own message (already free of secrets). */
  providerMessage?: string;
  /** The cloud's request id, for support tickets. */
  requestId?: string;
  /** HTTP status the cloud answered with, when there was one. */
  httpStatus?: number;
  /** Server retry hint (Retry-After), in milliseconds. */
  retryAfterMs?: number;
  /**
   * True when the request may have reached the cloud and been applied even though we saw no answer
   * (connection reset after sending, timeout). The engine reconciles such failures through `inspect`.
   */
  ambiguous?: boolean;
  issues?: readonly InputIssue[];
  hint?: string;
  cause?: unknown;
}

const TAG = 'cancelkit.error';

export class CancelKitError extends Error {
  readonly $$type = TAG;
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly exitCode: number;
  readonly status: number;
  readonly providerCode?: string;
  readonly providerMessage?: string;
  readonly requestId?: string;
  readonly providerStatus?: number;
  readonly retryAfterMs?: number;
  readonly ambiguous: boolean;
  readonly issues: readonly InputIssue[];
  readonly hint?: string;

  constructor(code: ErrorCode, message: string, options: CancelKitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = code;
    const traits = ERROR_TRAITS[code];
    this.code = code;
    this.retryable = traits.retryable;
    this.exitCode = traits.exitCode;
    this.status = traits.httpStatus;
    if (options.providerCode !== undefined) this.providerCode = options.providerCode;
    if (options.providerMessage !== undefined) this.providerMessage = options.providerMessage;
    if (options.requestId !== undefined) this.requestId = options.requestId;
    if (options.httpStatus !== undefined) this.providerStatus = options.httpStatus;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.hint !== undefined) this.hint = options.hint;
    this.ambiguous = options.ambiguous ?? false;
    this.issues = options.issues ?? [];
  }

  toJSON(): CancelKitErrorJSON {
    return serializeError(this);
  }
}

/** The wire/JSON form of an error: what the CLI prints and the server stores. Never holds secrets. */
export interface CancelKitErrorJSON {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  providerCode?: string;
  providerMessage?: string;
  requestId?: string;
  httpStatus?: number;
  issues?: InputIssue[];
  hint?: string;
}

export function serializeError(error: CancelKitError): CancelKitErrorJSON {
  const json: CancelKitErrorJSON = { code: error.code, message: error.message, retryable: error.retryable };
  if (error.providerCode !== undefined) json.providerCode = error.providerCode;
  if (error.providerMessage !== undefined) json.providerMessage = error.providerMessage;
  if (error.requestId !== undefined) json.requestId = error.requestId;
  if (error.providerStatus !== undefined) json.httpStatus = error.providerStatus;
  if (error.issues.length > 0) json.issues = [...error.issues];
  if (error.hint !== undefined) json.hint = error.hint;
  return json;
}

export function isCancelKitError(value: unknown): value is CancelKitError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { $$type?: unknown }).$$type === TAG &&
    typeof (value as { code?: unknown }).code === 'string' &&
    (ERROR_CODES as readonly string[]).includes((value as { code: string }).code)
  );
}

/** Wraps anything thrown into the taxonomy; unknown throwables become `Unknown` without their stack in the message. */
export function toCancelKitError(value: unknown): CancelKitError {
  if (isCancelKitError(value)) return value;
  if (value instanceof Error && value.name === 'AbortError') {
    // As in transportError: a request aborted in flight may already have been applied by the cloud.
    return new CancelKitError('Transient', 'The operation was aborted.', { cause: value, ambiguous: true });
  }
  const message = value instanceof Error ? value.message : String(value);
  return new CancelKitError('Unknown', message || 'Unknown error', { cause: value });
}

export class InvalidInput extends CancelKitError {
  constructor(message: string, options: CancelKitErrorOptions = {}) {
    super('InvalidInput', message, options);
  }
}
export class Unauthenticated extends CancelKitError {
  constructor(message: string, options: CancelKitErrorOptions = {}) {
    super('Unauthenticated', message, options);
  }
}
export class PermissionDenied extends CancelKitError {
  constructor(message: string, options: CancelKitErrorOptions = {}) {
    super('PermissionDenied', message, options);
  }
}
export class NotFound extends CancelKitError {
  constructor(message: string, options: CancelKitErrorOptions = {}) {
    super('NotFound', message, options);
  }
}
export class NotCancellable extends CancelKitError {
  constructor(message: string, options: CancelKitErrorOptions = {}) {
    super('NotCancellable', message, options);
  }
}
export class Throttled extends CancelKitError {
  constructor(message: string, options: CancelKitErrorOptions = {}) {
    super('Throttled', message, options);
  }
}
export class Transient extends CancelKitError {
  constructor(message: string, options: CancelKitErrorOptions = {}) {
    super('Transient', message, options);
  }
}
export class UnknownError extends CancelKitError {
  constructor(message: string, options: CancelKitErrorOptions = {}) {
    super('Unknown', message, options);
  }
}

/**
 * Makes untrusted text safe to echo in a message: control and format characters escaped (no forged log
 * lines), lone surrogates replaced, and the length capped (a 200 KB parameter name must not become a
 * 200 KB error).
 */
export function printable(text: string, max = 120): string {
  const escaped = text
    .replace(/[\uD800-\uDFFF]/gu, '\uFFFD')
    .replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
  return escaped.length > max ? `${escaped.slice(0, max)}… (${escaped.length - max} more characters)` : escaped;
}

/** Builds an InvalidInput naming every problem: `taskId: is required (pass --task-id t-…)`. */
export function invalidInput(issues: readonly InputIssue[], subject = 'input'): InvalidInput {
  const safe = issues.slice(0, 50).map((i) => ({
    field: printable(i.field, 80),
    message: printable(i.message, 300),
    ...(i.hint !== undefined ? { hint: printable(i.hint, 300) } : {}),
  }));
  const more = issues.length > safe.length ? `; and ${issues.length - safe.length} more` : '';
  const lines = safe.map((i) => `${i.field || subject}: ${i.message}${i.hint ? ` (${i.hint})` : ''}`);
  return new InvalidInput(`Invalid ${subject}: ${lines.join('; ')}${more}`, { issues: safe });
}

/**
 * A `JSON.parse` failure in words, without the excerpt of the input Node quotes in its message
 * (`Unexpected token 'a', ..."ySecret": abcdefsecr"...`): config and credential files hold secrets, and a
 * typo next to one would print part of it. Keeps what locates the problem: the kind and line/column.
 */
export function describeJsonSyntaxError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const at = /at position \d+(?: \(line (\d+) column (\d+)\))?/.exec(message);
  const kind = message
    .replace(/,\s*(?:\.\.\.)?".*$/s, '')
    .replace(/\s*in JSON at position.*$/s, '')
    .replace(/\s*after JSON at position.*$/s, ' after the JSON value')
    .replace(/ is not valid JSON$/, '')
    .trim();
  const where = at?.[1] !== undefined ? ` at line ${at[1]} column ${at[2]}` : '';
  return `${kind || 'invalid JSON'}${where}`;
}
