/**
 * Alibaba Cloud error bodies → the cancelkit taxonomy. The cloud's code, message and request id are
 * always kept on the error; only the classification is ours.
 */
import { CancelKitError, ERROR_CODES, type ErrorCode } from '@cancelkit/core/plugin';

/** Codes that pop-core treats as success when a body carries `Code` (wire doc §5). */
const SUCCESS_CODES = new Set(['200', 'OK', 'Success', 'success']);

export interface AlibabaErrorFields {
  readonly code?: string;
  readonly message?: string;
  readonly requestId?: string;
  readonly recommend?: string;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** Reads `Code`/`code`, `Message`/`message`, `RequestId`/`requestId` (RPC and ROA shapes). */
export function readAlibabaError(body: unknown): AlibabaErrorFields {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return {};
  const b = body as Record<string, unknown>;
  const fields: { code?: string; message?: string; requestId?: string; recommend?: string } = {};
  const code = text(b.Code) ?? text(b.code);
  const message = text(b.Message) ?? text(b.message);
  const requestId = text(b.RequestId) ?? text(b.requestId);
  const recommend = text(b.Recommend) ?? text(b.recommend);
  if (code !== undefined) fields.code = code;
  if (message !== undefined) fields.message = message;
  if (requestId !== undefined) fields.requestId = requestId;
  if (recommend !== undefined) fields.recommend = recommend;
  return fields;
}

/** The error code a 2xx body carries, if it is an error in disguise (pop-core's rule), else undefined. */
export function errorCodeInSuccessBody(body: unknown, style: 'rpc' | 'roa'): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const b = body as Record<string, unknown>;
  const code = text(b.Code) ?? (style === 'roa' && typeof b.code === 'string' ? text(b.code) : undefined);
  return code === undefined || SUCCESS_CODES.has(code) ? undefined : code;
}

interface Classification {
  readonly code: ErrorCode;
  readonly ambiguous?: boolean;
  readonly hint?: string;
}

const AUTH_CODES = new Set([
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'SignatureNonceUsed',
  'InvalidSignatureMethod',
  'InvalidStsToken',
  'ExpiredStsToken',
  'MissingSecurityToken',
  'MissingAccessKeyId',
  'MissingSignature',
  'UnsupportedSignatureType',
]);
const API_NOT_FOUND = new Set(['InvalidAction.NotFound', 'InvalidApi.NotFound', 'InvalidProduct.NotFound', 'InvalidVersion', 'InvalidProtocol.NeedSsl', 'UnsupportedHTTPMethod']);

/**
 * Classifies a provider code (and HTTP status) into the taxonomy. Exported so plugins can reason about a
 * code without building an error.
 */
export function classifyAlibabaError(providerCode: string | undefined, status: number): Classification {
  const code = providerCode ?? '';
  if (code.includes('Throttling')) return { code: 'Throttled', hint: 'Slow down: lower the rate limit for this service.' };
  if (code !== '') {
    if (code.startsWith('InvalidTimeStamp.')) return { code: 'Unauthenticated', hint: 'Check that this machine’s clock is right (within 15 minutes of UTC).' };
    if (code.startsWith('InvalidAccessKeyId.') || code.startsWith('InvalidSecurityToken.') || AUTH_CODES.has(code)) {
      return { code: 'Unauthenticated', hint: 'Check the AccessKey id and secret (and the STS token, if one is used).' };
    }
    if (API_NOT_FOUND.has(code)) {
      return { code: 'Unknown', hint: 'The endpoint does not serve this API or version: check the endpoint and region.' };
    }
    if (/NotFound$/.test(code) || code.startsWith('EntityNotExist.') || code.startsWith('NotFound.')) return { code: 'NotFound' };
    if (/^(Forbidden|Forbedden)(\.|$)|NoPermission|AccessDenied|ActionUnauthorized/.test(code)) {
      return { code: 'PermissionDenied', hint: 'Grant the RAM permission for this action to the caller.' };
    }
    // State errors: the operation exists but is past the point where it can be cancelled.
    if (/Incorrect\w*Status|Invalid\w*Status|Incorrect\w*State|Invalid\w*State|StatusNotSupport|Cancel\w*Failed|ActionNotSupport/.test(code)) {
      return { code: 'NotCancellable' };
    }
    if (code === 'ServiceUnavailable' || code.endsWith('.ServiceUnavailable')) return { code: 'Transient' };
    if (code === 'InternalError' || code === 'UnknownError' || code.endsWith('.InternalError')) return { code: 'Transient', ambiguous: true };
    if (/^Missing|^InvalidParam|^UnsupportedParameter/.test(code)) return { code: 'InvalidInput' };
  }
  if (status === 401) return { code: 'Unauthenticated' };
  if (status === 403) return { code: 'PermissionDenied' };
  if (status === 404) return { code: 'NotFound' };
  if (status === 409) return { code: 'NotCancellable' };
  if (status === 429) return { code: 'Throttled' };
  // A 503 is a refusal before work started; other 5xx may have been applied, so the engine reconciles.
  if (status === 503) return { code: 'Transient' };
  if (status >= 500) return { code: 'Transient', ambiguous: true };
  return { code: 'Unknown' };
}

export interface MapErrorExtras {
  /** The API action, for the message. */
  readonly action?: string;
  /** From `x-acs-retry-after` (ms) or `Retry-After`. */
  readonly retryAfterMs?: number;
  /** Strings to mask if the cloud echoes them (an STS token inside an echoed string to sign). */
  readonly secrets?: readonly string[];
}

export function scrubSecrets(value: string, secrets: readonly string[]): string {
  let out = value;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    for (const form of new Set([secret, encodeURIComponent(secret), encodeURIComponent(encodeURIComponent(secret))])) {
      out = out.split(form).join('[REDACTED]');
    }
  }
  return out;
}

const MAX_MESSAGE = 1000;

function validCode(value: unknown): ErrorCode | undefined {
  return (ERROR_CODES as readonly unknown[]).includes(value) ? (value as ErrorCode) : undefined;
}

/**
 * Maps an Alibaba Cloud error answer to a CancelKitError. `errorCodes` (per call) wins over the generic
 * rules for the codes it names, e.g. `{ 'InvalidTaskId.IncorrectTaskStatus': 'NotCancellable' }`.
 */
export function mapAlibabaError(
  status: number,
  body: unknown,
  requestIdHeader?: string,
  errorCodes?: Readonly<Record<string, ErrorCode>>,
  extras: MapErrorExtras = {},
): CancelKitError {
  const fields = readAlibabaError(body);
  const secrets = extras.secrets ?? [];
  // Own names only: a cloud answering `Code: "constructor"` must not pick up Object.prototype.constructor.
  const override = fields.code !== undefined && errorCodes && Object.hasOwn(errorCodes, fields.code) ? validCode(errorCodes[fields.code]) : undefined;
  const classified: Classification = override ? { code: override } : classifyAlibabaError(fields.code, status);
  const providerMessage = fields.message === undefined ? undefined : scrubSecrets(fields.message, secrets).slice(0, MAX_MESSAGE);
  const requestId = fields.requestId ?? (requestIdHeader || undefined);
  const what = extras.action ?? 'The request';
  const described = fields.code === undefined ? `HTTP ${status}` : `${fields.code} (HTTP ${status})`;
  const message = `${what} failed: ${described}${providerMessage ? `: ${providerMessage}` : ''}`;
  const hint = classified.hint ?? (fields.recommend ? scrubSecrets(fields.recommend, secrets).slice(0, MAX_MESSAGE) : undefined);
  return new CancelKitError(classified.code, message, {
    httpStatus: status,
    ...(fields.code !== undefined ? { providerCode: fields.code } : {}),
    ...(providerMessage !== undefined ? { providerMessage } : {}),
    ...(requestId !== undefined ? { requestId } : {}),
    ...(classified.code === 'Throttled' && extras.retryAfterMs !== undefined ? { retryAfterMs: extras.retryAfterMs } : {}),
    ...(classified.ambiguous ? { ambiguous: true } : {}),
    ...(hint !== undefined ? { hint } : {}),
  });
}

/** `x-acs-retry-after` is milliseconds (SDK); `Retry-After` is seconds or an HTTP date. */
export function retryAfterMs(headers: Readonly<Record<string, string | string[] | undefined>>, now: number): number | undefined {
  const one = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
  const acs = one(headers['x-acs-retry-after']);
  if (acs !== undefined && /^\d+$/.test(acs.trim())) return Number.parseInt(acs, 10);
  const standard = one(headers['retry-after'])?.trim();
  if (standard === undefined || standard === '') return undefined;
  if (/^\d+$/.test(standard)) return Number.parseInt(standard, 10) * 1000;
  const at = Date.parse(standard);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}
