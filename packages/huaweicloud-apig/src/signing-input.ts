/**
 * Up-front checks of everything the SDK-HMAC-SHA256 signer and `callApig` are given. Hostile input
 * (control characters, CR/LF, NUL, `../`, lone surrogates, prototype-pollution keys, huge strings, wrong
 * types) is refused with one InvalidInput naming every bad field and its fix; it never reaches a canonical
 * request, a header or the wire. Messages never echo a credential. Each check is one scan of a short
 * string (a character class or a loop), once per signature; nothing is allocated but an empty issue list
 * unless something is wrong.
 */
import { type InputIssue, type InvalidInput, invalidInput } from '@cancelkit/core/plugin';

/** Size limits. Node refuses a request head over 16 KiB by default, and so do most gateways. */
export const SIGNING_LIMITS = Object.freeze({
  method: 32,
  /** Header names and query names. */
  name: 256,
  /** One header value (a temporary key's security token is a few KB). */
  headerValue: 16_384,
  /** One query value. */
  queryValue: 16_384,
  /** Path plus query of the URL. */
  url: 16_384,
  /** One raw path segment (an id). */
  segment: 2_048,
  ak: 256,
  sk: 4_096,
});

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
  method: problem('must be an HTTP method such as GET or DELETE', 'use ASCII letters only'),
  headerName: problem('is not a valid header name', 'use letters, digits and -, at most 256 characters'),
  pollutionName: problem('is a reserved object key (__proto__, constructor, prototype)', 'rename it; such keys can rewrite object prototypes'),
  ownHeader: problem('is set by the signer', 'leave it out; the signer adds Authorization itself'),
  duplicateHeader: problem('is given twice (header names are case-insensitive)', 'keep only one spelling'),
  controlInHeader: problem('contains a line break, NUL or another control character', 'remove it: header values must be printable ASCII'),
  nonAsciiInHeader: problem('contains non-ASCII characters', 'percent-encode the value, or send it in the query or the body'),
  headerTooLong: problem(`is longer than ${SIGNING_LIMITS.headerValue} characters`, 'send less; servers refuse such headers'),
  illFormed: problem('is not well-formed text (it holds a lone UTF-16 surrogate)', 'fix the text; it cannot be UTF-8 encoded'),
  nameTooLong: problem(`is longer than ${SIGNING_LIMITS.name} characters`, 'use a shorter name'),
  valueTooLong: problem(`is longer than ${SIGNING_LIMITS.queryValue} characters`, 'send less, or send it in the body'),
  url: problem('must be an absolute http(s) URL, as a string or a URL object', 'e.g. https://dds.cn-north-4.myhuaweicloud.com/v3/…'),
  urlControl: problem('contains a control character, line break or NUL, which URL parsers drop or rewrite', 'percent-encode it (%0A, %00, …)'),
  urlBackslash: problem('contains a backslash, which URL parsers read as /', 'percent-encode it as %5C'),
  urlCredentials: problem('must not carry a user name or password', 'remove user:password@ from the URL'),
  dotSegment: problem('has a "." or ".." path segment (also as %2e), which URL parsers resolve', 'encode ids with rfc3986Encode and refuse dot segments, as callApig does'),
  urlTooLong: problem(`has a path and query longer than ${SIGNING_LIMITS.url} characters`, 'send less in the query, or send it in the body'),
  body: problem('must be a string or a Uint8Array', 'serialise it first, e.g. JSON.stringify(body)'),
  ak: problem('is not an access key id (printable ASCII without spaces or commas, at most 256 characters)', 'check the configured AK'),
  akV11: problem('is not an access key id for V11 (printable ASCII without spaces, commas or /, at most 256 characters)', 'check the configured AK'),
  sk: problem(
    `must be non-empty, well-formed text without control characters, at most ${SIGNING_LIMITS.sk} characters`,
    'copy the SK again, without a trailing line break',
  ),
  token: problem('must be printable ASCII without spaces or control characters', 'copy the value again, without surrounding whitespace'),
  sdkDate: problem('must be a UTC time in the form YYYYMMDDTHHmmssZ (years 100 to 9999)', 'leave it out to use the current time'),
  scope: problem('must be 1 to 64 letters, digits, ".", "_" or "-"', 'e.g. cn-north-4 or dds'),
  segment: problem('must be a non-empty string other than "." or ".."', 'pass the id itself; each segment is encoded exactly once'),
  segmentTooLong: problem(`is longer than ${SIGNING_LIMITS.segment} characters`, 'pass the id itself'),
});

/** `String.prototype.isWellFormed` (Node 20+; the es2023 lib this repo compiles against does not declare it). */
export function isWellFormed(text: string): boolean {
  return (text as unknown as { isWellFormed(): boolean }).isWellFormed();
}

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

// One list per rule: a value good as one thing is not thereby good as another.
const goodNames = new RecentlyGood();
const goodAks = new RecentlyGood();

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

/** A header value: printable ASCII (space included), at most 16 KiB. */
export function headerValueProblem(value: unknown): Problem | undefined {
  if (typeof value !== 'string') return PROBLEMS.notString;
  if (value.length > SIGNING_LIMITS.headerValue) return PROBLEMS.headerTooLong;
  if (NOT_PRINTABLE.test(value)) return CONTROL.test(value) ? PROBLEMS.controlInHeader : PROBLEMS.nonAsciiInHeader;
  return undefined;
}

// AKs: printable ASCII without space and without `,` (it ends Access=…); for V11 also without `/` (AK/scope).
const NOT_AK = /[^\x21-\x2b\x2d-\x7e]/;

/** The AK travels in `Authorization: … Access=<ak>, …` (V11: `Credential=<ak>/<scope>`). */
export function akProblem(value: unknown, v11: boolean): Problem | undefined {
  if (typeof value !== 'string') return PROBLEMS.notString;
  if (value === '' || !goodAks.has(value)) {
    if (value.length === 0 || value.length > SIGNING_LIMITS.ak || NOT_AK.test(value)) return v11 ? PROBLEMS.akV11 : PROBLEMS.ak;
    goodAks.add(value);
  }
  // A `/` passes for SDK-HMAC-SHA256 but splits Credential=<ak>/<scope> for V11.
  return v11 && value.includes('/') ? PROBLEMS.akV11 : undefined;
}

/** The SK is only ever an HMAC key: any well-formed text without control characters. */
export function skProblem(value: unknown): Problem | undefined {
  if (typeof value !== 'string') return PROBLEMS.notString;
  if (value.length === 0 || value.length > SIGNING_LIMITS.sk) return PROBLEMS.sk;
  if (CONTROL.test(value)) return PROBLEMS.sk;
  return isWellFormed(value) ? undefined : PROBLEMS.sk;
}

/** Tokens and ids sent as header values (security token, IAM token, project id). */
export function tokenProblem(value: unknown): Problem | undefined {
  if (typeof value !== 'string') return PROBLEMS.notString;
  if (value.length > SIGNING_LIMITS.headerValue) return PROBLEMS.headerTooLong;
  return value.length === 0 || NOT_VISIBLE.test(value) ? PROBLEMS.token : undefined;
}

export function scopeProblem(value: unknown): Problem | undefined {
  if (typeof value !== 'string') return PROBLEMS.notString;
  return /^[A-Za-z0-9._-]{1,64}$/.test(value) ? undefined : PROBLEMS.scope;
}

export function bodyProblem(value: unknown): Problem | undefined {
  if (value === undefined || value instanceof Uint8Array) return undefined;
  if (typeof value !== 'string') return PROBLEMS.body;
  return isWellFormed(value) ? undefined : PROBLEMS.illFormed;
}

/** Query names: non-empty, well-formed, not a pollution key. */
export function queryNameProblem(name: string): Problem | undefined {
  if (name.length === 0) return PROBLEMS.empty;
  if (name.length > SIGNING_LIMITS.name) return PROBLEMS.nameTooLong;
  if (!isWellFormed(name)) return PROBLEMS.illFormed;
  return isPollutionKey(name) ? PROBLEMS.pollutionName : undefined;
}

/** Query values: any well-formed text (it is percent-encoded), at most 16 KiB. */
export function queryValueProblem(value: string): Problem | undefined {
  if (value.length > SIGNING_LIMITS.queryValue) return PROBLEMS.valueTooLong;
  return isWellFormed(value) ? undefined : PROBLEMS.illFormed;
}

/** One raw path segment, as callApig takes them. */
export function segmentProblem(value: unknown): Problem | undefined {
  if (typeof value !== 'string' || value === '' || value === '.' || value === '..') return PROBLEMS.segment;
  if (value.length > SIGNING_LIMITS.segment) return PROBLEMS.segmentTooLong;
  return isWellFormed(value) ? undefined : PROBLEMS.illFormed;
}

/** `.`, `..` and their %2e spellings (only URLs the parser rewrote get here). */
function isDotSegment(segment: string): boolean {
  if (segment.length === 0 || segment.length > 6) return false;
  const dots = segment.toLowerCase().replaceAll('%2e', '.');
  return dots === '.' || dots === '..';
}

/**
 * A URL given as text that the WHATWG parser did not give back unchanged: it silently drops tabs and line
 * breaks, trims control characters, replaces lone surrogates, reads `\` as `/` and resolves dot
 * segments, so the URL sent would not be the URL written. (It also rewrites harmless things — an
 * upper-case host, a default port, a space — which pass.) A URL already in normal form never gets here.
 */
export function urlTextProblem(text: string): Problem | undefined {
  if (text.length > SIGNING_LIMITS.url * 2) return PROBLEMS.urlTooLong;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return PROBLEMS.urlControl;
  }
  if (!isWellFormed(text)) return PROBLEMS.illFormed;
  if (text.includes('\\')) return PROBLEMS.urlBackslash;
  if (text.includes('/.') || text.includes('%2e') || text.includes('%2E')) {
    // Only the path counts: after scheme://authority, up to ? or #.
    const path = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*([^?#]*)/.exec(text)?.[1] ?? '';
    for (const segment of path.split('/')) if (isDotSegment(segment)) return PROBLEMS.dotSegment;
  }
  return undefined;
}
