/**
 * Up-front checks of everything a signer is given. Hostile input (control characters, CR/LF, NUL, `../`,
 * lone surrogates, prototype-pollution keys, huge strings, wrong types) is refused with one InvalidInput
 * that names every bad field and how to fix it; it never reaches a canonical request, a header or a wire.
 * Messages never echo a credential. Each check is one scan of a short string (a character class or a
 * loop), once per signature; nothing is allocated but an empty issue list unless something is wrong.
 */
import {
  addInputIssue,
  CONTROL,
  headerValueProblem,
  type InputIssue,
  type InputProblem,
  type InvalidInput,
  inputProblem,
  invalidInput,
  isMethodName,
  isPlainRecord,
  isWellFormed,
  NOT_VISIBLE,
  queryNameProblem,
  queryValueProblem,
  REQUEST_LIMITS,
  REQUEST_PROBLEMS,
  RecentlyGood,
} from '@cancelkit/core/plugin';

// What every HTTP request shares lives in core (@cancelkit/core/plugin, request-input.ts); re-exported so
// the signers read one module.
export {
  bodyProblem,
  headerNameProblem,
  headerValueProblem,
  isPollutionKey,
  isWellFormed,
  queryNameProblem,
  queryValueProblem,
  segmentProblem,
} from '@cancelkit/core/plugin';
export const check = addInputIssue;
export const isRecord = isPlainRecord;
export type Problem = InputProblem;

/** Size limits. Node refuses a request head over 16 KiB by default, and so do most gateways. */
export const SIGNING_LIMITS = Object.freeze({
  ...REQUEST_LIMITS,
  /** The encoded path. */
  path: 8_192,
  /** Path plus canonical query string. */
  url: 16_384,
  accessKeyId: 256,
  secret: 4_096,
  nonce: 128,
});

export const PROBLEMS = Object.freeze({
  ...REQUEST_PROBLEMS,
  method: inputProblem('must be an HTTP method such as GET or POST', 'use ASCII letters only'),
  host: inputProblem('must be a host name or IP address with an optional :port', 'e.g. ecs.cn-hangzhou.aliyuncs.com or 127.0.0.1:8787'),
  pathStart: inputProblem('must start with /', 'build it with buildPath(segments)'),
  pathChar: inputProblem('has characters a URL path cannot carry unencoded (space, control, non-ASCII, ?, #, \\)', 'build it with buildPath(segments), which encodes each segment once'),
  pathEscape: inputProblem('has a % that does not start a %XX escape', 'encode a literal % as %25 (buildPath does)'),
  dotSegment: inputProblem('has a "." or ".." segment (also as %2e), which URL parsers resolve', 'encode ids with buildPath, which refuses such segments'),
  pathTooLong: inputProblem(`is longer than ${SIGNING_LIMITS.path} characters`, 'use a shorter path'),
  urlTooLong: inputProblem(`makes a URL longer than ${SIGNING_LIMITS.url} characters`, 'send less in the query, or send it in the body'),
  accessKeyId: inputProblem('is not an AccessKey id (printable ASCII without spaces or , ; : =, at most 256 characters)', 'check the configured AccessKey id'),
  secret: inputProblem(
    `must be non-empty, well-formed text without control characters, at most ${SIGNING_LIMITS.secret} characters`,
    'copy the secret again, without a trailing line break',
  ),
  securityToken: inputProblem('must be printable ASCII without spaces or control characters', 'copy the STS token again, without surrounding whitespace'),
  isoDate: inputProblem('must be a UTC time in the form YYYY-MM-DDTHH:mm:ssZ', 'leave it out to use the current time'),
  httpDate: inputProblem('must be an HTTP date such as "Thu, 01 Jan 2026 00:00:00 GMT"', 'leave it out to use the current time'),
  nonce: inputProblem(`must be 1 to ${SIGNING_LIMITS.nonce} printable ASCII characters without spaces`, 'leave it out to get a random nonce'),
});

/** The InvalidInput a signer throws: every issue, each naming its field (escaped and capped by core). */
export function refuse(issues: readonly InputIssue[], subject: string): InvalidInput {
  return invalidInput(issues, subject);
}

// One list per rule: a value good as one thing (a host) is not thereby good as another (a key id).
const goodRequiredValues = new RecentlyGood();
const goodHosts = new RecentlyGood();
const goodKeyIds = new RecentlyGood();

export function methodProblem(value: unknown): Problem | undefined {
  if (typeof value !== 'string') return PROBLEMS.notString;
  return isMethodName(value) ? undefined : PROBLEMS.method;
}

/** A header value the signer itself requires (action, version): non-blank; remembered once it passed. */
export function requiredHeaderValueProblem(value: unknown): Problem | undefined {
  if (typeof value === 'string' && value !== '' && goodRequiredValues.has(value)) return undefined;
  const found = headerValueProblem(value, true);
  if (found === undefined) goodRequiredValues.add(value as string);
  return found;
}

// Host names, IPv4 and bracketed IPv6 literals, with an optional port.
const HOST = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
export function hostProblem(value: unknown): Problem | undefined {
  if (typeof value !== 'string') return PROBLEMS.notString;
  if (value !== '' && goodHosts.has(value)) return undefined;
  if (value.length > 300 || !HOST.test(value)) return PROBLEMS.host;
  goodHosts.add(value);
  return undefined;
}

/** Every problem of a query or parameter record, each as `<field>.<name>`. */
export function checkQueryRecord(issues: InputIssue[], field: string, query: unknown): void {
  if (query === undefined) return;
  if (!isRecord(query)) {
    check(issues, field, PROBLEMS.notRecord);
    return;
  }
  for (const name of Object.keys(query)) check(issues, `${field}.${name}`, queryNameProblem(name) ?? queryValueProblem(query[name]));
}

// Characters an encoded path may hold as they are, besides `.`, `/` and `%XX`: RFC 3986 pchar.
const PATH_CHAR = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_~!$&'()*+,;=:@") PATH_CHAR[c.charCodeAt(0)] = 1;

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 102);
}

/** `%2e` / `%2E` at `at`. */
function isEncodedDot(path: string, at: number): boolean {
  return path.charCodeAt(at) === 37 && path.charCodeAt(at + 1) === 50 && (path.charCodeAt(at + 2) | 0x20) === 101;
}

/**
 * `.`, `..` and their %2e spellings (`%2e`, `.%2E`, `%2e%2e`, …): a URL parser resolves them, so an id
 * could step out of its segment. Checked without allocating; most segments are out at the first test.
 */
function isDotSegment(path: string, start: number, end: number): boolean {
  switch (end - start) {
    case 1:
      return path.charCodeAt(start) === 46;
    case 2:
      return path.charCodeAt(start) === 46 && path.charCodeAt(start + 1) === 46;
    case 3:
      return isEncodedDot(path, start);
    case 4:
      return (path.charCodeAt(start) === 46 && isEncodedDot(path, start + 1)) || (isEncodedDot(path, start) && path.charCodeAt(start + 3) === 46);
    case 6:
      return isEncodedDot(path, start) && isEncodedDot(path, start + 3);
    default:
      return false;
  }
}

/** A segment that starts with `.` or `%` may be a dot segment; others cannot. */
function dotSegmentAt(path: string, start: number, end: number): boolean {
  const first = path.charCodeAt(start);
  return (first === 46 || first === 37) && isDotSegment(path, start, end);
}

/**
 * An already-encoded path (`buildPath`'s output): starts with `/`, pchar and %XX only, no dot segments.
 * One pass; a plain character costs one table lookup.
 */
export function pathProblem(value: unknown): Problem | undefined {
  if (typeof value !== 'string') return PROBLEMS.notString;
  if (value === '/') return undefined;
  if (value.charCodeAt(0) !== 47) return PROBLEMS.pathStart;
  if (value.length > SIGNING_LIMITS.path) return PROBLEMS.pathTooLong;
  let segmentStart = 1;
  for (let i = 1; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 128 && PATH_CHAR[c] === 1) continue;
    if (c === 47) {
      if (dotSegmentAt(value, segmentStart, i)) return PROBLEMS.dotSegment;
      segmentStart = i + 1;
    } else if (c === 37) {
      if (!isHexDigit(value.charCodeAt(i + 1)) || !isHexDigit(value.charCodeAt(i + 2))) return PROBLEMS.pathEscape;
      i += 2;
    } else if (c !== 46) {
      return PROBLEMS.pathChar;
    }
  }
  return dotSegmentAt(value, segmentStart, value.length) ? PROBLEMS.dotSegment : undefined;
}

/** One raw (not yet encoded) path segment, as buildPath and callRoa take them. */
// AccessKey ids: printable ASCII without space and without the separators , ; : = of Authorization values.
const NOT_KEY_ID = /[^\x21-\x2b\x2d-\x39\x3c\x3e-\x7e]/;

/** AccessKey ids travel in headers (`Credential=<id>,…`, `acs <id>:…`): no separators. */
export function accessKeyIdProblem(value: unknown): Problem | undefined {
  if (typeof value !== 'string') return PROBLEMS.notString;
  if (value !== '' && goodKeyIds.has(value)) return undefined;
  if (value.length === 0 || value.length > SIGNING_LIMITS.accessKeyId || NOT_KEY_ID.test(value)) return PROBLEMS.accessKeyId;
  goodKeyIds.add(value);
  return undefined;
}

/** The secret is only ever an HMAC key: any well-formed text without control characters. */
export function secretProblem(value: unknown): Problem | undefined {
  if (typeof value !== 'string') return PROBLEMS.notString;
  if (value.length === 0 || value.length > SIGNING_LIMITS.secret) return PROBLEMS.secret;
  if (CONTROL.test(value)) return PROBLEMS.secret;
  return isWellFormed(value) ? undefined : PROBLEMS.secret;
}

export function securityTokenProblem(value: unknown): Problem | undefined {
  if (typeof value !== 'string') return PROBLEMS.notString;
  if (value.length > SIGNING_LIMITS.headerValue) return PROBLEMS.headerTooLong;
  return NOT_VISIBLE.test(value) ? PROBLEMS.securityToken : undefined;
}

export function nonceProblem(value: unknown): Problem | undefined {
  if (typeof value !== 'string') return PROBLEMS.notString;
  return value.length === 0 || value.length > SIGNING_LIMITS.nonce || NOT_VISIBLE.test(value) ? PROBLEMS.nonce : undefined;
}

/**
 * The credential fields every signer takes. The messages never hold a credential's value. An empty
 * `securityToken` means none, as before.
 */
export function checkCredentials(issues: InputIssue[], credentials: unknown): void {
  if (!isRecord(credentials)) {
    check(issues, 'credentials', PROBLEMS.notObject);
    return;
  }
  check(issues, 'accessKeyId', accessKeyIdProblem(credentials.accessKeyId));
  check(issues, 'accessKeySecret', secretProblem(credentials.accessKeySecret));
  const token = credentials.securityToken;
  if (token !== undefined && token !== '') check(issues, 'securityToken', securityTokenProblem(token));
}
