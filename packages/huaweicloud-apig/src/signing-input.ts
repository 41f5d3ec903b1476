/**
 * Up-front checks of everything the SDK-HMAC-SHA256 signer and `callApig` are given. Hostile input
 * (control characters, CR/LF, NUL, `../`, lone surrogates, prototype-pollution keys, huge strings, wrong
 * types) is refused with one InvalidInput naming every bad field and its fix; it never reaches a canonical
 * request, a header or the wire. Messages never echo a credential. Each check is one scan of a short
 * string (a character class or a loop), once per signature; nothing is allocated but an empty issue list
 * unless something is wrong.
 */
import {
  addInputIssue,
  CONTROL,
  type InputIssue,
  type InputProblem,
  type InvalidInput,
  inputProblem,
  invalidInput,
  isMethodName,
  isPlainRecord,
  isWellFormed,
  NOT_VISIBLE,
  REQUEST_LIMITS,
  REQUEST_PROBLEMS,
  RecentlyGood,
} from '@cancelkit/core/plugin';

// What every HTTP request shares lives in core (@cancelkit/core/plugin, request-input.ts); re-exported so
// the signer and callApig read one module.
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
  /** Path plus query of the URL. */
  url: 16_384,
  ak: 256,
  sk: 4_096,
});

export const PROBLEMS = Object.freeze({
  ...REQUEST_PROBLEMS,
  method: inputProblem('must be an HTTP method such as GET or DELETE', 'use ASCII letters only'),
  ownHeader: inputProblem('is set by the signer', 'leave it out; the signer adds Authorization itself'),
  url: inputProblem('must be an absolute http(s) URL, as a string or a URL object', 'e.g. https://dds.cn-north-4.myhuaweicloud.com/v3/…'),
  urlControl: inputProblem('contains a control character, line break or NUL, which URL parsers drop or rewrite', 'percent-encode it (%0A, %00, …)'),
  urlBackslash: inputProblem('contains a backslash, which URL parsers read as /', 'percent-encode it as %5C'),
  urlCredentials: inputProblem('must not carry a user name or password', 'remove user:password@ from the URL'),
  dotSegment: inputProblem('has a "." or ".." path segment (also as %2e), which URL parsers resolve', 'encode ids with rfc3986Encode and refuse dot segments, as callApig does'),
  urlTooLong: inputProblem(`has a path and query longer than ${SIGNING_LIMITS.url} characters`, 'send less in the query, or send it in the body'),
  ak: inputProblem('is not an access key id (printable ASCII without spaces or commas, at most 256 characters)', 'check the configured AK'),
  akV11: inputProblem('is not an access key id for V11 (printable ASCII without spaces, commas or /, at most 256 characters)', 'check the configured AK'),
  sk: inputProblem(
    `must be non-empty, well-formed text without control characters, at most ${SIGNING_LIMITS.sk} characters`,
    'copy the SK again, without a trailing line break',
  ),
  token: inputProblem('must be printable ASCII without spaces or control characters', 'copy the value again, without surrounding whitespace'),
  sdkDate: inputProblem('must be a UTC time in the form YYYYMMDDTHHmmssZ (years 100 to 9999)', 'leave it out to use the current time'),
  scope: inputProblem('must be 1 to 64 letters, digits, ".", "_" or "-"', 'e.g. cn-north-4 or dds'),
});

/** The InvalidInput a signer throws: every issue, each naming its field (escaped and capped by core). */
export function refuse(issues: readonly InputIssue[], subject: string): InvalidInput {
  return invalidInput(issues, subject);
}

// One list per rule: a value good as one thing is not thereby good as another.
const goodAks = new RecentlyGood();

export function methodProblem(value: unknown): Problem | undefined {
  if (typeof value !== 'string') return PROBLEMS.notString;
  return isMethodName(value) ? undefined : PROBLEMS.method;
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
