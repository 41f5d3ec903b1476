/**
 * The percent-encoding Huawei's SDK-HMAC-SHA256 canonical forms use: RFC 3986, everything except
 * `A-Z a-z 0-9 - . _ ~` becomes `%XX` (upper-case hex, UTF-8). `encodeURIComponent` leaves `!'()*` alone,
 * so those five are escaped on top.
 */
export function rfc3986Encode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Decodes a percent-encoded component without turning `+` into a space (the gateway and the SDK both
 * treat `+` literally; URLSearchParams would not). Malformed escapes return undefined.
 */
export function percentDecode(value: string): string | undefined {
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
