/**
 * SDK-HMAC-SHA256 (and its derived-key variant V11-HMAC-SHA256), byte-for-byte as
 * `@huaweicloud/huaweicloud-sdk-core`'s AKSKSigner computes it, so a request we sign is accepted exactly
 * where an SDK-signed one is. The shared canonical-request builder is also what the verifier uses.
 */
import { createHash, createHmac } from 'node:crypto';
import { parseRawQuery, percentDecode, rfc3986Encode } from './encoding.js';

export const SDK_HMAC_SHA256 = 'SDK-HMAC-SHA256';
export const V11_HMAC_SHA256 = 'V11-HMAC-SHA256';
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const HEADER_SDK_DATE = 'X-Sdk-Date';
export const HEADER_CONTENT_SHA256 = 'X-Sdk-Content-Sha256';
/** `YYYYMMDDTHHmmssZ`, always UTC. */
export const SDK_DATE_PATTERN = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

export interface SignableRequest {
  readonly method: string;
  /** Full URL; its path and query are taken as they would go on the wire (already percent-encoded). */
  readonly url: URL | string;
  /** Every header here is signed (as the SDK does), plus `X-Sdk-Date` and `host`. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
}

export interface SigningKey {
  readonly ak: string;
  readonly sk: string;
}

export interface SignOptions {
  /** Signing time as an `X-Sdk-Date` value or epoch ms; default now. Ignored when the headers carry X-Sdk-Date. */
  readonly date?: string | number;
}

export interface DerivedSignOptions extends SignOptions {
  /** Region id (`cn-north-4`) and service name (`dds`): the derivation info. */
  readonly regionId: string;
  readonly serviceName: string;
}

/** Epoch ms → `YYYYMMDDTHHmmssZ`. */
export function formatSdkDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/** `YYYYMMDDTHHmmssZ` → epoch ms, or undefined when it is not exactly that shape or not a real time. */
export function parseSdkDate(value: string): number | undefined {
  const m = SDK_DATE_PATTERN.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  return formatSdkDate(ms) === value ? ms : undefined;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function hmacSha256Hex(key: string | Uint8Array, data: string | Uint8Array): string {
  return createHmac('sha256', key).update(data).digest('hex');
}

/**
 * Canonical URI: every segment percent-encoded (RFC 3986), always ending in `/`.
 * - `normalize` (what a client that encodes each segment once produces): decode each segment, then encode.
 * - `as-received`: encode the segments as they arrived. The Node SDK signs the already-escaped path it
 *   got from `url.parse`, so characters `url.parse` escapes (`'`, space, `{`…) end up double-encoded.
 */
export function canonicalUri(rawPath: string, mode: 'normalize' | 'as-received' = 'normalize'): string {
  const segments = rawPath.split('/').map((segment) => {
    const decoded = mode === 'normalize' ? (percentDecode(segment) ?? segment) : segment;
    return rfc3986Encode(decoded);
  });
  const joined = segments.join('/');
  return joined.endsWith('/') ? joined : `${joined}/`;
}

/** Canonical query from decoded pairs: keys sorted, values sorted within a key, each re-encoded. */
export function canonicalQueryFromPairs(pairs: readonly (readonly [string, string])[]): string {
  const byKey = new Map<string, string[]>();
  for (const [key, value] of pairs) {
    const values = byKey.get(key);
    if (values) values.push(value);
    else byKey.set(key, [value]);
  }
  const out: string[] = [];
  for (const key of [...byKey.keys()].sort()) {
    for (const value of (byKey.get(key) ?? []).sort()) out.push(`${rfc3986Encode(key)}=${rfc3986Encode(value)}`);
  }
  return out.join('&');
}

export function canonicalQuery(rawQuery: string): string {
  return canonicalQueryFromPairs(parseRawQuery(rawQuery));
}

export interface CanonicalParts {
  readonly method: string;
  readonly canonicalUri: string;
  readonly canonicalQuery: string;
  /** Signed header names (lower-case) and their values, in signing order. */
  readonly headers: readonly (readonly [string, string])[];
  readonly payloadHash: string;
}

export function buildCanonicalRequest(parts: CanonicalParts): { canonicalRequest: string; signedHeaders: string } {
  const canonicalHeaders = parts.headers.map(([name, value]) => `${name}:${value}\n`).join('');
  const signedHeaders = parts.headers.map(([name]) => name).join(';');
  const canonicalRequest = [
    parts.method,
    parts.canonicalUri,
    parts.canonicalQuery,
    canonicalHeaders,
    signedHeaders,
    parts.payloadHash,
  ].join('\n');
  return { canonicalRequest, signedHeaders };
}

export function stringToSign(algorithm: string, sdkDate: string, canonicalRequest: string, info?: string): string {
  const lines = [algorithm, sdkDate];
  if (info !== undefined) lines.push(info);
  lines.push(sha256Hex(canonicalRequest));
  return lines.join('\n');
}

/** HKDF-SHA256 (salt = AK, IKM = SK, 32 bytes), returned as lower-case hex: the V11 signing key. */
export function deriveV11Key(ak: string, sk: string, info: string): string {
  const prk = createHmac('sha256', Buffer.from(ak, 'utf8')).update(Buffer.from(sk, 'utf8')).digest();
  return createHmac('sha256', prk)
    .update(Buffer.concat([Buffer.from(info, 'utf8'), Buffer.from([0x01])]))
    .digest('hex');
}

function findHeader(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === lower) return value;
  return undefined;
}

interface Prepared {
  readonly sdkDate: string;
  readonly added: Record<string, string>;
  readonly canonicalRequest: string;
  readonly signedHeaders: string;
}

function prepare(request: SignableRequest, options: SignOptions): Prepared {
  const url = typeof request.url === 'string' ? new URL(request.url) : request.url;
  const added: Record<string, string> = {};
  let sdkDate = findHeader(request.headers, HEADER_SDK_DATE);
  if (sdkDate === undefined) {
    sdkDate = typeof options.date === 'string' ? options.date : formatSdkDate(options.date ?? Date.now());
    added[HEADER_SDK_DATE] = sdkDate;
  }
  if (parseSdkDate(sdkDate) === undefined) throw new TypeError('X-Sdk-Date must be a UTC time in the form YYYYMMDDTHHmmssZ');
  if (findHeader(request.headers, 'host') === undefined) added.host = url.host;

  const merged = new Map<string, string>();
  for (const [name, value] of [...Object.entries(request.headers), ...Object.entries(added)]) {
    const lower = name.toLowerCase();
    if (merged.has(lower)) throw new TypeError(`Header "${lower}" is given twice (names are case-insensitive)`);
    if (/[\r\n\0]/.test(value)) throw new TypeError(`Header "${lower}" has a line break or NUL in its value`);
    // The SDK leaves multipart content-type out of the signature (its boundary is chosen later).
    if (lower === 'content-type' && value.includes('multipart/form-data')) continue;
    merged.set(lower, value.trim());
  }
  const headers = [...merged.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  const declaredHash = merged.get(HEADER_CONTENT_SHA256.toLowerCase());
  const payloadHash = declaredHash ?? (request.body === undefined ? EMPTY_BODY_SHA256 : sha256Hex(request.body));
  const { canonicalRequest, signedHeaders } = buildCanonicalRequest({
    method: request.method.toUpperCase(),
    canonicalUri: canonicalUri(url.pathname),
    canonicalQuery: canonicalQuery(url.search.replace(/^\?/, '')),
    headers,
    payloadHash,
  });
  return { sdkDate, added, canonicalRequest, signedHeaders };
}

/**
 * Signs with SDK-HMAC-SHA256. Returns the headers to add to the request: `Authorization`, plus
 * `X-Sdk-Date` and `host` when the given headers did not carry them. The SK never leaves this function.
 */
export function signSdkHmacSha256(request: SignableRequest, key: SigningKey, options: SignOptions = {}): Record<string, string> {
  const { sdkDate, added, canonicalRequest, signedHeaders } = prepare(request, options);
  const signature = hmacSha256Hex(key.sk, stringToSign(SDK_HMAC_SHA256, sdkDate, canonicalRequest));
  return { ...added, Authorization: `${SDK_HMAC_SHA256} Access=${key.ak}, SignedHeaders=${signedHeaders}, Signature=${signature}` };
}

/** Signs with V11-HMAC-SHA256 (derived key per day, region and service), as the SDK's DerivedAKSKSigner. */
export function signDerivedHmacSha256(request: SignableRequest, key: SigningKey, options: DerivedSignOptions): Record<string, string> {
  const { sdkDate, added, canonicalRequest, signedHeaders } = prepare(request, options);
  const info = `${sdkDate.slice(0, 8)}/${options.regionId}/${options.serviceName}`;
  const derived = deriveV11Key(key.ak, key.sk, info);
  const signature = hmacSha256Hex(derived, stringToSign(V11_HMAC_SHA256, sdkDate, canonicalRequest, info));
  return {
    ...added,
    Authorization: `${V11_HMAC_SHA256} Credential=${key.ak}/${info}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}

/** The canonical request a signature covers (for debugging and tests; holds no secret unless a header does). */
export function canonicalRequestOf(request: SignableRequest, options: SignOptions = {}): string {
  return prepare(request, options).canonicalRequest;
}
