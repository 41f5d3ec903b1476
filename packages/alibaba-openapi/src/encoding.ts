/**
 * Percent-encoding exactly as Alibaba Cloud's signers use it. Three different encoders exist on the wire
 * and mixing them up is the classic source of `SignatureDoesNotMatch`, so each has its own name.
 */
import type { InputIssue } from '@cancelkit/core/plugin';
import { check, isWellFormed, refuse, segmentProblem } from './signing-input.js';

/**
 * RFC 3986 encoding used for canonical query strings and RPC V1 parameters: `encodeURIComponent` plus
 * `!'()*`, which `encodeURIComponent` leaves alone (openapi-util `encode`).
 */
export function percentEncode(value: string): string {
  // Most ids, regions and versions are all unreserved characters: skip encodeURIComponent (a runtime call)
  // and the replace for them; the result is the same string either way.
  if (typeof value === 'string' && isUnreserved(value)) return value;
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * `percentEncode`, or undefined for text that is not well-formed (a lone surrogate, which cannot be
 * UTF-8 encoded). Plain text (ids, regions) is returned on the one scan percentEncode makes anyway.
 */
export function percentEncodeWellFormed(value: string): string | undefined {
  if (isUnreserved(value)) return value;
  return isWellFormed(value) ? encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`) : undefined;
}

/** True when every character is RFC 3986 unreserved (`A-Z a-z 0-9 - . _ ~`), i.e. encoding leaves it unchanged. */
export function isUnreserved(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    // 0-9, A-Z, a-z, then - . _ ~
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 46 || c === 95 || c === 126) continue;
    return false;
  }
  return true;
}

/**
 * Encodes one path segment the way the official product SDKs do (`$dara.URL.percentEncode`:
 * `encodeURIComponent`, then `*` → `%2A`), except that every `*` is encoded, not only the first.
 *
 * `!'()` stay literal, as in the SDK: Node's URL parser sends them unchanged, so what we sign is exactly
 * what goes on the wire whether the server canonicalises the raw path or re-encodes it the SDK's way.
 *
 * Dot segments are refused: a URL parser resolves `.`/`..` (and `%2e%2e`), which would let an id step out
 * of its segment. So are empty segments, lone surrogates (not UTF-8 encodable) and segments over 2,048
 * characters, each with an InvalidInput.
 */
export function encodePathSegment(segment: string): string {
  const found = segmentProblem(segment);
  if (found !== undefined) throw refuse([{ field: 'segment', message: found.message, hint: found.hint }], 'path segment');
  return encodeURIComponent(segment).replace(/\*/g, '%2A');
}

/** `/a/b` from raw segments, each encoded exactly once; InvalidInput naming `pathSegments.<i>` for a bad one. */
export function buildPath(segments: readonly string[]): string {
  const issues: InputIssue[] = [];
  if (!Array.isArray(segments) || segments.length === 0) {
    check(issues, 'pathSegments', { message: 'must list at least one segment', hint: "e.g. ['openapi', 'ha3', 'instances', id]" });
  } else {
    for (let i = 0; i < segments.length; i++) check(issues, `pathSegments.${i}`, segmentProblem(segments[i]));
  }
  if (issues.length > 0) throw refuse(issues, 'path');
  return `/${segments.map((segment) => encodeURIComponent(segment).replace(/\*/g, '%2A')).join('/')}`;
}

/**
 * The ACS3 canonical URI of an already-encoded path, the current SDK's way (openapi-core
 * `getAuthorization`): `+` → `%20`, `*` → `%2A`, `%7E` → `~`, every occurrence.
 */
export function canonicalUri(encodedPath: string): string {
  const path = encodedPath === '' ? '/' : encodedPath;
  // Nothing to rewrite in the common case (`/` for RPC, plain ids for ROA): skip three regex passes.
  if (!path.includes('+') && !path.includes('*') && !path.includes('%7E')) return path;
  return path.replace(/\+/g, '%20').replace(/\*/g, '%2A').replace(/%7E/g, '~');
}

/** Canonical query string: `encode(k)=encode(v)` sorted by encoded key then value, joined by `&`. */
export function canonicalQuery(pairs: Iterable<readonly [string, string]>): string {
  const encoded: [string, string][] = [];
  for (const [k, v] of pairs) encoded.push([percentEncode(k), percentEncode(v)]);
  return joinSortedPairs(encoded);
}

/** `canonicalQuery` of a plain record (what signers get), without materialising `Object.entries` first. */
export function canonicalQueryOfRecord(query: Readonly<Record<string, string>> | undefined): string {
  if (query === undefined) return '';
  const encoded: [string, string][] = [];
  for (const key of Object.keys(query)) encoded.push([percentEncode(key), percentEncode(query[key] as string)]);
  return joinSortedPairs(encoded);
}

/** Sorts encoded pairs by key then value and joins them as `k=v&k=v`. */
export function joinSortedPairs(encoded: [string, string][]): string {
  encoded.sort(comparePairs);
  let out = '';
  for (let i = 0; i < encoded.length; i++) {
    const [k, v] = encoded[i] as [string, string];
    out += i === 0 ? `${k}=${v}` : `&${k}=${v}`;
  }
  return out;
}

function comparePairs(a: readonly [string, string], b: readonly [string, string]): number {
  return compareCodeUnits(a[0], b[0]) || compareCodeUnits(a[1], b[1]);
}

/** JS default sort order (UTF-16 code units), which is what the SDKs' `keys().sort()` uses. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Decodes one form/query component (`+` is a space); malformed escapes are kept as they are. */
export function decodeComponent(value: string): string {
  const spaced = value.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/** Parses a raw query (or form) string into decoded pairs, keeping duplicates and order. */
export function parseQueryPairs(raw: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const piece of raw.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const key = eq === -1 ? piece : piece.slice(0, eq);
    const value = eq === -1 ? '' : piece.slice(eq + 1);
    pairs.push([decodeComponent(key), decodeComponent(value)]);
  }
  return pairs;
}
