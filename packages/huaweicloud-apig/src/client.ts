/**
 * One call to a Huawei Cloud API through its gateway: resolve credentials, build the URL (each path
 * segment encoded exactly once), sign (or attach the IAM token), send through core's shared got
 * instance, and map errors. Nothing here logs or throws a header, the SK or a token.
 */
import {
  type CallContext,
  CancelKitError,
  checkEndpoint,
  type ErrorCode,
  InvalidInput,
  transportError,
  Unauthenticated,
} from '@cancelkit/core/plugin';
import { type HuaweiCredentials, huaweiCredentialSource } from './credentials.js';
import { rfc3986Encode } from './encoding.js';
import { type HuaweiService, huaweiEndpoint } from './endpoints.js';
import { mapHuaweiError, parseRetryAfter } from './errors.js';
import { signSdkHmacSha256 } from './signer.js';

export type ApigMethod = 'GET' | 'DELETE' | 'POST' | 'PUT' | 'PATCH';

export interface ApigCall {
  readonly service: HuaweiService;
  readonly region: string;
  readonly method: ApigMethod;
  /** Raw path segments (`['v3', projectId, 'scheduled-jobs', jobId]`); each is percent-encoded once. */
  readonly pathSegments: readonly string[];
  /** Query parameters in wire order; undefined values are left out. */
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** JSON body. */
  readonly body?: unknown;
  /** Sent as X-Project-Id (signed), as the SDK's BasicCredentials do. */
  readonly projectId?: string;
  /** Provider code → class, for codes the caller knows (see mapHuaweiError). */
  readonly errorCodes?: Readonly<Record<string, ErrorCode>>;
  /** The API's name for logs and messages, e.g. `CancelScheduledTask`. */
  readonly operation?: string;
  /** The call changes nothing, so the host may retry it on its own (`CallContext.send`); default: a GET. */
  readonly readOnly?: boolean;
}

export interface ApigResponse<T> {
  readonly status: number;
  /** X-Request-Id of the answer ('' if the gateway sent none). */
  readonly requestId: string;
  /** Parsed JSON, or undefined for an empty body (204). */
  readonly body: T;
}

function encodeSegments(segments: readonly string[]): string {
  return segments
    .map((segment, index) => {
      if (segment === '' || segment === '.' || segment === '..') {
        throw new InvalidInput(`pathSegments.${index}: must not be empty, "." or ".."`, {
          issues: [{ field: `pathSegments.${index}`, message: 'must not be empty, "." or ".."' }],
        });
      }
      try {
        return rfc3986Encode(segment);
      } catch {
        throw new InvalidInput(`pathSegments.${index}: is not valid Unicode text`, {
          issues: [{ field: `pathSegments.${index}`, message: 'is not valid Unicode text' }],
        });
      }
    })
    .join('/');
}

function buildUrl(ctx: CallContext, call: ApigCall): URL {
  const base = ctx.endpoint !== undefined ? checkEndpoint(ctx.endpoint, ctx.allowInsecureHttp) : new URL(`https://${huaweiEndpoint(call.service, call.region)}`);
  const url = new URL(base.origin);
  url.pathname = `${base.pathname.replace(/\/+$/, '')}/${encodeSegments(call.pathSegments)}`;
  const query = Object.entries(call.query ?? {})
    .filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined)
    .map(([key, value]) => `${rfc3986Encode(key)}=${rfc3986Encode(String(value))}`)
    .join('&');
  url.search = query;
  return url;
}

function redactor(credentials: HuaweiCredentials): (text: string) => string {
  const secrets = [credentials.sk, credentials.securityToken, credentials.authToken].filter((s): s is string => !!s && s.length >= 4);
  return (text) => secrets.reduce((out, secret) => out.split(secret).join('[REDACTED]'), text);
}

function authHeaders(credentials: HuaweiCredentials, call: ApigCall, url: URL, baseHeaders: Record<string, string>, body: string | undefined, now: number): Record<string, string> {
  if (credentials.ak && credentials.sk) {
    const headers = { ...baseHeaders, ...(credentials.securityToken ? { 'x-security-token': credentials.securityToken } : {}) };
    const added = signSdkHmacSha256(
      { method: call.method, url, headers, ...(body !== undefined ? { body } : {}) },
      { ak: credentials.ak, sk: credentials.sk },
      { date: now },
    );
    return { ...headers, ...added };
  }
  if (credentials.authToken) return { ...baseHeaders, 'x-auth-token': credentials.authToken };
  throw new Unauthenticated(`Huawei Cloud credentials from ${credentials.source} hold neither an AK/SK pair nor an IAM token.`);
}

/**
 * One API call through the host's `ctx.send`: paced by the service's rate limit and, for a read, retried
 * there — signed afresh each time, since X-Sdk-Date is part of the signature.
 */
export function callApig<T>(ctx: CallContext, call: ApigCall): Promise<ApigResponse<T>> {
  return ctx.send(() => callApigOnce<T>(ctx, call), { readOnly: call.readOnly ?? call.method === 'GET' });
}

async function callApigOnce<T>(ctx: CallContext, call: ApigCall): Promise<ApigResponse<T>> {
  const operation = call.operation ?? `${call.method} ${call.service}`;
  const url = buildUrl(ctx, call);
  const credentials = await ctx.credentials(huaweiCredentialSource);
  const body = call.body === undefined ? undefined : JSON.stringify(call.body);
  const baseHeaders: Record<string, string> = {
    'content-type': 'application/json',
    ...(call.projectId !== undefined ? { 'x-project-id': call.projectId } : {}),
  };
  const headers = authHeaders(credentials, call, url, baseHeaders, body, ctx.clock.now());

  const client = await ctx.http();
  const started = ctx.clock.now();
  let response: { statusCode: number; headers: Record<string, string | string[] | undefined>; body: string };
  try {
    response = (await client(url, {
      method: call.method,
      headers,
      ...(body !== undefined ? { body } : {}),
      signal: ctx.signal,
      timeout: { request: ctx.timeoutMs },
      responseType: 'text',
    })) as unknown as typeof response;
  } catch (error) {
    ctx.logger.debug('huaweicloud request failed on the network', { operation, method: call.method, path: url.pathname });
    // core's transportError keeps only name, code and message of got's error (which holds our headers).
    throw transportError(error, `Huawei Cloud ${operation}`);
  }

  const header = (name: string) => {
    const value = response.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const text = response.body ?? '';
  let parsed: unknown;
  let parseFailed = false;
  if (text.trim() !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      parseFailed = true;
    }
  }
  const requestId =
    header('x-request-id') ??
    (typeof parsed === 'object' && parsed !== null && typeof (parsed as { request_id?: unknown }).request_id === 'string'
      ? (parsed as { request_id: string }).request_id
      : '');
  const status = response.statusCode;
  ctx.logger.debug('huaweicloud request', {
    operation,
    method: call.method,
    path: url.pathname,
    status,
    requestId,
    durationMs: ctx.clock.now() - started,
  });

  if (status >= 200 && status < 300) {
    if (parseFailed) {
      throw new CancelKitError('Unknown', `Huawei Cloud ${operation} answered ${status} with a body that is not JSON.`, {
        httpStatus: status,
        ...(requestId ? { requestId } : {}),
      });
    }
    return { status, requestId, body: parsed as T };
  }
  const retryAfterMs = parseRetryAfter(header('retry-after'), ctx.clock.now());
  throw mapHuaweiError(status, parsed, requestId || undefined, {
    ...(call.errorCodes ? { errorCodes: call.errorCodes } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    redact: redactor(credentials),
  });
}
