/**
 * How Huawei Cloud's API gateway reads, authenticates and answers a request, for `@cancelkit/emulator`:
 * path-routed REST, SDK-HMAC-SHA256 / V11-HMAC-SHA256 verified with this package's own verifier,
 * IAM tokens in X-Auth-Token, temporary keys with X-Security-Token, `{error_code, error_msg}` bodies with
 * the gateway's APIGW codes, and X-Request-Id on every answer.
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
import { parseRawQuery, percentDecode } from './encoding.js';
import { SDK_HMAC_SHA256, V11_HMAC_SHA256 } from './signer.js';
import { verifySdkHmacSha256 } from './verifier.js';

export const APIGW_CODES = Object.freeze({
  unauthenticated: 'APIGW.0301',
  forbidden: 'APIGW.0302',
  unknownApi: 'APIGW.0101',
  throttled: 'APIGW.0308',
  backendUnavailable: 'APIGW.0202',
});

const IAM_FAIL = 'Incorrect IAM authentication information';

/** IAM's own (non-project) resources that sit where a project id would: `/v3/auth/tokens`, `/v3/projects`. */
const GLOBAL_FIRST_SEGMENTS = new Set(['auth', 'projects', 'regions', 'domains', 'users', 'groups', 'roles', 'services', 'endpoints']);

/**
 * The project a Huawei path is scoped to: `/v<N>/{project_id}/<resource>…`. Undefined for paths that are
 * not project-scoped (IAM's global resources, `OS-*` extensions, version roots).
 */
export function projectInPath(rawPath: string): string | undefined {
  const match = /^\/v\d+(?:\.\d+)?\/([^/]+)\/[^/]/.exec(rawPath);
  if (!match) return undefined;
  const segment = percentDecode(match[1] ?? '') ?? match[1] ?? '';
  if (GLOBAL_FIRST_SEGMENTS.has(segment) || segment.startsWith('OS-')) return undefined;
  return segment;
}

function looksHuawei(request: EmulatorRequest): boolean {
  const auth = request.headers.authorization ?? '';
  return (
    auth.startsWith(`${SDK_HMAC_SHA256} `) ||
    auth.startsWith(`${V11_HMAC_SHA256} `) ||
    request.headers['x-auth-token'] !== undefined ||
    request.headers['x-sdk-date'] !== undefined ||
    request.headers['x-project-id'] !== undefined ||
    /^\/v\d+(?:\.\d+)?\//.test(request.rawPath)
  );
}

function unauthenticated(detail: string): EmulatedError {
  return new EmulatedError(401, APIGW_CODES.unauthenticated, `${IAM_FAIL}: ${detail}`);
}

/** X-Project-Id and the path's project must both be the key's (or token's) project. */
function checkProject(request: EmulatorRequest, credential: EmulatorCredential): EmulatedError | undefined {
  const keyProject = credential.projectId;
  const headerProject = request.headers['x-project-id']?.trim();
  if (keyProject && headerProject !== undefined && headerProject !== keyProject) {
    return new EmulatedError(403, APIGW_CODES.forbidden, 'The IAM user is not authorized to access the project in X-Project-Id.');
  }
  const pathProject = projectInPath(request.rawPath);
  const expected = headerProject ?? keyProject;
  if (pathProject !== undefined && expected && pathProject !== expected) {
    return new EmulatedError(403, APIGW_CODES.forbidden, 'The project id in the path is not the project this request is authorized for.');
  }
  return undefined;
}

function authenticate(request: EmulatorRequest, context: AuthContext): AuthVerdict {
  let credential: EmulatorCredential | undefined;
  let scheme: string;
  if (request.headers.authorization !== undefined) {
    const verdict = verifySdkHmacSha256(request, {
      now: context.now,
      lookupKey: (accessKeyId) => {
        const key = context.lookupKey(accessKeyId);
        if (!key) return undefined;
        return key.securityToken !== undefined ? { secret: key.secret, securityToken: key.securityToken } : { secret: key.secret };
      },
    });
    scheme = verdict.ok ? verdict.algorithm : (verdict.algorithm ?? SDK_HMAC_SHA256);
    if (!verdict.ok) {
      const debug = verdict.canonicalRequest ? `,canonicalRequest:${verdict.canonicalRequest}` : '';
      return { ok: false, scheme, error: new EmulatedError(401, verdict.code, `${verdict.message}${debug}`) };
    }
    credential = context.lookupKey(verdict.accessKeyId);
  } else if (request.headers['x-auth-token'] !== undefined) {
    scheme = 'X-Auth-Token';
    credential = context.lookupToken(request.headers['x-auth-token'].trim());
    if (!credential) return { ok: false, scheme, error: unauthenticated('decrypt token fail') };
  } else {
    return { ok: false, scheme: 'none', error: unauthenticated('the request carries neither an Authorization header nor an X-Auth-Token') };
  }
  if (!credential) return { ok: false, scheme, error: unauthenticated('verify aksk signature fail, the access key does not exist') };
  const projectError = checkProject(request, credential);
  if (projectError) return { ok: false, scheme, error: projectError };
  return { ok: true, accessKeyId: credential.accessKeyId, scheme };
}

/**
 * How a Huawei Cloud client uses an emulator key: `providers.huaweicloud` as this package's credential
 * source reads it, and the `HUAWEICLOUD_SDK_*` variables the official SDKs read. The names are repeated
 * here rather than imported so this module stays cheap to load; the unit test resolves both forms
 * through `huaweiCredentialSource`, so they cannot drift apart.
 */
export function huaweiClientSettings(credential: EmulatorCredential): EmulatorClientSettings {
  const { securityToken, projectId } = credential;
  return {
    providers: {
      huaweicloud: {
        ak: credential.accessKeyId,
        sk: credential.secret,
        ...(securityToken !== undefined ? { securityToken } : {}),
        ...(projectId ? { projectId } : {}),
      },
    },
    env: {
      HUAWEICLOUD_SDK_AK: credential.accessKeyId,
      HUAWEICLOUD_SDK_SK: credential.secret,
      ...(securityToken !== undefined ? { HUAWEICLOUD_SDK_SECURITY_TOKEN: securityToken } : {}),
      ...(projectId ? { HUAWEICLOUD_SDK_PROJECT_ID: projectId } : {}),
    },
  };
}

export const huaweiApigProtocol: EmulationProtocol = Object.freeze({
  name: 'huaweicloud-apig',
  provider: 'huaweicloud',
  identify(request: EmulatorRequest): IdentifiedCall | undefined {
    if (!looksHuawei(request)) return undefined;
    const params: Record<string, string> = {};
    // First value wins for repeated keys; handlers needing repeats read request.rawQuery.
    for (const [key, value] of parseRawQuery(request.rawQuery)) if (!Object.hasOwn(params, key)) params[key] = value;
    return { params };
  },
  claims: looksHuawei,
  authenticate,
  errorResponse(error: EmulatedError, requestId: string): EmulatorResponse {
    const gateway = error.code.startsWith('APIGW.') || error.code.startsWith('APIG.');
    return {
      status: error.status,
      headers: { 'content-type': 'application/json;charset=UTF-8', 'x-request-id': requestId },
      body: { error_code: error.code, error_msg: error.message, ...(gateway ? { request_id: requestId } : {}) },
    };
  },
  unknownApi(): EmulatedError {
    return new EmulatedError(404, APIGW_CODES.unknownApi, 'The API does not exist or has not been published in the environment.');
  },
  throttled(): EmulatedError {
    return new EmulatedError(429, APIGW_CODES.throttled, 'The throttling threshold has been reached: policy user over ratelimit.');
  },
  serverError(): EmulatedError {
    return new EmulatedError(502, APIGW_CODES.backendUnavailable, 'Backend unavailable.');
  },
  // IAM's refusal at the gateway (403 APIGW.0302). Services may instead answer their own 403 code; the
  // client classifies by status, so either reads as PermissionDenied.
  forbidden(action: string): EmulatedError {
    return new EmulatedError(403, APIGW_CODES.forbidden, `The IAM user is not authorized to perform ${action}.`);
  },
  newRequestId(): string {
    return randomUUID().replace(/-/g, '');
  },
  responseHeaders(requestId: string): Readonly<Record<string, string>> {
    return { 'x-request-id': requestId };
  },
  clientSettings: huaweiClientSettings,
});
