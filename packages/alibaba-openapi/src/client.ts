/**
 * `callRpc` / `callRoa`: one signed Alibaba Cloud OpenAPI request through the host's transport. No
 * retries here except one: `SignatureNonceUsed` is re-signed once with a fresh nonce (the cloud asks for
 * exactly that). Every other retry decision belongs to the engine, which sees the classified error.
 */
import { type CallContext, CancelKitError, checkEndpoint, type ErrorCode, type InputIssue, invalidInput, isCancelKitError, jsonBody, transportError } from '@cancelkit/core/plugin';
import { signAcs3 } from './acs3.js';
import { type AlibabaCredentials, alibabaCredentialSource } from './credentials.js';
import { buildPath, percentEncode } from './encoding.js';
import { type AlibabaProduct, ALIBABA_PRODUCTS, alibabaEndpoint } from './endpoints.js';
import { errorCodeInSuccessBody, mapAlibabaError, readAlibabaError, retryAfterMs, scrubSecrets } from './errors.js';
import { PROBLEMS, SIGNING_LIMITS, isPollutionKey, isRecord, queryValueProblem, segmentProblem } from './signing-input.js';

export interface AlibabaResponse<T> {
  readonly status: number;
  /** The cloud's request id (body `RequestId`/`requestId`, else the `x-acs-request-id` header; '' if none). */
  readonly requestId: string;
  readonly body: T;
}

export interface RpcCall {
  readonly product: AlibabaProduct;
  readonly version: string;
  readonly action: string;
  /** Picks the default endpoint; falls back to providers.alibaba.regionId, then ALIBABA_CLOUD_REGION_ID. */
  readonly regionId?: string;
  /** Sent in the query string, as the current SDKs do. `undefined` values are dropped. */
  readonly params: Readonly<Record<string, string | number | boolean | undefined>>;
  /** Map provider codes to taxonomy codes for this call (service-specific state errors → 'NotCancellable', …). */
  readonly errorCodes?: Readonly<Record<string, ErrorCode>>;
  /** A describe / list call that changes nothing: the host may retry it on its own (see `CallContext.send`). */
  readonly readOnly?: boolean;
}

export interface RoaCall {
  readonly product: AlibabaProduct;
  readonly version: string;
  readonly action: string;
  readonly regionId?: string;
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** Raw path segments (NOT encoded); callRoa percent-encodes each exactly once, so no id can escape its segment. */
  readonly pathSegments: readonly string[];
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  /** JSON-serialised when present. */
  readonly body?: unknown;
  readonly errorCodes?: Readonly<Record<string, ErrorCode>>;
  /** A describe / list call that changes nothing: the host may retry it on its own (see `CallContext.send`). */
  readonly readOnly?: boolean;
}

const ACTION = /^[A-Za-z][A-Za-z0-9]{0,127}$/;
const VERSION = /^\d{4}-\d{2}-\d{2}$/;
const PARAM_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

type Issue = InputIssue;

/** One InvalidInput naming every issue. Core's invalidInput escapes and caps what the caller gave (names, the action). */
function invalid(action: unknown, issues: Issue[]): CancelKitError {
  return invalidInput(issues, `${typeof action === 'string' && ACTION.test(action) ? action : 'Alibaba Cloud'} call`);
}

/** A call that is not even an object. */
function notACall(): CancelKitError {
  return invalid(undefined, [{ field: 'call', message: 'must be an object describing the call', hint: 'pass { product, version, action, … }' }]);
}

function checkCommon(call: { product: unknown; action: unknown; version: unknown }, issues: Issue[]): void {
  if (!ALIBABA_PRODUCTS.includes(call.product as AlibabaProduct)) {
    issues.push({ field: 'product', message: `must be one of ${ALIBABA_PRODUCTS.join(', ')}`, hint: 'use the product code of the API' });
  }
  if (typeof call.action !== 'string' || !ACTION.test(call.action)) {
    issues.push({ field: 'action', message: 'must be an API name such as CancelTask', hint: 'letters and digits only, starting with a letter' });
  }
  if (typeof call.version !== 'string' || !VERSION.test(call.version)) {
    issues.push({ field: 'version', message: 'must be an API version such as 2014-05-26', hint: 'use the date-shaped version the API documents' });
  }
}

function toQuery(
  values: Readonly<Record<string, string | number | boolean | undefined>>,
  field: string,
  issues: Issue[],
): Record<string, string> {
  const query: Record<string, string> = {};
  if (!isRecord(values)) {
    issues.push({ field, ...PROBLEMS.notRecord });
    return query;
  }
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    if (!PARAM_NAME.test(name) || isPollutionKey(name)) {
      issues.push({ field: `${field}.${name.slice(0, 100)}`, message: 'is not a valid parameter name', hint: 'letters, digits, . _ and -; not __proto__, constructor or prototype' });
      continue;
    }
    if (typeof value === 'number' && !Number.isFinite(value)) {
      issues.push({ field: `${field}.${name.slice(0, 100)}`, message: 'must be a finite number', hint: 'pass a number, or leave it out' });
      continue;
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      issues.push({ field: `${field}.${name.slice(0, 100)}`, message: 'must be a string, number or boolean', hint: 'convert it first, or leave it out' });
      continue;
    }
    // Lone surrogates cannot be percent-encoded, and huge values make a URL no server takes.
    const text = String(value);
    const found = queryValueProblem(text);
    if (found !== undefined) {
      issues.push({ field: `${field}.${name.slice(0, 100)}`, ...found });
      continue;
    }
    query[name] = text;
  }
  return query;
}

/** A URL longer than servers take is refused here, naming the caller's field, rather than by the signer. */
function checkUrlLength(path: string, query: Readonly<Record<string, string>>, field: string, issues: Issue[]): void {
  let length = path.length;
  for (const name of Object.keys(query)) length += percentEncode(name).length + percentEncode(query[name] as string).length + 2;
  if (length > SIGNING_LIMITS.url) issues.push({ field, ...PROBLEMS.urlTooLong });
}

function regionOf(ctx: CallContext, regionId: string | undefined): string | undefined {
  if (regionId !== undefined && regionId !== '') return regionId;
  const configured = ctx.providerConfig.regionId;
  if (typeof configured === 'string' && configured !== '') return configured;
  const fromEnv = ctx.env.ALIBABA_CLOUD_REGION_ID;
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

/**
 * The origin to send to: the user's endpoint or the host's endpoint source (through `ctx.endpointFor`,
 * checked by core's rules), else the product's default host. Asked per request, so a source may route
 * each region (or product) differently.
 */
function baseUrl(ctx: CallContext, product: AlibabaProduct, regionId: string | undefined): URL {
  const region = regionOf(ctx, regionId);
  // A context from an older core (or built by hand) has no endpointFor: its override is all there is.
  const endpoint = ctx.endpointFor?.({ product, region }) ?? ctx.endpoint;
  if (endpoint !== undefined) {
    const url = checkEndpoint(endpoint, ctx.allowInsecureHttp);
    if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
      throw new CancelKitError('InvalidInput', `endpoint: "${endpoint}" must be scheme://host[:port] without a path or query`, {
        issues: [{ field: 'endpoint', message: 'must not contain a path, query or fragment', hint: 'e.g. http://127.0.0.1:8787' }],
      });
    }
    return url;
  }
  return new URL(`https://${alibabaEndpoint(product, region)}`);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A transport error stripped to name, code and message: got's error holds the request options (headers with tokens). */
function sanitized(error: unknown, secrets: readonly string[]): Error {
  const e = error as { name?: unknown; code?: unknown; message?: unknown };
  const clean = new Error(scrubSecrets(typeof e?.message === 'string' ? e.message : 'transport error', secrets));
  clean.name = typeof e?.name === 'string' ? e.name : 'Error';
  return typeof e?.code === 'string' ? Object.assign(clean, { code: e.code }) : clean;
}

interface Prepared {
  readonly style: 'rpc' | 'roa';
  readonly product: AlibabaProduct;
  readonly action: string;
  readonly version: string;
  readonly regionId: string | undefined;
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly body?: string;
  readonly contentType?: string;
  readonly errorCodes: Readonly<Record<string, ErrorCode>> | undefined;
  readonly readOnly: boolean;
}

/**
 * Each request goes through the host's `ctx.send`: it is paced by the service's rate limit, and a read-only
 * one is retried there, signed afresh each time (new nonce and date), so a throttled page costs one page.
 */
function send<T>(ctx: CallContext, call: Prepared): Promise<AlibabaResponse<T>> {
  return ctx.send(() => sendOnce<T>(ctx, call), { readOnly: call.readOnly });
}

async function sendOnce<T>(ctx: CallContext, call: Prepared): Promise<AlibabaResponse<T>> {
  const base = baseUrl(ctx, call.product, call.regionId);
  const credentials: AlibabaCredentials = await ctx.credentials(alibabaCredentialSource);
  ctx.addSecret(credentials.accessKeySecret);
  ctx.addSecret(credentials.securityToken);
  const secrets = [credentials.accessKeySecret, ...(credentials.securityToken ? [credentials.securityToken] : [])];
  const http = await ctx.http();
  const queryString = Object.entries(call.query)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
    .join('&');
  const url = `${base.origin}${call.path}${queryString ? `?${queryString}` : ''}`;
  const host = base.host;

  for (let attempt = 1; ; attempt++) {
    let headers: Record<string, string>;
    try {
      headers = signAcs3(
        {
          method: call.method,
          host,
          path: call.path,
          query: call.query,
          ...(call.contentType ? { headers: { 'content-type': call.contentType } } : {}),
          ...(call.body !== undefined ? { body: call.body } : {}),
          action: call.action,
          version: call.version,
        },
        credentials,
      );
    } catch (error) {
      // signAcs3 refuses with an InvalidInput naming the field (never echoing a credential): nothing is sent.
      if (isCancelKitError(error)) throw error;
      throw new CancelKitError('InvalidInput', `${call.action}: the request cannot be signed.`);
    }
    const started = ctx.clock.now();
    let response: { statusCode: number; body: string; headers: Record<string, string | string[] | undefined> };
    try {
      response = await http(url, {
        method: call.method as 'GET' | 'PUT' | 'POST' | 'DELETE',
        headers,
        ...(call.body !== undefined ? { body: call.body } : call.method === 'GET' ? {} : { body: '' }),
        signal: ctx.signal,
        timeout: { request: ctx.timeoutMs },
        throwHttpErrors: false,
        retry: { limit: 0 },
        followRedirect: false,
        responseType: 'text',
      });
    } catch (error) {
      const clean = sanitized(error, secrets);
      ctx.logger.debug('alibaba openapi request failed', {
        method: call.method,
        host,
        action: call.action,
        attempt,
        errorCode: (clean as { code?: string }).code ?? clean.name,
        durationMs: ctx.clock.now() - started,
      });
      throw transportError(clean, call.action);
    }

    const status = response.statusCode;
    const requestIdHeader = headerValue(response.headers['x-acs-request-id']);
    const text = response.body ?? '';
    let parsed: unknown = {};
    let parseable = true;
    if (text.trim() !== '') {
      try {
        parsed = JSON.parse(text) as unknown;
      } catch {
        parseable = false;
        parsed = {};
      }
    }
    const requestId = readAlibabaError(parsed).requestId ?? requestIdHeader ?? '';
    ctx.logger.debug('alibaba openapi request', {
      method: call.method,
      host,
      action: call.action,
      status,
      requestId,
      attempt,
      durationMs: ctx.clock.now() - started,
    });

    const ok = status >= 200 && status < 300;
    const disguised = ok ? errorCodeInSuccessBody(parsed, call.style) : undefined;
    if (ok && disguised === undefined) {
      if (!parseable) {
        // The call may well have been applied: say so, so the engine reconciles through inspect.
        throw new CancelKitError('Unknown', `${call.action} answered HTTP ${status} with a body that is not JSON.`, {
          httpStatus: status,
          ambiguous: true,
          ...(requestId ? { requestId } : {}),
        });
      }
      return { status, requestId, body: parsed as T };
    }
    const error = mapAlibabaError(status, parsed, requestIdHeader, call.errorCodes, {
      action: call.action,
      retryAfterMs: retryAfterMs(response.headers, Date.now()),
      secrets,
    });
    if (error.providerCode === 'SignatureNonceUsed' && attempt === 1) {
      ctx.logger.debug('alibaba openapi nonce reused; re-signing once with a fresh nonce', { action: call.action, requestId });
      continue;
    }
    throw error;
  }
}

/** Calls an RPC-style API (`POST /?<params>`), signed with ACS3-HMAC-SHA256. */
export async function callRpc<T = Record<string, unknown>>(ctx: CallContext, call: RpcCall): Promise<AlibabaResponse<T>> {
  if (!isRecord(call)) throw notACall();
  const issues: Issue[] = [];
  checkCommon(call, issues);
  const query = toQuery(call.params ?? {}, 'params', issues);
  checkUrlLength('/', query, 'params', issues);
  if (issues.length > 0) throw invalid(call.action, issues);
  return send<T>(ctx, {
    style: 'rpc',
    product: call.product,
    action: call.action,
    version: call.version,
    regionId: call.regionId,
    method: 'POST',
    path: '/',
    query,
    errorCodes: call.errorCodes,
    readOnly: call.readOnly === true,
  });
}

/** Calls a ROA-style API (method + path), signed with ACS3-HMAC-SHA256. Each path segment is encoded once. */
export async function callRoa<T = Record<string, unknown>>(ctx: CallContext, call: RoaCall): Promise<AlibabaResponse<T>> {
  if (!isRecord(call)) throw notACall();
  const issues: Issue[] = [];
  checkCommon(call, issues);
  if (!['GET', 'PUT', 'POST', 'DELETE'].includes(call.method)) issues.push({ field: 'method', message: 'must be GET, PUT, POST or DELETE', hint: 'use one of those, in upper case' });
  let path = '/';
  if (!Array.isArray(call.pathSegments) || call.pathSegments.length === 0) {
    issues.push({ field: 'pathSegments', message: 'must list at least one segment', hint: "e.g. ['openapi', 'ha3', 'instances', id]" });
  } else {
    call.pathSegments.forEach((segment, index) => {
      const found = segmentProblem(segment);
      if (found !== undefined) issues.push({ field: `pathSegments.${index}`, ...found });
    });
    if (issues.every((i) => !i.field.startsWith('pathSegments'))) path = buildPath(call.pathSegments);
    if (path.length > SIGNING_LIMITS.path) issues.push({ field: 'pathSegments', ...PROBLEMS.pathTooLong });
  }
  const query = toQuery(call.query ?? {}, 'query', issues);
  checkUrlLength(path, query, 'query', issues);
  const body = jsonBody(call.method, call.body, issues);
  if (issues.length > 0) throw invalid(call.action, issues);
  return send<T>(ctx, {
    style: 'roa',
    product: call.product,
    action: call.action,
    version: call.version,
    regionId: call.regionId,
    method: call.method,
    path,
    query,
    ...(body !== undefined ? { body, contentType: 'application/json; charset=utf-8' } : {}),
    errorCodes: call.errorCodes,
    // A GET changes nothing by HTTP's own rules; other methods are reads only when the caller says so.
    readOnly: call.readOnly ?? call.method === 'GET',
  });
}
