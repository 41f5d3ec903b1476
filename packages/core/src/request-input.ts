/**
 * The provider-neutral part of checking what a signer or a provider client is given: the problems every
 * HTTP request shares (header names and values, query names and values, records, pollution keys,
 * ill-formed text) and the cheap scans behind them. Provider packages add their own rules (credentials,
 * hosts, paths, dates) on top and throw one InvalidInput naming every bad field. Nothing here allocates
 * unless something is wrong, and nothing echoes a value: a field names where, a problem says what.
 */
import type { InputIssue } from './errors.js';

/** Size limits every request shares. Node refuses a request head over 16 KiB by default, as most gateways do. */
export const REQUEST_LIMITS = Object.freeze({
  method: 32,
  /** Header names and query/parameter names. */
  name: 256,
  /** One header value (a temporary credential's security token is a few KB). */
  headerValue: 16_384,
  /** One query or parameter value. */
  queryValue: 16_384,
  /** One raw path segment (an id). */
  segment: 2_048,
});

/** What is wrong with a field, and the fix. */
export interface InputProblem {
  readonly message: string;
  readonly hint: string;
}

export function inputProblem(message: string, hint: string): InputProblem {
  return Object.freeze({ message, hint });
}

/** The problems of any HTTP request; a provider spreads these into its own table. */
export const REQUEST_PROBLEMS = Object.freeze({
  notObject: inputProblem('must be an object', 'pass a plain object'),
  notRecord: inputProblem('must be a plain object of names to values', 'pass { name: value }, not an array or a primitive'),
  notString: inputProblem('must be a string', 'pass text, not a number, object or undefined'),
  empty: inputProblem('must not be empty', 'give a value'),
  headerName: inputProblem('is not a valid header name', 'use letters, digits and -, at most 256 characters'),
  pollutionName: inputProblem('is a reserved object key (__proto__, constructor, prototype)', 'rename it; such keys can rewrite object prototypes'),
  duplicateHeader: inputProblem('is given twice (header names are case-insensitive)', 'keep only one spelling'),
  controlInHeader: inputProblem('contains a line break, NUL or another control character', 'remove it: header values must be printable ASCII'),
  nonAsciiInHeader: inputProblem('contains non-ASCII characters', 'percent-encode the value, or send it in the query or the body'),
  headerTooLong: inputProblem(`is longer than ${REQUEST_LIMITS.headerValue} characters`, 'send less; servers refuse such headers'),
  illFormed: inputProblem('is not well-formed text (it holds a lone UTF-16 surrogate)', 'fix the text; it cannot be UTF-8 encoded'),
  nameTooLong: inputProblem(`is longer than ${REQUEST_LIMITS.name} characters`, 'use a shorter name'),
  valueTooLong: inputProblem(`is longer than ${REQUEST_LIMITS.queryValue} characters`, 'send less, or send it in the body'),
  body: inputProblem('must be a string or a Uint8Array', 'serialise it first, e.g. JSON.stringify(body)'),
  segment: inputProblem('must be a non-empty string other than "." or ".."', 'pass the id itself; each segment is encoded exactly once'),
  segmentTooLong: inputProblem(`is longer than ${REQUEST_LIMITS.segment} characters`, 'pass the id itself'),
});

/**
 * Adds an issue for `field` when there is a problem. A field holds a caller's name (`headers.<name>`):
 * only its first 100 characters are kept, so a megabyte-long name costs nothing to report (invalidInput
 * then escapes control characters and caps it further).
 */
export function addInputIssue(issues: InputIssue[], field: string, found: InputProblem | undefined): void {
  if (found !== undefined) issues.push({ field: field.length > 100 ? field.slice(0, 100) : field, message: found.message, hint: found.hint });
}

/** `String.prototype.isWellFormed` (Node 20+; the es2023 lib this repo compiles against does not declare it). */
export function isWellFormed(text: string): boolean {
  return (text as unknown as { isWellFormed(): boolean }).isWellFormed();
}

export function isPlainRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keys that rewrite or shadow an object's prototype when assigned. */
export function isPollutionKey(name: string): boolean {
  return name === '__proto__' || name === 'constructor' || name === 'prototype';
}

/**
 * The last few values that passed a check. A client sends the same host, action, version, key id and
 * header names with every call: once they passed, one comparison each replaces the scan. Never use it for
 * secrets or tokens, which must be checked every time. One instance per rule: a value good as one thing
 * (a host) is not thereby good as another (a key id).
 */
export class RecentlyGood {
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

/** ASCII letters only, 1 to 32 of them (the method as given; the signer upper-cases it). */
export function isMethodName(value: string): boolean {
  if (value.length === 0 || value.length > REQUEST_LIMITS.method) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i) | 0x20; // ASCII letters fold to lower case; nothing else lands in a-z
    if (c < 0x61 || c > 0x7a) return false;
  }
  return true;
}

// Character scans are regular expressions: V8 runs a character class about twice as fast as a JS loop.
/** Anything but printable ASCII (space included). */
export const NOT_PRINTABLE = /[^\x20-\x7e]/;
/** Anything but visible ASCII (no space). */
export const NOT_VISIBLE = /[^\x21-\x7e]/;
/** C0 controls, DEL and C1 controls (U+0080-U+009F). */
export const CONTROL = /[^\x20-\x7e\xa0-\uffff]/;

// RFC 9110 tchar: ! # $ % & ' * + - . ^ _ ` | ~ digits letters.
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TCHAR[c.charCodeAt(0)] = 1;

const goodHeaderNames = new RecentlyGood();

/** A header name, already lower-cased: an RFC 9110 token, not a pollution key. */
export function headerNameProblem(lowerName: string): InputProblem | undefined {
  if (goodHeaderNames.has(lowerName) && lowerName !== '') return undefined;
  if (lowerName.length === 0 || lowerName.length > REQUEST_LIMITS.name) return REQUEST_PROBLEMS.headerName;
  for (let i = 0; i < lowerName.length; i++) {
    const c = lowerName.charCodeAt(i);
    if (c >= 128 || TCHAR[c] === 0) return REQUEST_PROBLEMS.headerName;
  }
  if (isPollutionKey(lowerName)) return REQUEST_PROBLEMS.pollutionName;
  goodHeaderNames.add(lowerName);
  return undefined;
}

/** A header value: printable ASCII (space included), at most 16 KiB; `required` also refuses blank values. */
export function headerValueProblem(value: unknown, required = false): InputProblem | undefined {
  if (typeof value !== 'string') return REQUEST_PROBLEMS.notString;
  if (value.length > REQUEST_LIMITS.headerValue) return REQUEST_PROBLEMS.headerTooLong;
  if (NOT_PRINTABLE.test(value)) return CONTROL.test(value) ? REQUEST_PROBLEMS.controlInHeader : REQUEST_PROBLEMS.nonAsciiInHeader;
  return required && value.trim() === '' ? REQUEST_PROBLEMS.empty : undefined;
}

/** Query and parameter names: non-empty, well-formed, not a pollution key. */
export function queryNameProblem(name: string): InputProblem | undefined {
  if (name.length === 0) return REQUEST_PROBLEMS.empty;
  if (name.length > REQUEST_LIMITS.name) return REQUEST_PROBLEMS.nameTooLong;
  if (!isWellFormed(name)) return REQUEST_PROBLEMS.illFormed;
  return isPollutionKey(name) ? REQUEST_PROBLEMS.pollutionName : undefined;
}

/** Query and parameter values: any well-formed text (it is percent-encoded), at most 16 KiB. */
export function queryValueProblem(value: unknown): InputProblem | undefined {
  if (typeof value !== 'string') return REQUEST_PROBLEMS.notString;
  if (value.length > REQUEST_LIMITS.queryValue) return REQUEST_PROBLEMS.valueTooLong;
  return isWellFormed(value) ? undefined : REQUEST_PROBLEMS.illFormed;
}

/** One raw path segment (an id), before it is encoded: non-empty, not a dot segment, well-formed. */
export function segmentProblem(value: unknown): InputProblem | undefined {
  if (typeof value !== 'string' || value === '' || value === '.' || value === '..') return REQUEST_PROBLEMS.segment;
  if (value.length > REQUEST_LIMITS.segment) return REQUEST_PROBLEMS.segmentTooLong;
  return isWellFormed(value) ? undefined : REQUEST_PROBLEMS.illFormed;
}

/** A request body: absent, bytes, or well-formed text (it is sent as UTF-8). */
export function bodyProblem(value: unknown): InputProblem | undefined {
  if (value === undefined || value instanceof Uint8Array) return undefined;
  if (typeof value !== 'string') return REQUEST_PROBLEMS.body;
  return isWellFormed(value) ? undefined : REQUEST_PROBLEMS.illFormed;
}

/**
 * A provider client's JSON body: `undefined` stays absent; anything else is serialised, with an issue for
 * a GET (got refuses a GET body on its own, which would surface as a retryable transport error) or for a
 * value JSON cannot hold (BigInt, cycles).
 */
export function jsonBody(method: string, body: unknown, issues: InputIssue[]): string | undefined {
  if (body === undefined) return undefined;
  if (method === 'GET') issues.push({ field: 'body', message: 'a GET request cannot carry a body', hint: 'send the values in query instead' });
  try {
    return JSON.stringify(body);
  } catch {
    issues.push({ field: 'body', message: 'must be JSON-serialisable', hint: 'no BigInt values or cycles' });
    return undefined;
  }
}
