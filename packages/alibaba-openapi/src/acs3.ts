/**
 * Signature V3, `ACS3-HMAC-SHA256`: what every current Alibaba Cloud SDK sends for RPC and ROA calls
 * (openapi-core `doRequest` + `getAuthorization`). Signing and verifying share the canonicalisation code,
 * so the emulator checks requests with exactly the rules the client signs with.
 */
import { createHmac, hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { InputIssue } from '@cancelkit/core/plugin';
import { canonicalQuery, canonicalUri, compareCodeUnits, joinSortedPairs, parseQueryPairs, percentEncodeWellFormed } from './encoding.js';
import {
  PROBLEMS,
  SIGNING_LIMITS,
  bodyProblem,
  check,
  checkCredentials,
  headerNameProblem,
  headerValueProblem,
  hostProblem,
  isPollutionKey,
  isRecord,
  methodProblem,
  nonceProblem,
  pathProblem,
  queryNameProblem,
  queryValueProblem,
  refuse,
  requiredHeaderValueProblem,
} from './signing-input.js';
import {
  AUTH_ERRORS,
  type AlibabaVerdict,
  type ReceivedRequest,
  type SigningCredentials,
  type VerifyContext,
  checkTime,
  checkToken,
  parseIsoSeconds,
  reject,
} from './verdict.js';

export const ACS3_ALGORITHM = 'ACS3-HMAC-SHA256';

/** A request to sign. The path is already percent-encoded (see `buildPath`); query values are raw. */
export interface Acs3Request {
  readonly method: string;
  /** Host header value, with the port when it is not the default one (`127.0.0.1:8787`). */
  readonly host: string;
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  /** Extra headers to send; `content-type` and `x-acs-*` ones are signed. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  readonly action: string;
  readonly version: string;
}

export interface Acs3SignOptions {
  /** `x-acs-date` (`YYYY-MM-DDTHH:mm:ssZ`); default now. */
  readonly date?: string;
  /** `x-acs-signature-nonce`; default 32 random hex characters. */
  readonly nonce?: string;
}

/** SHA-256 of the empty body, which nearly every RPC call and ROA cancel sends: no need to hash it each time. */
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export function sha256Hex(data: string | Uint8Array): string {
  // One-shot `crypto.hash` skips the Hash object `createHash` builds: about 4x faster on short inputs.
  return hash('sha256', data, 'hex');
}

// The formatted second is reused until the clock moves on: `toISOString` plus a regex per call was a
// tenth of a signature's cost. Keyed by the exact start of the second, so any `ms` gives what it gave before.
let isoSecondStart = Number.NaN;
let isoSecondText = '';

/** `YYYY-MM-DDTHH:mm:ssZ` in UTC without milliseconds (the SDK's `getTimestamp`). */
export function isoSeconds(ms: number): string {
  // Date truncates the time value toward zero; the start of that second, in exact integer arithmetic.
  const t = Math.trunc(ms);
  const start = t - (((t % 1000) + 1000) % 1000);
  if (start !== isoSecondStart) {
    // Throws RangeError for NaN or an out-of-range time, as before; the cache is then left as it was.
    const text = new Date(start).toISOString().replace(/\.\d{3}Z$/, 'Z');
    isoSecondStart = start;
    isoSecondText = text;
  }
  return isoSecondText;
}

// Nonces are cut from one block of CSPRNG output, refilled when used up: `randomBytes(16)` per nonce is a
// getrandom system call (6-12 µs, most of a signature). Every 16-byte slice is handed out once and
// never again, so nonces stay as unpredictable and as unique as before. Filled lazily, on first use.
const NONCE_HEX_CHARS = 32;
const NONCE_POOL_BYTES = 4096;
let noncePool = '';
let noncePoolOffset = 0;

/** A fresh nonce: 16 random bytes as 32 lower-case hex characters. */
export function newNonce(): string {
  if (noncePoolOffset + NONCE_HEX_CHARS > noncePool.length) {
    noncePool = randomBytes(NONCE_POOL_BYTES).toString('hex');
    noncePoolOffset = 0;
  }
  const start = noncePoolOffset;
  noncePoolOffset += NONCE_HEX_CHARS;
  return noncePool.slice(start, noncePoolOffset);
}

/** Headers that take part in the signature: `host`, `content-type` and every `x-acs-*`. */
export function isAcs3SignedHeader(lowerName: string): boolean {
  return lowerName === 'host' || lowerName === 'content-type' || lowerName.startsWith('x-acs-');
}

/** The canonical request of SDK `getAuthorization`; `headers` have lower-case names. */
export function acs3CanonicalRequest(parts: {
  readonly method: string;
  readonly canonicalUri: string;
  readonly canonicalQuery: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly signedHeaders: readonly string[];
  readonly payloadHash: string;
}): string {
  const canonicalHeaders = parts.signedHeaders.map((name) => `${name}:${(parts.headers[name] ?? '').trim()}\n`).join('');
  return [parts.method, parts.canonicalUri, parts.canonicalQuery, canonicalHeaders, parts.signedHeaders.join(';'), parts.payloadHash].join('\n');
}

export function acs3StringToSign(canonicalRequest: string): string {
  return `${ACS3_ALGORITHM}\n${sha256Hex(canonicalRequest)}`;
}

export function acs3Signature(stringToSign: string, secret: string): string {
  return createHmac('sha256', secret).update(stringToSign).digest('hex');
}

/**
 * Signs a request with ACS3-HMAC-SHA256. Pure and synchronous. Returns every header to send: the caller's
 * extra headers (lower-cased) plus `host`, the `x-acs-*` signing headers (`x-acs-accesskey-id` and
 * `x-acs-security-token` for STS credentials) and `authorization`.
 *
 * Every field is checked first (see `signing-input.ts`): anything that cannot be sent as it is signed —
 * a control character or non-ASCII text in a header, a header name that is not a token or is a prototype
 * key, an unencoded or dot-segment path, a lone surrogate, a date the verifier cannot read, a huge value —
 * throws one InvalidInput naming every bad field and its fix, and nothing is signed.
 */
export function signAcs3(request: Acs3Request, credentials: SigningCredentials, options: Acs3SignOptions = {}): Record<string, string> {
  const headers: Record<string, string> = {};
  const query = checkAcs3(request, credentials, options, headers);

  const body = request.body;
  const payloadHash = body === undefined || body.length === 0 ? EMPTY_BODY_SHA256 : sha256Hex(body);
  headers.host = request.host;
  headers['x-acs-action'] = request.action;
  headers['x-acs-version'] = request.version;
  headers['x-acs-date'] = options.date ?? isoSeconds(Date.now());
  headers['x-acs-signature-nonce'] = options.nonce ?? newNonce();
  headers['x-acs-content-sha256'] = payloadHash;
  if (credentials.securityToken) {
    headers['x-acs-accesskey-id'] = credentials.accessKeyId;
    headers['x-acs-security-token'] = credentials.securityToken;
  }
  delete headers.authorization;

  // Every value is checked above: pick the signed names, sort those few and build the canonical headers
  // and the SignedHeaders list together (the same bytes as acs3CanonicalRequest).
  const signedNames: string[] = [];
  for (const name of Object.keys(headers)) if (isAcs3SignedHeader(name)) signedNames.push(name);
  signedNames.sort(compareCodeUnits);
  let canonicalHeaders = '';
  let signedHeaders = '';
  for (let i = 0; i < signedNames.length; i++) {
    const name = signedNames[i] as string;
    canonicalHeaders += `${name}:${(headers[name] ?? '').trim()}\n`;
    signedHeaders += i === 0 ? name : `;${name}`;
  }
  const canonicalRequest = `${request.method.toUpperCase()}\n${canonicalUri(request.path)}\n${query}\n${canonicalHeaders}\n${signedHeaders}\n${payloadHash}`;
  const signature = acs3Signature(acs3StringToSign(canonicalRequest), credentials.accessKeySecret);
  headers.authorization = `${ACS3_ALGORITHM} Credential=${credentials.accessKeyId},SignedHeaders=${signedHeaders},Signature=${signature}`;
  return headers;
}

const ACS3_SUBJECT = 'ACS3 request';

/**
 * Every check of signAcs3, kept out of it so the signing path itself stays small for the compiler. Copies
 * the caller's headers (lower-cased) into `headers` and returns the canonical query; throws one
 * InvalidInput naming every bad field.
 */
function checkAcs3(request: Acs3Request, credentials: SigningCredentials, options: Acs3SignOptions, headers: Record<string, string>): string {
  if (!isRecord(request)) throw refuse([{ field: 'request', ...PROBLEMS.notObject }], ACS3_SUBJECT);
  const issues: InputIssue[] = [];
  const extra = request.headers as unknown;
  if (extra !== undefined) {
    if (!isRecord(extra)) check(issues, 'headers', PROBLEMS.notRecord);
    else {
      for (const name of Object.keys(extra)) {
        const lower = name.toLowerCase();
        const value = extra[name];
        // Prototype keys are refused by name first, so a plain lookup finds only the caller's own headers.
        const found = headerNameProblem(lower) ?? headerValueProblem(value) ?? (headers[lower] !== undefined ? PROBLEMS.duplicateHeader : undefined);
        if (found === undefined) headers[lower] = value as string;
        else check(issues, `headers.${name}`, found);
      }
    }
  }
  const path = request.path;
  check(issues, 'method', methodProblem(request.method));
  check(issues, 'host', hostProblem(request.host));
  check(issues, 'path', pathProblem(path));
  check(issues, 'action', requiredHeaderValueProblem(request.action));
  check(issues, 'version', requiredHeaderValueProblem(request.version));
  check(issues, 'body', bodyProblem(request.body));
  checkCredentials(issues, credentials);
  if (!isRecord(options)) check(issues, 'options', PROBLEMS.notObject);
  else {
    if (options.date !== undefined) check(issues, 'date', typeof options.date === 'string' && parseIsoSeconds(options.date) !== undefined ? undefined : PROBLEMS.isoDate);
    if (options.nonce !== undefined) check(issues, 'nonce', nonceProblem(options.nonce));
  }
  const query = canonicalQueryChecked(request.query, issues);
  if (issues.length === 0 && path.length + query.length + 1 > SIGNING_LIMITS.url) check(issues, 'query', PROBLEMS.urlTooLong);
  if (issues.length > 0) throw refuse(issues, ACS3_SUBJECT);
  return query;
}

/** The canonical query of the caller's record, checking each name and value on the way (one pass). */
function canonicalQueryChecked(query: unknown, issues: InputIssue[]): string {
  if (query === undefined) return '';
  if (!isRecord(query)) {
    check(issues, 'query', PROBLEMS.notRecord);
    return '';
  }
  const encoded: [string, string][] = [];
  for (const name of Object.keys(query)) {
    const value = query[name];
    // Checked on the way: encoding refuses ill-formed text, so the well-formedness test comes free.
    const key = name.length <= SIGNING_LIMITS.name ? percentEncodeWellFormed(name) : undefined;
    const text = typeof value === 'string' && value.length <= SIGNING_LIMITS.queryValue ? percentEncodeWellFormed(value) : undefined;
    if (key !== undefined && text !== undefined && key !== '' && !isPollutionKey(name)) encoded.push([key, text]);
    else check(issues, `query.${name}`, queryNameProblem(name) ?? queryValueProblem(value));
  }
  return joinSortedPairs(encoded);
}

interface ParsedAcs3Authorization {
  readonly credential: string;
  readonly signedHeaders: string[];
  readonly signature: string;
}

function parseAuthorization(value: string): ParsedAcs3Authorization | undefined {
  const space = value.indexOf(' ');
  if (space === -1) return undefined;
  const fields = new Map<string, string>();
  for (const part of value.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential || !signedHeaders || !signature) return undefined;
  return { credential, signedHeaders: signedHeaders.split(';').map((h) => h.trim().toLowerCase()), signature };
}

/**
 * Canonical URIs the server tries for a received path. The first is the current SDK's rule applied to the
 * raw path. The others cover two known SDK quirks (wire doc §4.5): openapi-util replaces only the first
 * `*`, and a literal `'` is signed as `'` while Node sends `%27`.
 */
export function acs3UriCandidates(rawPath: string): string[] {
  const path = rawPath === '' ? '/' : rawPath;
  const everyOccurrence = canonicalUri(path);
  const firstOnly = path.replace('+', '%20').replace('*', '%2A').replace('%7E', '~');
  return [...new Set([everyOccurrence, firstOnly, everyOccurrence.replace(/%27/g, "'"), firstOnly.replace(/%27/g, "'")])];
}

export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Headers that must be signed whenever present (the V3 doc: every common request header but Authorization). */
const MUST_SIGN_IF_PRESENT = ['host', 'content-type', 'x-acs-action', 'x-acs-version', 'x-acs-security-token', 'x-acs-accesskey-id'];
const ALWAYS_REQUIRED = ['host', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256'];

function verifyAcs3Unsafe(request: ReceivedRequest, context: VerifyContext): AlibabaVerdict {
  const scheme = 'ACS3-HMAC-SHA256' as const;
  const header = request.headers.authorization ?? '';
  if (!header.startsWith(`${ACS3_ALGORITHM} `)) {
    return header.startsWith('ACS3-') ? reject(scheme, AUTH_ERRORS.signatureMethod) : reject(scheme, AUTH_ERRORS.incomplete);
  }
  const auth = parseAuthorization(header);
  if (!auth) return reject(scheme, AUTH_ERRORS.incomplete, 'Authorization needs Credential, SignedHeaders and Signature.');
  const key = context.lookupKey(auth.credential);
  if (!key) return reject(scheme, AUTH_ERRORS.keyNotFound);

  for (const name of ALWAYS_REQUIRED) {
    if (request.headers[name] === undefined || !auth.signedHeaders.includes(name)) {
      return reject(scheme, AUTH_ERRORS.incomplete, `${name} must be sent and signed.`);
    }
  }
  for (const name of MUST_SIGN_IF_PRESENT) {
    if (request.headers[name] !== undefined && !auth.signedHeaders.includes(name)) {
      return reject(scheme, AUTH_ERRORS.incomplete, `${name} must be signed.`);
    }
  }
  const timeProblem = checkTime(scheme, parseIsoSeconds(request.headers['x-acs-date'] ?? ''), context);
  if (timeProblem) return timeProblem;
  const tokenProblem = checkToken(scheme, key, request.headers['x-acs-security-token']);
  if (tokenProblem) return tokenProblem;

  const payloadHash = request.headers['x-acs-content-sha256'] ?? '';
  if (!constantTimeEqual(payloadHash, sha256Hex(request.body))) {
    return reject(scheme, AUTH_ERRORS.signatureMismatch, 'x-acs-content-sha256 does not match the request body.');
  }
  const query = canonicalQuery(parseQueryPairs(request.rawQuery));
  let firstStringToSign: string | undefined;
  let matched = false;
  for (const uri of acs3UriCandidates(request.rawPath)) {
    const canonicalRequest = acs3CanonicalRequest({
      method: request.method.toUpperCase(),
      canonicalUri: uri,
      canonicalQuery: query,
      headers: request.headers,
      signedHeaders: auth.signedHeaders,
      payloadHash,
    });
    const stringToSign = acs3StringToSign(canonicalRequest);
    firstStringToSign ??= stringToSign;
    if (constantTimeEqual(acs3Signature(stringToSign, key.secret), auth.signature)) {
      matched = true;
      break;
    }
  }
  if (!matched) {
    return reject(scheme, AUTH_ERRORS.signatureMismatch, `server string to sign is:${(firstStringToSign ?? '').replace('\n', ' ')}`);
  }
  if (!context.useNonce(request.headers['x-acs-signature-nonce'] ?? '')) return reject(scheme, AUTH_ERRORS.nonceUsed);
  return { ok: true, scheme, accessKeyId: auth.credential };
}

/**
 * Verifies an ACS3-HMAC-SHA256 request as the cloud does: key, signed-header completeness, 15-minute date
 * window, STS token, body hash, signature, then nonce reuse. Never throws; returns a verdict with the
 * cloud's error code and HTTP status.
 */
export function verifyAcs3(request: ReceivedRequest, context: VerifyContext): AlibabaVerdict {
  try {
    return verifyAcs3Unsafe(request, context);
  } catch {
    return reject('ACS3-HMAC-SHA256', AUTH_ERRORS.incomplete);
  }
}
