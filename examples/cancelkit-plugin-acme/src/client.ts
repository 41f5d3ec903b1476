/**
 * The Acme client: one authenticated HTTP call through the host's shared transport, and the mapping of
 * Acme's errors into cancelkit's taxonomy.
 */
import { type CallContext, CancelKitError, type CancelKitErrorOptions, checkEndpoint, type ErrorCode, transportError } from '@cancelkit/core/plugin';
import { ACME_ENV, acmeCredentialSource } from './credentials.js';
import { ACME_ERRORS, type AcmeBody, DEFAULT_ENDPOINT, REQUEST_ID_HEADER } from './wire.js';

export interface AcmeReply {
  readonly status: number;
  readonly body: AcmeBody;
  readonly requestId?: string;
  readonly retryAfterMs?: number;
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Sends one call to Acme. Answers of any status come back as a reply; only the network throws. */
export async function acmeCall(ctx: CallContext, method: 'GET' | 'POST', path: string): Promise<AcmeReply> {
  // The user's override, else the host's endpoint source (ctx.endpointFor; a context from an older core
  // has only ctx.endpoint), else the provider's own setting or default.
  const endpoint =
    ctx.endpointFor?.({}) ?? ctx.endpoint ?? (typeof ctx.providerConfig.endpoint === 'string' ? ctx.providerConfig.endpoint : DEFAULT_ENDPOINT);
  const base = checkEndpoint(endpoint, ctx.allowInsecureHttp);
  const credentials = await ctx.credentials(acmeCredentialSource);
  const http = await ctx.http();
  let response: { statusCode: number; body: string; headers: Record<string, string | string[] | undefined> };
  try {
    response = await http(new URL(path, base).href, {
      method,
      headers: { authorization: `Bearer ${credentials.apiKeyId}:${credentials.apiKeySecret}`, accept: 'application/json' },
      timeout: { request: ctx.timeoutMs },
      signal: ctx.signal,
    });
  } catch (error) {
    // Pass on only the error's code: got's error object holds the request, Authorization header included.
    const { code, name } = error as { code?: unknown; name?: unknown };
    throw transportError({ code, name }, `Acme ${method} ${path}`);
  }
  let body: AcmeBody = {};
  try {
    body = response.body === '' ? {} : (JSON.parse(response.body) as AcmeBody);
  } catch {
    body = { error: { code: 'InvalidResponse', message: `Acme answered HTTP ${response.statusCode} with a body that is not JSON.` } };
  }
  const requestId = headerText(response.headers[REQUEST_ID_HEADER]) ?? body.requestId;
  const retryAfter = Number(headerText(response.headers['retry-after']));
  ctx.logger.debug('acme call', { method, path, status: response.statusCode, requestId });
  return {
    status: response.statusCode,
    body,
    ...(requestId ? { requestId } : {}),
    ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
  };
}

function codeFor(status: number, providerCode: string | undefined): ErrorCode {
  if (status === 401) return 'Unauthenticated';
  if (status === 403) return 'PermissionDenied';
  if (status === 404 && providerCode === ACME_ERRORS.notFound.code) return 'NotFound';
  if (status === 409) return 'NotCancellable';
  if (status === 429) return 'Throttled';
  if (status >= 500) return 'Transient';
  return 'Unknown';
}

/** An error answer from Acme in the taxonomy, keeping Acme's code, message and request id. */
export function acmeError(reply: AcmeReply, what: string): CancelKitError {
  const providerCode = reply.body.error?.code;
  const providerMessage = reply.body.error?.message;
  const code = codeFor(reply.status, providerCode);
  const options: CancelKitErrorOptions = {
    httpStatus: reply.status,
    ...(providerCode ? { providerCode } : {}),
    ...(providerMessage ? { providerMessage } : {}),
    ...(reply.requestId ? { requestId: reply.requestId } : {}),
    ...(reply.retryAfterMs !== undefined ? { retryAfterMs: reply.retryAfterMs } : {}),
    ...(code === 'Unauthenticated'
      ? { hint: `Check ${ACME_ENV.apiKeyId} / ${ACME_ENV.apiKeySecret} or providers.acme in cancelkit.config.json.` }
      : {}),
  };
  const detail = [providerCode, providerMessage ? `(${providerMessage})` : undefined].filter(Boolean).join(' ');
  return new CancelKitError(code, `${what}: Acme answered HTTP ${reply.status}${detail ? ` ${detail}` : ''}`, options);
}
