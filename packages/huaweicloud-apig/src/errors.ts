/**
 * Maps a Huawei Cloud error answer (`{error_code, error_msg}` from the service, or the API gateway's
 * `APIGW.*` codes) and its HTTP status to the core taxonomy. Service codes (DBS.…) are kept verbatim but
 * never decide the class on their own; callers that know better pass `errorCodes`.
 */
import { CancelKitError, ERROR_CODES, type ErrorCode } from '@cancelkit/core/plugin';

export interface HuaweiErrorBody {
  readonly code?: string;
  readonly message?: string;
  readonly requestId?: string;
}

/** Reads both shapes the SDK accepts: `{error_code, error_msg}` and `{error: {code, message}}`. */
export function readHuaweiErrorBody(body: unknown): HuaweiErrorBody {
  if (typeof body !== 'object' || body === null) return {};
  const b = body as Record<string, unknown>;
  const nested = typeof b.error === 'object' && b.error !== null ? (b.error as Record<string, unknown>) : {};
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v.slice(0, 2_000) : undefined);
  const code = text(b.error_code) ?? text(nested.code) ?? text(b.code);
  const message = text(b.error_msg) ?? text(nested.message) ?? text(b.message);
  const requestId = text(b.request_id);
  return { ...(code ? { code } : {}), ...(message ? { message } : {}), ...(requestId ? { requestId } : {}) };
}

export interface MapErrorOptions {
  /** Provider code → class, for codes a caller knows the meaning of. Wins over the defaults. */
  readonly errorCodes?: Readonly<Record<string, ErrorCode>>;
  /** From a Retry-After header. */
  readonly retryAfterMs?: number;
  /** Scrubs secrets from the provider's text (the gateway may echo a canonical request holding a token). */
  readonly redact?: (text: string) => string;
}

/** Header values the gateway may echo in a debug message (`x-security-token:…|`, `x-auth-token:…|`). */
const ECHOED_SECRET_HEADER = /((?:x-security-token|x-auth-token|authorization)\s*:\s*)[^|\n]*/gi;

const GATEWAY_AUTH = new Set(['APIGW.0301', 'APIG.0301', 'APIGW.0303', 'APIG.0303']);
const GATEWAY_DENIED = new Set(['APIGW.0302', 'APIG.0302', 'APIGW.0304', 'APIG.0304']);
const GATEWAY_THROTTLED = new Set(['APIGW.0308', 'APIG.0308']);
const GATEWAY_NO_API = new Set(['APIGW.0101', 'APIG.0101']);

function classify(status: number, code: string | undefined): { kind: ErrorCode; summary: string; hint?: string } {
  if (code && GATEWAY_AUTH.has(code)) {
    return {
      kind: 'Unauthenticated',
      summary: 'Huawei Cloud rejected the credentials',
      hint: 'Check the AK/SK (or token), that the key is enabled, and that the local clock is within 15 minutes of UTC.',
    };
  }
  if (code && GATEWAY_THROTTLED.has(code)) return { kind: 'Throttled', summary: 'Huawei Cloud throttled the request' };
  if (code && GATEWAY_DENIED.has(code)) {
    return { kind: 'PermissionDenied', summary: 'Huawei Cloud denied access', hint: 'Check the IAM permissions and the project id.' };
  }
  if (code && GATEWAY_NO_API.has(code)) {
    return {
      kind: 'Unknown',
      summary: 'The API gateway does not know this API',
      hint: 'Check the endpoint (region) and that the service is available there.',
    };
  }
  if (status === 401) return { kind: 'Unauthenticated', summary: 'Huawei Cloud rejected the credentials' };
  if (status === 403) return { kind: 'PermissionDenied', summary: 'Huawei Cloud denied the request' };
  if (status === 404) return { kind: 'NotFound', summary: 'Huawei Cloud does not know the resource' };
  if (status === 429) return { kind: 'Throttled', summary: 'Huawei Cloud throttled the request' };
  if (status >= 500) return { kind: 'Transient', summary: `Huawei Cloud answered ${status}` };
  // 409 Conflict is the resource's state refusing the change, not the caller's input.
  if (status === 409) return { kind: 'NotCancellable', summary: 'Huawei Cloud refused the change in the resource\u2019s current state' };
  if (status === 400 || status === 422) return { kind: 'InvalidInput', summary: 'Huawei Cloud rejected the request' };
  return { kind: 'Unknown', summary: `Huawei Cloud answered ${status}` };
}

export function mapHuaweiError(status: number, body: unknown, requestId?: string, options: MapErrorOptions = {}): CancelKitError {
  const raw = readHuaweiErrorBody(body);
  const scrub = (text: string) => (options.redact ?? ((t: string) => t))(text).replace(ECHOED_SECRET_HEADER, '$1[REDACTED]');
  const read: HuaweiErrorBody = raw.message !== undefined ? { ...raw, message: scrub(raw.message) } : raw;
  // Own names only: a gateway answering `error_code: "constructor"` must not pick up Object.prototype.constructor.
  const codes = options.errorCodes;
  const named = read.code !== undefined && codes !== undefined && Object.hasOwn(codes, read.code) ? codes[read.code] : undefined;
  const override = (ERROR_CODES as readonly unknown[]).includes(named) ? named : undefined;
  const { kind: defaultKind, summary, hint } = classify(status, read.code);
  const kind = override ?? defaultKind;
  const id = requestId ?? read.requestId;
  const detail = [read.code, read.message].filter(Boolean).join(': ');
  const message = `${summary} (HTTP ${status}${detail ? `, ${detail}` : ''})${id ? ` [request ${id}]` : ''}`;
  return new CancelKitError(kind, message, {
    httpStatus: status,
    ...(read.code !== undefined ? { providerCode: read.code } : {}),
    ...(read.message !== undefined ? { providerMessage: read.message } : {}),
    ...(id !== undefined ? { requestId: id } : {}),
    ...(options.retryAfterMs !== undefined ? { retryAfterMs: options.retryAfterMs } : {}),
    // A 5xx may come after the service applied the change; the engine reconciles through inspect.
    ...(kind === 'Transient' && status >= 500 && status !== 503 ? { ambiguous: true } : {}),
    ...(hint !== undefined && override === undefined ? { hint } : {}),
  });
}

/** Retry-After (seconds or an HTTP date) → ms; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.min(Math.round(Number(trimmed) * 1000), 3_600_000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now), 3_600_000);
}
