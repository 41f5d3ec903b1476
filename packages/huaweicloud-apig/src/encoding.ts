/**
 * The percent-encoding Huawei's SDK-HMAC-SHA256 canonical forms use: RFC 3986, everything except
 * `A-Z a-z 0-9 - . _ ~` becomes `%XX` (upper-case hex, UTF-8). `encodeURIComponent` leaves `!'()*` alone,
 * so those five are escaped on top.
 */
export function rfc3986Encode(value: string): string {
  // Ids, uuids and most query values need no escaping: skip encodeURIComponent (a runtime call) and the
  // replace for them; the result is the same string either way.
  if (typeof value === 'string' && isUnreserved(value, false)) return value;
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Decodes a percent-encoded component without turning `+` into a space (the gateway and the SDK both
 * treat `+` literally; URLSearchParams would not). Malformed escapes return undefined.
 */
export function percentDecode(value: string): string | undefined {
  // Without a `%` there is nothing to decode (and nothing malformed).
  if (typeof value === 'string' && !value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** A raw query string (no `?`) as ordered [key, value] pairs, decoded once; undecodable parts stay raw. */
export function parseRawQuery(rawQuery: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq === -1 ? part : part.slice(0, eq);
    const rawValue = eq === -1 ? '' : part.slice(eq + 1);
    pairs.push([percentDecode(rawKey) ?? rawKey, percentDecode(rawValue) ?? rawValue]);
  }
  return pairs;
}

/**
 * True when every character is RFC 3986 unreserved (`A-Z a-z 0-9 - . _ ~`), so encoding leaves the value
 * unchanged; with `allowSlash`, `/` is accepted too (a whole path of such segments).
 */
export function isUnreserved(value: string, allowSlash: boolean): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    // 0-9, A-Z, a-z, then - . _ ~
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 46 || c === 95 || c === 126) continue;
    if (c === 47 && allowSlash) continue;
    return false;
  }
  return true;
}
