/**
 * The gateway side of SDK-HMAC-SHA256 / V11-HMAC-SHA256: verifies a received request the way Huawei's
 * API gateway does (wire notes §6.6), tolerant of every official SDK's variant: the signed header set
 * comes from `SignedHeaders`, values are trimmed, the canonical URI is tried decoded-then-encoded and
 * then as received (the Node SDK's double-encoding quirk), the payload hash may be declared in
 * `X-Sdk-Content-Sha256`. Never throws: hostile input yields a failed verdict.
 */
import { timingSafeEqual } from 'node:crypto';
import {
  buildCanonicalRequest,
  canonicalQuery,
  canonicalUri,
  deriveV11Key,
  hmacSha256Hex,
  parseSdkDate,
  SDK_HMAC_SHA256,
  sha256Hex,
  stringToSign,
  V11_HMAC_SHA256,
} from './signer.js';

/** A request as received: raw (still encoded) path and query, lower-case header names. */
export interface ReceivedRequest {
  readonly method: string;
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array | string;
}

/** What the verifier needs to know about an access key. */
export interface VerifierKey {
  readonly secret: string;
  /** Set for temporary keys: the request must carry this exact, signed X-Security-Token. */
  readonly securityToken?: string;
}

export interface VerifyOptions {
  /** Server time, epoch ms. */
  readonly now: number;
  lookupKey(accessKeyId: string): VerifierKey | undefined;
  /** Allowed |X-Sdk-Date − now|; default 15 minutes, as the gateway. */
  readonly maxSkewMs?: number;
}

export type VerifyFailure =
  | 'missing-authorization'
  | 'unsupported-algorithm'
  | 'malformed-authorization'
  | 'unknown-key'
  | 'missing-signed-header'
  | 'bad-date'
  | 'stale-date'
  | 'security-token'
  | 'bad-signature';

export type SdkHmacVerdict =
  | { readonly ok: true; readonly accessKeyId: string; readonly algorithm: string; readonly signedHeaders: readonly string[] }
  | {
      readonly ok: false;
      readonly reason: VerifyFailure;
      /** The gateway's answer: 401 APIGW.0301 for every authentication failure. */
      readonly status: 401;
      readonly code: 'APIGW.0301';
      readonly message: string;
      readonly algorithm?: string;
      /** Access key id, when one could be read (an id is not a secret). */
      readonly accessKeyId?: string;
      /**
       * The canonical request the gateway computed, newlines shown as `|` (as the real gateway's error
       * does), with token-like header values masked. Only for signature mismatches.
       */
      readonly canonicalRequest?: string;
    };

export const DEFAULT_MAX_SKEW_MS = 15 * 60 * 1000;
const IAM_PREFIX = 'Incorrect IAM authentication information';

function fail(
  reason: VerifyFailure,
  detail: string,
  extra: { algorithm?: string; accessKeyId?: string; canonicalRequest?: string } = {},
): SdkHmacVerdict {
  return { ok: false, reason, status: 401, code: 'APIGW.0301', message: `${IAM_PREFIX}: ${detail}`, ...extra };
}

interface ParsedAuthorization {
  readonly algorithm: string;
  readonly accessKeyId: string;
  /** V11: `yyyymmdd/region/service`. */
  readonly info?: string;
  readonly signedHeaders: string[];
  readonly signature: string;
}

/** `ALG Access=…, SignedHeaders=…, Signature=…` (or `Credential=AK/info` for V11). */
export function parseAuthorization(header: string): ParsedAuthorization | string {
  const space = header.indexOf(' ');
  if (space <= 0) return 'no algorithm';
  const algorithm = header.slice(0, space);
  if (algorithm !== SDK_HMAC_SHA256 && algorithm !== V11_HMAC_SHA256) return `unsupported algorithm ${algorithm.slice(0, 40)}`;
  const fields = new Map<string, string>();
  for (const part of header.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return 'malformed Authorization';
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const signature = fields.get('Signature');
  const signedHeaders = fields.get('SignedHeaders');
  if (!signature || !/^[0-9a-f]{64}$/.test(signature)) return 'Signature is missing or not 64 hex digits';
  if (!signedHeaders || !/^[a-z0-9!#$%&'*+.^_`|~-]+(;[a-z0-9!#$%&'*+.^_`|~-]+)*$/.test(signedHeaders)) {
    return 'SignedHeaders is missing or malformed';
  }
  const names = signedHeaders.split(';');
  if (algorithm === SDK_HMAC_SHA256) {
    const access = fields.get('Access');
    if (!access) return 'Access is missing';
    return { algorithm, accessKeyId: access, signedHeaders: names, signature };
  }
  const credential = fields.get('Credential');
  const slash = credential?.indexOf('/') ?? -1;
  if (!credential || slash <= 0) return 'Credential is missing or malformed';
  const info = credential.slice(slash + 1);
  if (!/^\d{8}\/[^/]+\/[^/]+$/.test(info)) return 'Credential scope must be AK/yyyymmdd/region/service';
  return { algorithm, accessKeyId: credential.slice(0, slash), info, signedHeaders: names, signature };
}

/** Constant-time string equality (byte lengths compared first, as timingSafeEqual needs). */
function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

const MASKED_HEADER = /token|authorization|secret/;

function debugCanonical(canonicalRequest: string, headers: readonly (readonly [string, string])[]): string {
  let text = canonicalRequest;
  for (const [name, value] of headers) {
    if (MASKED_HEADER.test(name) && value) text = text.split(`${name}:${value}`).join(`${name}:[REDACTED]`);
  }
  return text.replace(/\n/g, '|');
}

export function verifySdkHmacSha256(request: ReceivedRequest, options: VerifyOptions): SdkHmacVerdict {
  try {
    return verify(request, options);
  } catch {
    return fail('malformed-authorization', 'the request could not be read');
  }
}

function verify(request: ReceivedRequest, options: VerifyOptions): SdkHmacVerdict {
  const header = request.headers.authorization;
  if (!header) return fail('missing-authorization', 'Authorization header is missing');
  const parsed = parseAuthorization(header);
  if (typeof parsed === 'string') {
    return fail(parsed.startsWith('unsupported') ? 'unsupported-algorithm' : 'malformed-authorization', parsed);
  }
  const { algorithm, accessKeyId } = parsed;
  const ids = { algorithm, accessKeyId };
  const key = options.lookupKey(accessKeyId);
  if (!key) return fail('unknown-key', 'verify aksk signature fail, the access key does not exist', ids);

  const headers: [string, string][] = [];
  for (const name of parsed.signedHeaders) {
    const value = request.headers[name];
    if (value === undefined) return fail('missing-signed-header', `signed header ${name} is not in the request`, ids);
    headers.push([name, value.trim()]);
  }
  const signed = new Set(parsed.signedHeaders);
  if (!signed.has('x-sdk-date') || !signed.has('host')) {
    return fail('missing-signed-header', 'host and x-sdk-date must be signed', ids);
  }

  const sdkDate = request.headers['x-sdk-date']?.trim() ?? '';
  const signedAt = parseSdkDate(sdkDate);
  if (signedAt === undefined) return fail('bad-date', 'x-sdk-date must be YYYYMMDDTHHmmssZ (UTC)', ids);
  const skew = Math.abs(options.now - signedAt);
  if (skew > (options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS)) {
    return fail('stale-date', `signature expired, x-sdk-date ${sdkDate} is more than 15 minutes from server time`, ids);
  }
  if (parsed.info !== undefined && parsed.info.slice(0, 8) !== sdkDate.slice(0, 8)) {
    return fail('bad-date', 'the Credential scope date does not match x-sdk-date', ids);
  }

  const token = request.headers['x-security-token'];
  if (key.securityToken !== undefined) {
    if (token === undefined || !signed.has('x-security-token')) {
      return fail('security-token', 'a temporary access key needs a signed X-Security-Token', ids);
    }
    if (!safeEqual(token.trim(), key.securityToken)) return fail('security-token', 'X-Security-Token does not match the access key', ids);
  } else if (token !== undefined) {
    return fail('security-token', 'X-Security-Token was sent with a permanent access key', ids);
  }

  const payloadHash = request.headers['x-sdk-content-sha256']?.trim() ?? sha256Hex(request.body);
  const query = canonicalQuery(request.rawQuery);
  const method = request.method.toUpperCase();
  const signingKey = parsed.info === undefined ? key.secret : deriveV11Key(accessKeyId, key.secret, parsed.info);
  const modes = request.rawPath.includes('%') ? (['normalize', 'as-received'] as const) : (['normalize'] as const);
  let firstCanonical = '';
  for (const mode of modes) {
    const { canonicalRequest } = buildCanonicalRequest({
      method,
      canonicalUri: canonicalUri(request.rawPath, mode),
      canonicalQuery: query,
      headers,
      payloadHash,
    });
    if (!firstCanonical) firstCanonical = canonicalRequest;
    const expected = hmacSha256Hex(signingKey, stringToSign(algorithm, sdkDate, canonicalRequest, parsed.info));
    if (safeEqual(expected, parsed.signature)) return { ok: true, accessKeyId, algorithm, signedHeaders: parsed.signedHeaders };
  }
  return fail('bad-signature', 'verify aksk signature fail', { ...ids, canonicalRequest: debugCanonical(firstCanonical, headers) });
}
