/**
 * SDK-HMAC-SHA256 (and its derived-key variant V11-HMAC-SHA256), byte-for-byte as
 * `@huaweicloud/huaweicloud-sdk-core`'s AKSKSigner computes it, so a request we sign is accepted exactly
 * where an SDK-signed one is. The shared canonical-request builder is also what the verifier uses.
 */
import { createHmac, hash } from 'node:crypto';
import { isUnreserved, parseRawQuery, percentDecode, rfc3986Encode } from './encoding.js';

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

// The formatted second (and whether it is a valid X-Sdk-Date) is reused until the clock moves on:
// `toISOString`, two regex replaces and re-parsing the result were a fifth of a signature's cost. Keyed by
// the exact start of the second, so any `ms` gives what it gave before.
let sdkSecondStart = Number.NaN;
let sdkSecondText = '';
let sdkSecondValid = false;

/** Epoch ms → `YYYYMMDDTHHmmssZ`. */
export function formatSdkDate(ms: number): string {
  // Date truncates the time value toward zero; the start of that second, in exact integer arithmetic.
  const t = Math.trunc(ms);
  const start = t - (((t % 1000) + 1000) % 1000);
  if (start !== sdkSecondStart) {
    // Throws RangeError for NaN or an out-of-range time, as before; the cache is then left as it was.
    const text = new Date(start).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
    sdkSecondStart = start;
    sdkSecondText = text;
    // Years before 100 or after 9999 format to something `parseSdkDate` refuses; decided once per second.
    sdkSecondValid = parseSdkDate(text) !== undefined;
  }
  return sdkSecondText;
}

/** `formatSdkDate`, or undefined when the result would not be a valid X-Sdk-Date. */
function formatValidSdkDate(ms: number): string | undefined {
  const text = formatSdkDate(ms);
  return sdkSecondValid ? text : undefined;
}

/** `YYYYMMDDTHHmmssZ` → epoch ms, or undefined when it is not exactly that shape or not a real time. */
export function parseSdkDate(value: string): number | undefined {
  const m = SDK_DATE_PATTERN.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  // Formatted directly, not through formatSdkDate's cache, which calls this function to fill itself.
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z') === value ? ms : undefined;
}

export function sha256Hex(data: string | Uint8Array): string {
  // One-shot `crypto.hash` skips the Hash object `createHash` builds: about 4x faster on short inputs.
  return hash('sha256', data, 'hex');
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
  // A path of unreserved characters and slashes (ids, uuids) decodes and encodes to itself in both modes.
  if (isUnreserved(rawPath, true)) return rawPath.endsWith('/') ? rawPath : `${rawPath}/`;
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
  if (rawQuery === '') return '';
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
  let canonicalHeaders = '';
  let signedHeaders = '';
  for (let i = 0; i < parts.headers.length; i++) {
    const [name, value] = parts.headers[i] as readonly [string, string];
    canonicalHeaders += `${name}:${value}\n`;
    signedHeaders += i === 0 ? name : `;${name}`;
  }
  const canonicalRequest = `${parts.method}\n${parts.canonicalUri}\n${parts.canonicalQuery}\n${canonicalHeaders}\n${signedHeaders}\n${parts.payloadHash}`;
  return { canonicalRequest, signedHeaders };
}

export function stringToSign(algorithm: string, sdkDate: string, canonicalRequest: string, info?: string): string {
  const digest = sha256Hex(canonicalRequest);
  return info === undefined ? `${algorithm}\n${sdkDate}\n${digest}` : `${algorithm}\n${sdkDate}\n${info}\n${digest}`;
}

/** HKDF-SHA256 (salt = AK, IKM = SK, 32 bytes), returned as lower-case hex: the V11 signing key. */
export function deriveV11Key(ak: string, sk: string, info: string): string {
  const prk = createHmac('sha256', Buffer.from(ak, 'utf8')).update(Buffer.from(sk, 'utf8')).digest();
  return createHmac('sha256', prk)
    .update(Buffer.concat([Buffer.from(info, 'utf8'), Buffer.from([0x01])]))
    .digest('hex');
}

interface Prepared {
  readonly sdkDate: string;
  readonly added: Record<string, string>;
  readonly canonicalRequest: string;
  readonly signedHeaders: string;
}

const CONTENT_SHA256_LOWER = HEADER_CONTENT_SHA256.toLowerCase();
const SDK_DATE_LOWER = HEADER_SDK_DATE.toLowerCase();

function compareHeaderPairs(a: readonly [string, string], b: readonly [string, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** True when a header value holds CR, LF or NUL (header injection). Three `includes` scans beat a regex here. */
function hasLineBreakOrNul(value: string): boolean {
  return value.includes('\n') || value.includes('\r') || value.includes('\0');
}

function prepare(request: SignableRequest, options: SignOptions): Prepared {
  const url = typeof request.url === 'string' ? new URL(request.url) : request.url;
  // One pass over the caller's headers: lower-case names, note X-Sdk-Date / host, and build the signed
  // pairs. Problems are remembered and thrown after the date check, in the order they used to surface.
  const given = request.headers;
  const headers: [string, string][] = [];
  let givenDate: string | undefined;
  let hostGiven = false;
  let headerProblem: string | undefined;
  for (const name of Object.keys(given)) {
    const value = given[name] as string;
    const lower = name.toLowerCase();
    if (lower === SDK_DATE_LOWER) givenDate ??= value;
    else if (lower === 'host') hostGiven = true;
    if (headerProblem !== undefined) continue;
    headerProblem = addSignedHeader(headers, lower, value);
  }

  const added: Record<string, string> = {};
  let sdkDate: string | undefined;
  if (givenDate !== undefined || typeof options.date === 'string') {
    // A date the caller wrote: check its shape and that it is a real time.
    sdkDate = givenDate ?? (options.date as string);
    if (parseSdkDate(sdkDate) === undefined) sdkDate = undefined;
  } else {
    // A date we format ourselves: valid by construction within years 100-9999, checked once per second.
    sdkDate = formatValidSdkDate(options.date ?? Date.now());
  }
  if (sdkDate === undefined) throw new TypeError('X-Sdk-Date must be a UTC time in the form YYYYMMDDTHHmmssZ');
  if (headerProblem !== undefined) throw new TypeError(headerProblem);
  // What we add cannot clash with the caller's names (only added when absent), and a validated date or a
  // URL host has no line break or surrounding space: straight into the signed pairs.
  if (givenDate === undefined) {
    added[HEADER_SDK_DATE] = sdkDate;
    headers.push([SDK_DATE_LOWER, sdkDate]);
  }
  if (!hostGiven) {
    added.host = url.host;
    headers.push(['host', url.host]);
  }
  headers.sort(compareHeaderPairs);

  let payloadHash: string | undefined;
  for (const [name, value] of headers) if (name === CONTENT_SHA256_LOWER) payloadHash = value;
  payloadHash ??= request.body === undefined ? EMPTY_BODY_SHA256 : sha256Hex(request.body);
  const { canonicalRequest, signedHeaders } = buildCanonicalRequest({
    method: request.method.toUpperCase(),
    canonicalUri: canonicalUri(url.pathname),
    canonicalQuery: canonicalQuery(url.search.slice(1)),
    headers,
    payloadHash,
  });
  return { sdkDate, added, canonicalRequest, signedHeaders };
}

/** Adds one header to the signed pairs, or returns why it cannot be sent. */
function addSignedHeader(headers: [string, string][], lower: string, value: string): string | undefined {
  for (const [name] of headers) if (name === lower) return `Header "${lower}" is given twice (names are case-insensitive)`;
  if (hasLineBreakOrNul(value)) return `Header "${lower}" has a line break or NUL in its value`;
  // The SDK leaves multipart content-type out of the signature (its boundary is chosen later).
  if (lower === 'content-type' && value.includes('multipart/form-data')) return undefined;
  headers.push([lower, value.trim()]);
  return undefined;
}

/**
 * Signs with SDK-HMAC-SHA256. Returns the headers to add to the request: `Authorization`, plus
 * `X-Sdk-Date` and `host` when the given headers did not carry them. The SK never leaves this function.
 */
export function signSdkHmacSha256(request: SignableRequest, key: SigningKey, options: SignOptions = {}): Record<string, string> {
  const { sdkDate, added, canonicalRequest, signedHeaders } = prepare(request, options);
  const signature = hmacSha256Hex(key.sk, stringToSign(SDK_HMAC_SHA256, sdkDate, canonicalRequest));
  // `added` is this call's own object: extend it rather than copy it.
  added.Authorization = `${SDK_HMAC_SHA256} Access=${key.ak}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return added;
}

/** Signs with V11-HMAC-SHA256 (derived key per day, region and service), as the SDK's DerivedAKSKSigner. */
export function signDerivedHmacSha256(request: SignableRequest, key: SigningKey, options: DerivedSignOptions): Record<string, string> {
  const { sdkDate, added, canonicalRequest, signedHeaders } = prepare(request, options);
  const info = `${sdkDate.slice(0, 8)}/${options.regionId}/${options.serviceName}`;
  const derived = deriveV11Key(key.ak, key.sk, info);
  const signature = hmacSha256Hex(derived, stringToSign(V11_HMAC_SHA256, sdkDate, canonicalRequest, info));
  added.Authorization = `${V11_HMAC_SHA256} Credential=${key.ak}/${info}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return added;
}

/** The canonical request a signature covers (for debugging and tests; holds no secret unless a header does). */
export function canonicalRequestOf(request: SignableRequest, options: SignOptions = {}): string {
  return prepare(request, options).canonicalRequest;
}
