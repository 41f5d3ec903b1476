/**
 * Up-front checks of everything a signer is given. Hostile input (control characters, CR/LF, NUL, `../`,
 * lone surrogates, prototype-pollution keys, huge strings, wrong types) is refused with one InvalidInput
 * that names every bad field and how to fix it; it never reaches a canonical request, a header or a wire.
 * Messages never echo a credential. Each check is one scan of a short string (a character class or a
 * loop), once per signature; nothing is allocated but an empty issue list unless something is wrong.
 */
import { type InputIssue, type InvalidInput, invalidInput } from '@cancelkit/core/plugin';

/** Size limits. Node refuses a request head over 16 KiB by default, and so do most gateways. */
export const SIGNING_LIMITS = Object.freeze({
  method: 32,
  /** Header names and query/parameter names. */
  name: 256,
  /** One header value (an STS token is 1-2 KB). */
  headerValue: 16_384,
  /** One query or parameter value. */
  queryValue: 16_384,
  /** The encoded path. */
  path: 8_192,
  /** Path plus canonical query string. */
  url: 16_384,
  accessKeyId: 256,
  secret: 4_096,
  nonce: 128,
  /** One raw path segment (an id). */
  segment: 2_048,
});

/** `String.prototype.isWellFormed` (Node 20+; the es2023 lib this repo compiles against does not declare it). */
export function isWellFormed(text: string): boolean {
  return (text as unknown as { isWellFormed(): boolean }).isWellFormed();
}

export interface Problem {
  readonly message: string;
  readonly hint: string;
}

function problem(message: string, hint: string): Problem {
  return Object.freeze({ message, hint });
}

export const PROBLEMS = Object.freeze({
  notObject: problem('must be an object', 'pass a plain object'),
  notRecord: problem('must be a plain object of names to values', 'pass { name: value }, not an array or a primitive'),
  notString: problem('must be a string', 'pass text, not a number, object or undefined'),
  empty: problem('must not be empty', 'give a value'),
  method: problem('must be an HTTP method such as GET or POST', 'use ASCII letters only'),
  host: problem('must be a host name or IP address with an optional :port', 'e.g. ecs.cn-hangzhou.aliyuncs.com or 127.0.0.1:8787'),
  headerName: problem('is not a valid header name', 'use letters, digits and -, at most 256 characters'),
  pollutionName: problem('is a reserved object key (__proto__, constructor, prototype)', 'rename it; such keys can rewrite object prototypes'),
  duplicateHeader: problem('is given twice (header names are case-insensitive)', 'keep only one spelling'),
  controlInHeader: problem('contains a line break, NUL or another control character', 'remove it: header values must be printable ASCII'),
  nonAsciiInHeader: problem('contains non-ASCII characters', 'percent-encode the value, or send it in the query or the body'),
  headerTooLong: problem(`is longer than ${SIGNING_LIMITS.headerValue} characters`, 'send less; servers refuse such headers'),
  illFormed: problem('is not well-formed text (it holds a lone UTF-16 surrogate)', 'fix the text; it cannot be UTF-8 encoded'),
  nameTooLong: problem(`is longer than ${SIGNING_LIMITS.name} characters`, 'use a shorter name'),
  valueTooLong: problem(`is longer than ${SIGNING_LIMITS.queryValue} characters`, 'send less, or send it in the body'),
  pathStart: problem('must start with /', 'build it with buildPath(segments)'),
  pathChar: problem('has characters a URL path cannot carry unencoded (space, control, non-ASCII, ?, #, \\)', 'build it with buildPath(segments), which encodes each segment once'),
  pathEscape: problem('has a % that does not start a %XX escape', 'encode a literal % as %25 (buildPath does)'),
  dotSegment: problem('has a "." or ".." segment (also as %2e), which URL parsers resolve', 'encode ids with buildPath, which refuses such segments'),
  segment: problem('must be a non-empty string other than "." or ".."', 'pass the id itself; each segment is encoded exactly once'),
  segmentTooLong: problem(`is longer than ${SIGNING_LIMITS.segment} characters`, 'pass the id itself'),
  pathTooLong: problem(`is longer than ${SIGNING_LIMITS.path} characters`, 'use a shorter path'),
  urlTooLong: problem(`makes a URL longer than ${SIGNING_LIMITS.url} characters`, 'send less in the query, or send it in the body'),
  body: problem('must be a string or a Uint8Array', 'serialise it first, e.g. JSON.stringify(body)'),
  accessKeyId: problem('is not an AccessKey id (printable ASCII without spaces or , ; : =, at most 256 characters)', 'check the configured AccessKey id'),
  secret: problem(
    `must be non-empty, well-formed text without control characters, at most ${SIGNING_LIMITS.secret} characters`,
    'copy the secret again, without a trailing line break',
  ),
  securityToken: problem('must be printable ASCII without spaces or control characters', 'copy the STS token again, without surrounding whitespace'),
  isoDate: problem('must be a UTC time in the form YYYY-MM-DDTHH:mm:ssZ', 'leave it out to use the current time'),
  httpDate: problem('must be an HTTP date such as "Thu, 01 Jan 2026 00:00:00 GMT"', 'leave it out to use the current time'),
  nonce: problem(`must be 1 to ${SIGNING_LIMITS.nonce} printable ASCII characters without spaces`, 'leave it out to get a random nonce'),
});

/**
 * Adds an issue for `field` when there is a problem. A field holds a caller's name (`headers.<name>`):
 * only its first 100 characters are kept, so a megabyte-long name costs nothing to report (core's
 * invalidInput then escapes control characters and caps it further).
 */
export function check(issues: InputIssue[], field: string, found: Problem | undefined): void {
  if (found !== undefined) issues.push({ field: field.length > 100 ? field.slice(0, 100) : field, message: found.message, hint: found.hint });
}

/** The InvalidInput a signer throws: every issue, each naming its field (escaped and capped by core). */
export function refuse(issues: readonly InputIssue[], subject: string): InvalidInput {
  return invalidInput(issues, subject);
}

export function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keys that rewrite or shadow an object's prototype when assigned. */
export function isPollutionKey(name: string): boolean {
  return name === '__proto__' || name === 'constructor' || name === 'prototype';
}

/**
 * The last few values that passed a check. A client sends the same host, action, version, key id and
 * header names with every call: once they passed, one comparison each replaces the scan. Never used for
 * secrets or tokens, which are checked every time.
 */
class RecentlyGood {
  private readonly values: string[] = ['', '', '', '', '', '', '', ''];
  private next = 0;

  has(value: string): boolean {
    const v = this.values;
    return value === v[0] || value === v[1] || value === v[2] || value === v[3] || value === v[4] || value === v[5] || value === v[6] || value === v[7];
  }

  add(value: string): void {
    this.values[this.next] = value;
    this.next = (this.next + 1) & 7;
  }
}

// One list per rule: a value good as one thing (a host) is not thereby good as another (a key id).
const goodNames = new RecentlyGood();
const goodRequiredValues = new RecentlyGood();
const goodHosts = new RecentlyGood();
const goodKeyIds = new RecentlyGood();

export function methodProblem(value: unknown): Problem | undefined {
  if (typeof value !== 'string') return PROBLEMS.notString;
  if (value.length === 0 || value.length > SIGNING_LIMITS.method) return PROBLEMS.method;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i) | 0x20; // ASCII letters fold to lower case; nothing else lands in a-z
    if (c < 0x61 || c > 0x7a) return PROBLEMS.method;
  }
  return undefined;
}

// RFC 9110 tchar: ! # $ % & ' * + - . ^ _ ` | ~ digits letters.
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TCHAR[c.charCodeAt(0)] = 1;

/** A header name, already lower-cased. */
export function headerNameProblem(lowerName: string): Problem | undefined {
  if (goodNames.has(lowerName) && lowerName !== '') return undefined;
  if (lowerName.length === 0 || lowerName.length > SIGNING_LIMITS.name) return PROBLEMS.headerName;
  for (let i = 0; i < lowerName.length; i++) {
    const c = lowerName.charCodeAt(i);
    if (c >= 128 || TCHAR[c] === 0) return PROBLEMS.headerName;
  }
  if (isPollutionKey(lowerName)) return PROBLEMS.pollutionName;
  goodNames.add(lowerName);
  return undefined;
}

// Character scans are regular expressions: V8 runs a character class about twice as fast as a JS loop.
const NOT_PRINTABLE = /[^\x20-\x7e]/;
const NOT_VISIBLE = /[^\x21-\x7e]/;
// C0 controls, DEL and C1 controls (U+0080-U+009F).
const CONTROL = /[^\x20-\x7e\xa0-\uffff]/;

/** A header value: printable ASCII (space included), at most 16 KiB; `required` also refuses blank values. */
export function headerValueProblem(value: unknown, required = false): Problem | undefined {
  if (typeof value !== 'string') return PROBLEMS.notString;
  if (value.length > SIGNING_LIMITS.headerValue) return PROBLEMS.headerTooLong;
  if (NOT_PRINTABLE.test(value)) return CONTROL.test(value) ? PROBLEMS.controlInHeader : PROBLEMS.nonAsciiInHeader;
  return required && value.trim() === '' ? PROBLEMS.empty : undefined;
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

/** Query and parameter names: non-empty, well-formed, not a pollution key. */
export function queryNameProblem(name: string): Problem | undefined {
  if (name.length === 0) return PROBLEMS.empty;
  if (name.length > SIGNING_LIMITS.name) return PROBLEMS.nameTooLong;
  if (!isWellFormed(name)) return PROBLEMS.illFormed;
  return isPollutionKey(name) ? PROBLEMS.pollutionName : undefined;
}

/** Query and parameter values: any well-formed text (it is percent-encoded), at most 16 KiB. */
export function queryValueProblem(value: unknown): Problem | undefined {
  if (typeof value !== 'string') return PROBLEMS.notString;
  if (value.length > SIGNING_LIMITS.queryValue) return PROBLEMS.valueTooLong;
  return isWellFormed(value) ? undefined : PROBLEMS.illFormed;
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
export function segmentProblem(value: unknown): Problem | undefined {
  if (typeof value !== 'string' || value === '' || value === '.' || value === '..') return PROBLEMS.segment;
  if (value.length > SIGNING_LIMITS.segment) return PROBLEMS.segmentTooLong;
  return isWellFormed(value) ? undefined : PROBLEMS.illFormed;
}

export function bodyProblem(value: unknown): Problem | undefined {
  if (value === undefined || value instanceof Uint8Array) return undefined;
  if (typeof value !== 'string') return PROBLEMS.body;
  return isWellFormed(value) ? undefined : PROBLEMS.illFormed;
}

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
