/**
 * SDK-HMAC-SHA256 (and its derived-key variant V11-HMAC-SHA256), byte-for-byte as
 * `@huaweicloud/huaweicloud-sdk-core`'s AKSKSigner computes it, so a request we sign is accepted exactly
 * where an SDK-signed one is. The shared canonical-request builder is also what the verifier uses.
 */
import { createHmac, hash } from 'node:crypto';
import type { InputIssue } from '@cancelkit/core/plugin';
import { isUnreserved, parseRawQuery, percentDecode, rfc3986Encode } from './encoding.js';
import {
  PROBLEMS,
  SIGNING_LIMITS,
  akProblem,
  bodyProblem,
  check,
  headerNameProblem,
  headerValueProblem,
  isRecord,
  methodProblem,
  refuse,
  scopeProblem,
  skProblem,
  urlTextProblem,
} from './signing-input.js';

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

const SDK_SUBJECT = 'SDK-HMAC-SHA256 request';
const V11_SUBJECT = 'V11-HMAC-SHA256 request';
// X-Sdk-Date can only hold years 100-9999; Date itself ends at ±8.64e15 ms.
const MAX_TIME_MS = 8.64e15;

/** `new URL`, or null: URL.parse costs more than the constructor in Node 24, and try is free when nothing throws. */
function parseUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

/** The parts of the URL that are signed, read once. */
interface SignedUrl {
  readonly host: string;
  readonly pathname: string;
  readonly search: string;
}

/**
 * The URL to sign: a URL object as it is, or text parsed; text the parser did not give back unchanged is
 * checked (see urlTextProblem). Only http(s) URLs without user:password@ are signed.
 */
function signingUrl(value: unknown, issues: InputIssue[]): SignedUrl | undefined {
  let url: URL | null = null;
  let scheme = false;
  if (value instanceof URL) url = value;
  else if (typeof value === 'string') {
    url = parseUrl(value);
    // A URL in normal form (what callers build) comes back unchanged: nothing was dropped or resolved.
    const normal = url !== null && url.href === value;
    const found = normal ? undefined : urlTextProblem(value);
    if (found !== undefined) {
      check(issues, 'url', found);
      return undefined;
    }
    scheme = normal && (value.startsWith('https://') || value.startsWith('http://'));
  }
  if (url === null || (!scheme && url.protocol !== 'https:' && url.protocol !== 'http:')) {
    check(issues, 'url', PROBLEMS.url);
    return undefined;
  }
  const { pathname, search } = url;
  if (url.username !== '' || url.password !== '') check(issues, 'url', PROBLEMS.urlCredentials);
  else if (pathname.length + search.length > SIGNING_LIMITS.url) check(issues, 'url', PROBLEMS.urlTooLong);
  return { host: url.host, pathname, search };
}

/** What is being signed with which key: checked along with the request (canonicalRequestOf has no key). */
interface Signing {
  readonly key: unknown;
  readonly v11: boolean;
}

/**
 * Checks every field (one InvalidInput naming each bad one, before anything is computed), then builds
 * the canonical request. `signing` adds the key's checks, and for V11 the scope's.
 */
function prepare(request: SignableRequest, options: SignOptions | DerivedSignOptions, signing?: Signing): Prepared {
  const subject = signing?.v11 ? V11_SUBJECT : SDK_SUBJECT;
  if (!isRecord(request)) throw refuse([{ field: 'request', ...PROBLEMS.notObject }], subject);
  const issues: InputIssue[] = [];
  check(issues, 'method', methodProblem(request.method));
  const url = signingUrl(request.url, issues);
  // One pass over the caller's headers: check and lower-case names, note X-Sdk-Date / host, and build the
  // signed pairs.
  const given = request.headers as unknown;
  const headers: [string, string][] = [];
  let givenDate: string | undefined;
  let givenDateField = '';
  let hostGiven = false;
  if (!isRecord(given)) check(issues, 'headers', PROBLEMS.notRecord);
  else {
    for (const name of Object.keys(given)) {
      const value = given[name];
      const lower = name.toLowerCase();
      const found =
        headerNameProblem(lower) ??
        (lower === 'authorization' ? PROBLEMS.ownHeader : undefined) ??
        headerValueProblem(value) ??
        (isSignedName(headers, lower) ? PROBLEMS.duplicateHeader : undefined);
      if (found !== undefined) {
        check(issues, `headers.${name}`, found);
        continue;
      }
      const text = value as string;
      if (lower === SDK_DATE_LOWER) {
        givenDate = text;
        givenDateField = `headers.${name}`;
      } else if (lower === 'host') hostGiven = true;
      // The SDK leaves multipart content-type out of the signature (its boundary is chosen later).
      if (lower === 'content-type' && text.includes('multipart/form-data')) continue;
      headers.push([lower, text.trim()]);
    }
  }

  let sdkDate: string | undefined;
  if (!isRecord(options)) check(issues, 'options', PROBLEMS.notObject);
  else if (givenDate !== undefined) {
    // A date the caller wrote: check its shape and that it is a real time.
    if (parseSdkDate(givenDate) !== undefined) sdkDate = givenDate;
    else check(issues, givenDateField, PROBLEMS.sdkDate);
  } else {
    const date = options.date;
    if (typeof date === 'string') {
      if (parseSdkDate(date) !== undefined) sdkDate = date;
    } else if (date === undefined || (typeof date === 'number' && Math.abs(date) <= MAX_TIME_MS)) {
      // A date we format ourselves: valid by construction within years 100-9999, checked once per second.
      sdkDate = formatValidSdkDate(date ?? Date.now());
    }
    if (sdkDate === undefined) check(issues, 'date', PROBLEMS.sdkDate);
  }
  check(issues, 'body', bodyProblem(request.body));
  if (signing !== undefined) {
    const key = signing.key;
    if (!isRecord(key)) check(issues, 'key', PROBLEMS.notObject);
    else {
      check(issues, 'ak', akProblem(key.ak, signing.v11));
      check(issues, 'sk', skProblem(key.sk));
    }
    if (signing.v11 && isRecord(options)) {
      const scope = options as Partial<DerivedSignOptions>;
      check(issues, 'regionId', scopeProblem(scope.regionId));
      check(issues, 'serviceName', scopeProblem(scope.serviceName));
    }
  }
  if (issues.length > 0 || url === undefined || sdkDate === undefined) throw refuse(issues, subject);

  const added: Record<string, string> = {};
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

function isSignedName(headers: readonly (readonly [string, string])[], lower: string): boolean {
  for (const [name] of headers) if (name === lower) return true;
  return false;
}

/**
 * Signs with SDK-HMAC-SHA256. Returns the headers to add to the request: `Authorization`, plus
 * `X-Sdk-Date` and `host` when the given headers did not carry them. The SK never leaves this function.
 *
 * Every field is checked first: a method that is not letters, a URL that is not http(s) or that a URL
 * parser would rewrite (control characters, `\`, dot segments, lone surrogates), a header name that is not
 * a token or is a prototype key or `Authorization`, a header value with a control character or non-ASCII
 * text, a bad X-Sdk-Date, body, AK or SK, or anything huge throws one InvalidInput naming every bad field
 * and its fix (never the SK), and nothing is signed.
 */
export function signSdkHmacSha256(request: SignableRequest, key: SigningKey, options: SignOptions = {}): Record<string, string> {
  const { sdkDate, added, canonicalRequest, signedHeaders } = prepare(request, options, { key, v11: false });
  const signature = hmacSha256Hex(key.sk, stringToSign(SDK_HMAC_SHA256, sdkDate, canonicalRequest));
  // `added` is this call's own object: extend it rather than copy it.
  added.Authorization = `${SDK_HMAC_SHA256} Access=${key.ak}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return added;
}

/**
 * Signs with V11-HMAC-SHA256 (derived key per day, region and service), as the SDK's DerivedAKSKSigner.
 * Checked as `signSdkHmacSha256`, plus `regionId` and `serviceName`.
 */
export function signDerivedHmacSha256(request: SignableRequest, key: SigningKey, options: DerivedSignOptions): Record<string, string> {
  const { sdkDate, added, canonicalRequest, signedHeaders } = prepare(request, options, { key, v11: true });
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
