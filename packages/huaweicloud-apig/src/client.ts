/**
 * One call to a Huawei Cloud API through its gateway: resolve credentials, build the URL (each path
 * segment encoded exactly once), sign (or attach the IAM token), send through core's shared got
 * instance, and map errors. Nothing here logs or throws a header, the SK or a token.
 */
import { type CallContext, CancelKitError, checkEndpoint, type ErrorCode, type InputIssue, invalidInput, jsonBody, transportError, Unauthenticated } from '@cancelkit/core/plugin';
import { type HuaweiCredentials, huaweiCredentialSource } from './credentials.js';
import { rfc3986Encode } from './encoding.js';
import { type HuaweiService, huaweiEndpoint } from './endpoints.js';
import { mapHuaweiError, parseRetryAfter } from './errors.js';
import { signSdkHmacSha256 } from './signer.js';
import { PROBLEMS, SIGNING_LIMITS, check, isRecord, queryNameProblem, queryValueProblem, refuse, segmentProblem, tokenProblem } from './signing-input.js';

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

const METHODS: readonly string[] = ['GET', 'DELETE', 'POST', 'PUT', 'PATCH'];
const OPERATION = /^[\x20-\x7e]{1,128}$/;

/** A call checked and encoded, before anything is resolved or sent. */
interface CheckedCall {
  /** `/a/b`, each raw segment encoded exactly once. */
  readonly path: string;
  /** Encoded query string without `?`. */
  readonly search: string;
  readonly body: string | undefined;
  readonly operation: string;
}

/**
 * Every field of the call at once: one InvalidInput naming each bad one (escaped and capped by core),
 * thrown before credentials are resolved or anything is paced, signed or sent.
 */
function checkCall(call: ApigCall): CheckedCall {
  if (!isRecord(call)) throw refuse([{ field: 'call', message: 'must be an object describing the call', hint: 'pass { service, region, method, pathSegments, … }' }], 'Huawei Cloud call');
  const issues: InputIssue[] = [];
  if (!METHODS.includes(call.method)) issues.push({ field: 'method', message: 'must be GET, DELETE, POST, PUT or PATCH', hint: 'use one of those, in upper case' });
  const segments: string[] = [];
  if (!Array.isArray(call.pathSegments) || call.pathSegments.length === 0) {
    issues.push({ field: 'pathSegments', message: 'must list at least one segment', hint: "e.g. ['v3', projectId, 'scheduled-jobs', jobId]" });
  } else {
    call.pathSegments.forEach((segment: unknown, index) => {
      const found = segmentProblem(segment);
      if (found === undefined) segments.push(rfc3986Encode(segment as string));
      else check(issues, `pathSegments.${index}`, found);
    });
  }
  const pairs: string[] = [];
  const query = call.query as unknown;
  if (query !== undefined) {
    if (!isRecord(query)) check(issues, 'query', PROBLEMS.notRecord);
    else {
      for (const [name, value] of Object.entries(query)) {
        if (value === undefined) continue;
        const field = `query.${name}`;
        const found = queryNameProblem(name);
        if (found !== undefined) check(issues, field, found);
        else if (typeof value === 'number' && !Number.isFinite(value)) issues.push({ field, message: 'must be a finite number', hint: 'pass a number, or leave it out' });
        else if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') check(issues, field, { message: 'must be a string, number or boolean', hint: 'convert it first' });
        else {
          const text = String(value);
          const bad = queryValueProblem(text);
          if (bad === undefined) pairs.push(`${rfc3986Encode(name)}=${rfc3986Encode(text)}`);
          else check(issues, field, bad);
        }
      }
    }
  }
  // The project id is sent (and signed) as the X-Project-Id header.
  if (call.projectId !== undefined) check(issues, 'projectId', tokenProblem(call.projectId));
  if (call.operation !== undefined && (typeof call.operation !== 'string' || !OPERATION.test(call.operation))) {
    issues.push({ field: 'operation', message: 'must be 1 to 128 printable ASCII characters', hint: 'e.g. CancelScheduledTask' });
  }
  const body = jsonBody(call.method, call.body, issues);
  // A URL longer than servers take is refused here, naming the caller's field, rather than by the signer.
  const path = segments.join('/');
  const search = pairs.join('&');
  if (path.length + 1 > SIGNING_LIMITS.url) check(issues, 'pathSegments', PROBLEMS.urlTooLong);
  else if (path.length + search.length + 2 > SIGNING_LIMITS.url) check(issues, 'query', PROBLEMS.urlTooLong);
  // Named for messages and logs; built only from values that passed (a Symbol cannot even be printed).
  const fallback = `${METHODS.includes(call.method) ? call.method : '?'} ${typeof call.service === 'string' ? call.service : '?'}`;
  const operation = typeof call.operation === 'string' && OPERATION.test(call.operation) ? call.operation : OPERATION.test(fallback) ? fallback : 'Huawei Cloud';
  if (issues.length > 0) throw invalidInput(issues, `${operation} call`);
  return { path, search, body, operation };
}

/**
 * The user's endpoint or the host's endpoint source (through `ctx.endpointFor`, checked by core's rules),
 * else the SDK's region table. Asked per request, so a source may route each region differently.
 */
function buildUrl(ctx: CallContext, call: ApigCall, checked: CheckedCall): URL {
  // A context from an older core (or built by hand) has no endpointFor: its override is all there is.
  const endpoint = ctx.endpointFor?.({ product: call.service, region: call.region }) ?? ctx.endpoint;
  const base = endpoint !== undefined ? checkEndpoint(endpoint, ctx.allowInsecureHttp) : new URL(`https://${huaweiEndpoint(call.service, call.region)}`);
  const url = new URL(base.origin);
  url.pathname = `${base.pathname.replace(/\/+$/, '')}/${checked.path}`;
  url.search = checked.search;
  return url;
}

/** Tokens from a credential source that could not be sent as headers: refused by name, never echoed. */
function checkTokens(credentials: HuaweiCredentials): void {
  const issues: InputIssue[] = [];
  if (credentials.securityToken) check(issues, 'securityToken', tokenProblem(credentials.securityToken));
  if (credentials.authToken) check(issues, 'authToken', tokenProblem(credentials.authToken));
  if (issues.length > 0) throw invalidInput(issues, `Huawei Cloud credentials from ${credentials.source}`);
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
  // Hostile input is refused here, before the host paces, retries or sends anything.
  let checked: CheckedCall;
  try {
    checked = checkCall(call);
  } catch (error) {
    return Promise.reject(error);
  }
  return ctx.send(() => callApigOnce<T>(ctx, call, checked), { readOnly: call.readOnly ?? call.method === 'GET' });
}

async function callApigOnce<T>(ctx: CallContext, call: ApigCall, checked: CheckedCall): Promise<ApigResponse<T>> {
  const { operation, body } = checked;
  const url = buildUrl(ctx, call, checked);
  const credentials = await ctx.credentials(huaweiCredentialSource);
  checkTokens(credentials);
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
      // The call may well have been applied: say so, so the engine reconciles through inspect.
      throw new CancelKitError('Unknown', `Huawei Cloud ${operation} answered ${status} with a body that is not JSON.`, {
        httpStatus: status,
        ambiguous: true,
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
