/**
 * What the verifiers need and return. Kept free of emulator types so the verifiers are plain functions;
 * `EmulatorRequest` and `AuthContext` from `@cancelkit/core/emulation` satisfy these shapes as they are.
 */

/** The key material a signer needs (an `AlibabaCredentials` fits). */
export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken?: string;
}

/** A request as a server received it. */
export interface ReceivedRequest {
  readonly method: string;
  /** The path as received, still percent-encoded, without the query string. */
  readonly rawPath: string;
  /** The raw query string without `?`, still encoded. */
  readonly rawQuery: string;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

export interface VerifierKey {
  readonly secret: string;
  /** For temporary (STS) keys: the token every request must carry. */
  readonly securityToken?: string;
}

export interface VerifyContext {
  /** Server clock, ms since epoch. */
  readonly now: number;
  lookupKey(accessKeyId: string): VerifierKey | undefined;
  /** Records a nonce; false when it was used before (a replay). */
  useNonce(nonce: string): boolean;
  /** Allowed clock difference; the cloud allows 15 minutes. */
  readonly maxSkewMs?: number;
}

export type AlibabaAuthScheme = 'ACS3-HMAC-SHA256' | 'RPC-V1-HMAC-SHA1' | 'ROA-V1-HMAC-SHA1' | 'none';

/** A verifier's answer. Verifiers never throw: hostile input yields a rejection. */
export type AlibabaVerdict =
  | { readonly ok: true; readonly scheme: AlibabaAuthScheme; readonly accessKeyId: string }
  | {
      readonly ok: false;
      readonly scheme: AlibabaAuthScheme;
      /** HTTP status the cloud answers with. */
      readonly status: number;
      /** The cloud's error code, e.g. `SignatureDoesNotMatch`. */
      readonly code: string;
      readonly message: string;
    };

export const DEFAULT_MAX_SKEW_MS = 15 * 60 * 1000;

/** The cloud's own codes, statuses and messages for authentication failures. */
export const AUTH_ERRORS = {
  signatureMismatch: { status: 400, code: 'SignatureDoesNotMatch', message: 'Specified signature is not matched with our calculation.' },
  keyNotFound: { status: 404, code: 'InvalidAccessKeyId.NotFound', message: 'Specified access key is not found.' },
  nonceUsed: { status: 400, code: 'SignatureNonceUsed', message: 'Specified signature nonce was used already.' },
  timestampExpired: { status: 400, code: 'InvalidTimeStamp.Expired', message: 'Specified time stamp or date value is expired.' },
  timestampFormat: { status: 400, code: 'InvalidTimeStamp.Format', message: 'Specified time stamp or date value is not well formatted.' },
  incomplete: { status: 400, code: 'IncompleteSignature', message: 'The request signature does not conform to Aliyun standards.' },
  signatureMethod: { status: 400, code: 'InvalidSignatureMethod', message: 'Specified signature method is not valid.' },
  tokenMismatch: {
    status: 400,
    code: 'InvalidSecurityToken.MismatchWithAccessKey',
    message: 'Specified SecurityToken mismatch with the AccessKey.',
  },
} as const;

export function reject(
  scheme: AlibabaAuthScheme,
  error: { readonly status: number; readonly code: string; readonly message: string },
  detail?: string,
): AlibabaVerdict {
  return { ok: false, scheme, status: error.status, code: error.code, message: detail ? `${error.message} ${detail}` : error.message };
}

export function missing(scheme: AlibabaAuthScheme, parameter: string): AlibabaVerdict {
  return { ok: false, scheme, status: 400, code: `Missing${parameter}`, message: `${parameter} is mandatory for this action.` };
}

/** `YYYY-MM-DDTHH:mm:ssZ` (ACS3 `x-acs-date`, RPC V1 `Timestamp`) → ms, or undefined. */
export function parseIsoSeconds(value: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/** An HTTP `Date` (ROA V1) → ms, or undefined: it must end in GMT and parse. */
export function parseHttpDate(value: string): number | undefined {
  if (!/GMT$/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Checks a request time against the server clock; undefined when acceptable. */
export function checkTime(scheme: AlibabaAuthScheme, at: number | undefined, context: VerifyContext): AlibabaVerdict | undefined {
  if (at === undefined) return reject(scheme, AUTH_ERRORS.timestampFormat);
  const skew = context.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  if (Math.abs(context.now - at) > skew) return reject(scheme, AUTH_ERRORS.timestampExpired);
  return undefined;
}

/** STS: a temporary key's token must come with the request. */
export function checkToken(scheme: AlibabaAuthScheme, key: VerifierKey, sent: string | undefined): AlibabaVerdict | undefined {
  if (key.securityToken === undefined) return undefined;
  if (sent === undefined || sent === '') return missing(scheme, 'SecurityToken');
  if (sent !== key.securityToken) return reject(scheme, AUTH_ERRORS.tokenMismatch);
  return undefined;
}
