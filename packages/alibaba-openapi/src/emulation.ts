/**
 * `@cancelkit/alibaba-openapi/emulation`: how Alibaba Cloud reads, authenticates and answers requests,
 * for `@cancelkit/emulator`. RPC calls arrive at `/` (action in `x-acs-action`, the query or the form body);
 * ROA calls are routed by method and path. Both accept ACS3 and the legacy V1 signatures, because the
 * official SDKs still send all three (wire doc §0).
 *
 * Only node:crypto and type-level core imports: cheap to load.
 */
import { randomUUID } from 'node:crypto';
import {
  type AuthContext,
  type AuthVerdict,
  EmulatedError,
  type EmulationProtocol,
  type EmulatorClientSettings,
  type EmulatorCredential,
  type EmulatorRequest,
  type EmulatorResponse,
  type IdentifiedCall,
} from '@cancelkit/core/emulation';
import { verifyAcs3 } from './acs3.js';
import { parseQueryPairs } from './encoding.js';
import { rpcParams, verifyRoaV1, verifyRpcV1 } from './v1.js';
import { AUTH_ERRORS, type AlibabaVerdict } from './verdict.js';

/** An emulated error that also tells the client when to retry (`x-acs-retry-after`, ms), as throttling may. */
export class AlibabaEmulatedError extends EmulatedError {
  constructor(
    status: number,
    code: string,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(status, code, message);
  }
}

export function toAuthVerdict(verdict: AlibabaVerdict): AuthVerdict {
  return verdict.ok
    ? { ok: true, accessKeyId: verdict.accessKeyId, scheme: verdict.scheme }
    : { ok: false, scheme: verdict.scheme, error: new EmulatedError(verdict.status, verdict.code, verdict.message) };
}

/** Signing and common parameters of RPC V1: not business parameters, and `SecurityToken` is a secret. */
const PROTOCOL_PARAMS = new Set([
  'Action',
  'Version',
  'Format',
  'Timestamp',
  'SignatureNonce',
  'SignatureMethod',
  'SignatureVersion',
  'SignatureType',
  'AccessKeyId',
  'Signature',
  'SecurityToken',
]);

const JSON_CONTENT_TYPE = 'application/json;charset=utf-8';

function isRootPath(request: EmulatorRequest): boolean {
  return request.rawPath === '/' || request.rawPath === '';
}

function authorization(request: EmulatorRequest): string | undefined {
  return request.headers.authorization;
}

function isAlibabaAuthorization(value: string): boolean {
  return value.startsWith('ACS3-') || value.startsWith('acs ');
}

/** Signs of another cloud's request (Huawei APIG signing or IAM token): leave it to that protocol. */
function looksForeign(request: EmulatorRequest): boolean {
  const auth = authorization(request);
  if (auth !== undefined && !isAlibabaAuthorization(auth)) return true;
  return request.headers['x-auth-token'] !== undefined || request.headers['x-sdk-date'] !== undefined;
}

function hasAcsHeaders(request: EmulatorRequest): boolean {
  return Object.keys(request.headers).some((name) => name.startsWith('x-acs-'));
}

function responseHeaders(requestId: string): Record<string, string> {
  return { 'content-type': JSON_CONTENT_TYPE, 'x-acs-request-id': requestId };
}

function retryHeader(error: EmulatedError): Record<string, string> {
  const ms = (error as { retryAfterMs?: unknown }).retryAfterMs;
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? { 'x-acs-retry-after': String(Math.round(ms)) } : {};
}

function newRequestId(): string {
  return randomUUID().toUpperCase();
}

const apiNotFound = () => new EmulatedError(404, 'InvalidAction.NotFound', 'Specified api is not found, please check your url and method.');
const throttled = () => new AlibabaEmulatedError(400, 'Throttling.User', 'Request was denied due to user flow control.');
const serverError = () => new EmulatedError(503, 'ServiceUnavailable', 'The request has failed due to a temporary failure of the server.');
/** RAM's refusal of an action the caller's policy does not grant: the code and text every Alibaba product answers. */
const forbidden = () => new EmulatedError(403, 'Forbidden.RAM', "User not authorized to operate on the specified resource, or this API doesn't support RAM.");

/**
 * How an Alibaba Cloud client uses an emulator key: `providers.alibaba` as this package's credential
 * source reads it, and the variables the official SDKs and aliyun CLI read. The names are repeated here
 * rather than imported so this module stays cheap to load; the unit test resolves both forms through
 * `alibabaCredentialSource`, so they cannot drift apart.
 */
export function alibabaClientSettings(credential: EmulatorCredential): EmulatorClientSettings {
  const token = credential.securityToken;
  return {
    providers: {
      alibaba: { accessKeyId: credential.accessKeyId, accessKeySecret: credential.secret, ...(token !== undefined ? { securityToken: token } : {}) },
    },
    env: {
      ALIBABA_CLOUD_ACCESS_KEY_ID: credential.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: credential.secret,
      ...(token !== undefined ? { ALIBABA_CLOUD_SECURITY_TOKEN: token } : {}),
    },
  };
}

export const alibabaRpcProtocol: EmulationProtocol = Object.freeze({
  name: 'alibaba-rpc',
  provider: 'alibaba',

  identify(request: EmulatorRequest): IdentifiedCall | undefined {
    if (!isRootPath(request) || looksForeign(request)) return undefined;
    const all = rpcParams(request);
    const action = request.headers['x-acs-action'] || all.get('Action');
    if (!action) return undefined;
    const version = request.headers['x-acs-version'] || all.get('Version');
    const params = Object.fromEntries([...all].filter(([name]) => !PROTOCOL_PARAMS.has(name)));
    return version ? { action, version, params } : { action, params };
  },

  claims(request: EmulatorRequest): boolean {
    return isRootPath(request) && !looksForeign(request);
  },

  authenticate(request: EmulatorRequest, context: AuthContext): AuthVerdict {
    const auth = authorization(request);
    if (auth?.startsWith('ACS3-')) return toAuthVerdict(verifyAcs3(request, context));
    if (auth !== undefined && auth !== '') {
      return { ok: false, scheme: 'none', error: new EmulatedError(AUTH_ERRORS.incomplete.status, AUTH_ERRORS.incomplete.code, AUTH_ERRORS.incomplete.message) };
    }
    // No Authorization header: the legacy RPC signature in the query or form body (or none: MissingSignature).
    return toAuthVerdict(verifyRpcV1(request, context));
  },

  errorResponse(error: EmulatedError, requestId: string): EmulatorResponse {
    return {
      status: error.status,
      headers: { ...responseHeaders(requestId), ...retryHeader(error) },
      body: {
        RequestId: requestId,
        HostId: 'cancelkit-emulator',
        Code: error.code,
        Message: error.message,
        Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(error.code)}&requestId=${requestId}`,
      },
    };
  },

  unknownApi: (_request: EmulatorRequest) => apiNotFound(),
  // A known action under a version the product does not serve: what OOS's doc lists (400 InvalidVersion).
  invalidVersion: (_request: EmulatorRequest, _call: IdentifiedCall) =>
    new EmulatedError(400, 'InvalidVersion', 'Specified parameter Version is not valid.'),
  throttled,
  serverError,
  forbidden,
  newRequestId,
  responseHeaders,
  clientSettings: alibabaClientSettings,
});

export const alibabaRoaProtocol: EmulationProtocol = Object.freeze({
  name: 'alibaba-roa',
  provider: 'alibaba',

  /**
   * Path-routed: any non-root path that does not carry another cloud's credentials. The action stays
   * undefined (routes match on method and path; pop-core does not even send `x-acs-action`).
   */
  identify(request: EmulatorRequest): IdentifiedCall | undefined {
    if (isRootPath(request) || looksForeign(request)) return undefined;
    const params = Object.fromEntries(parseQueryPairs(request.rawQuery));
    const version = request.headers['x-acs-version'];
    return version ? { version, params } : { params };
  },

  claims(request: EmulatorRequest): boolean {
    if (isRootPath(request) || looksForeign(request)) return false;
    const auth = authorization(request);
    return (auth !== undefined && isAlibabaAuthorization(auth)) || hasAcsHeaders(request);
  },

  authenticate(request: EmulatorRequest, context: AuthContext): AuthVerdict {
    const auth = authorization(request) ?? '';
    if (auth.startsWith('ACS3-')) return toAuthVerdict(verifyAcs3(request, context));
    if (auth.startsWith('acs ')) return toAuthVerdict(verifyRoaV1(request, context));
    return { ok: false, scheme: 'none', error: new EmulatedError(AUTH_ERRORS.incomplete.status, AUTH_ERRORS.incomplete.code, AUTH_ERRORS.incomplete.message) };
  },

  errorResponse(error: EmulatedError, requestId: string): EmulatorResponse {
    return {
      status: error.status,
      headers: { ...responseHeaders(requestId), ...retryHeader(error) },
      body: { requestId, code: error.code, message: error.message },
    };
  },

  unknownApi: (_request: EmulatorRequest) => apiNotFound(),
  throttled,
  serverError,
  forbidden,
  newRequestId,
  responseHeaders,
  clientSettings: alibabaClientSettings,
});
