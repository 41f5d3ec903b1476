/**
 * Transport facts every plugin needs without loading an HTTP stack: the client type, endpoint checks and
 * the classification of network failures. (The client itself is in http-client.ts, so the light
 * `@cancelkit/core/plugin` entry does not import node:http.)
 */
import type { Got } from 'got';
import { CancelKitError } from './errors.js';

export type HttpClient = Got;

const BEFORE_SEND_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Turns a transport failure (got's RequestError, a socket error) into the taxonomy. A refused connection
 * cannot have reached the cloud; a reset or a timeout after sending may have, so it is `ambiguous`.
 */
export function transportError(error: unknown, what: string): CancelKitError {
  // got's RequestError carries the request options, headers included (Authorization, security tokens):
  // keep only what explains the failure, so no provider can leak a secret through `cause`.
  const raw = error as { name?: unknown; code?: unknown; message?: unknown } | undefined;
  const cause = {
    name: typeof raw?.name === 'string' ? raw.name : 'Error',
    code: typeof raw?.code === 'string' ? raw.code : undefined,
    message: typeof raw?.message === 'string' ? raw.message : String(error),
  };
  error = cause;
  const code = (error as { code?: unknown })?.code;
  const codeText = typeof code === 'string' ? code : 'UNKNOWN';
  if ((error as { name?: unknown })?.name === 'AbortError' || codeText === 'ERR_ABORTED') {
    return new CancelKitError('Transient', `${what} was aborted.`, { cause: error, ambiguous: true });
  }
  const beforeSend = BEFORE_SEND_CODES.has(codeText);
  const message = beforeSend
    ? `${what} could not connect (${codeText}).`
    : codeText === 'ETIMEDOUT'
      ? `${what} timed out; the cloud may or may not have applied it.`
      : `${what} failed on the network (${codeText}); the cloud may or may not have applied it.`;
  return new CancelKitError('Transient', message, {
    cause: error,
    ambiguous: !beforeSend,
    hint: beforeSend ? 'Check the endpoint and your network or proxy settings.' : undefined,
  });
}

/** Loopback hosts, the only ones that may be reached over plain http without `allowInsecureHttp`. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Validates an endpoint URL (from config or `--endpoint`): http(s) only, no credentials, no path
 * tricks; plain http only for loopback unless forced.
 */
export function checkEndpoint(endpoint: string, allowInsecureHttp: boolean, field = 'endpoint'): URL {
  let url: URL;
  try {
    url = new URL(endpoint.includes('://') ? endpoint : `https://${endpoint}`);
  } catch {
    // Echoed without any userinfo: `https://user:password@host:99999` does not parse, yet holds a password.
    // Everything up to the last "@" goes: a password may itself hold "/", "?", "#" or "@".
    const shown = endpoint.replace(/^([a-z][a-z0-9+.-]*:\/\/)?.*@/is, '$1[REDACTED]@');
    throw new CancelKitError('InvalidInput', `${field}: "${shown}" is not a URL`, {
      issues: [{ field, message: 'is not a URL', hint: 'use https://host[:port]' }],
    });
  }
  const problems: string[] = [];
  if (url.protocol !== 'https:' && url.protocol !== 'http:') problems.push(`protocol ${url.protocol} is not http(s)`);
  if (url.username || url.password) problems.push('must not contain credentials');
  if (url.protocol === 'http:' && !allowInsecureHttp && !isLoopbackHost(url.hostname)) {
    problems.push('plain http is only allowed for loopback addresses (use https, or force it with allowInsecureHttp)');
  }
  if (problems.length > 0) {
    throw new CancelKitError('InvalidInput', `${field}: ${problems.join('; ')}`, {
      issues: problems.map((message) => ({ field, message })),
    });
  }
  return url;
}
