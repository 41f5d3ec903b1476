/**
 * Small in-test protocols shaped like the real clouds' (an RPC one, a ROA one, a REST one) with a real
 * HMAC signature, so the emulator's routing, authentication and error paths are exercised without the
 * provider packages.
 *
 * Signature: `authorization: FAKE-HMAC ak=<id>,nonce=<n>,date=<ms>,sig=<hex>` where sig is
 * HMAC-SHA256(secret, METHOD \n rawPath \n rawQuery \n nonce \n date \n sha256hex(body)).
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import {
  type AuthContext,
  type AuthVerdict,
  EmulatedError,
  type EmulationProtocol,
  type EmulatorRequest,
  type EmulatorResponse,
  type IdentifiedCall,
} from '@cancelkit/core/emulation';

export const FAKE_WINDOW_MS = 15 * 60 * 1000;

export function fakeSignature(input: {
  method: string;
  rawPath: string;
  rawQuery: string;
  nonce: string;
  date: number;
  body: Buffer | string;
  secret: string;
}): string {
  const bodyHash = createHash('sha256').update(input.body).digest('hex');
  const toSign = [input.method.toUpperCase(), input.rawPath, input.rawQuery, input.nonce, String(input.date), bodyHash].join('\n');
  return createHmac('sha256', input.secret).update(toSign).digest('hex');
}

export function fakeAuthorization(input: {
  method: string;
  rawPath: string;
  rawQuery: string;
  body: Buffer | string;
  accessKeyId: string;
  secret: string;
  nonce?: string;
  date?: number;
}): string {
  const nonce = input.nonce ?? randomUUID();
  const date = input.date ?? Date.now();
  const sig = fakeSignature({ ...input, nonce, date });
  return `FAKE-HMAC ak=${input.accessKeyId},nonce=${nonce},date=${date},sig=${sig}`;
}

function verifyFakeHmac(request: EmulatorRequest, context: AuthContext, codes: AuthCodes): AuthVerdict {
  const scheme = 'FAKE-HMAC';
  const header = request.headers.authorization;
  if (!header?.startsWith('FAKE-HMAC ')) return { ok: false, scheme: 'none', error: new EmulatedError(codes.missing[0], codes.missing[1], 'No authorization was sent.') };
  const fields = Object.fromEntries(
    header
      .slice('FAKE-HMAC '.length)
      .split(',')
      .map((part) => {
        const eq = part.indexOf('=');
        return [part.slice(0, eq).trim(), part.slice(eq + 1).trim()];
      }),
  ) as Record<string, string | undefined>;
  const { ak, nonce, date, sig } = fields;
  if (!ak || !nonce || !date || !sig) return { ok: false, scheme, error: new EmulatedError(codes.missing[0], codes.missing[1], 'The authorization is incomplete.') };
  const credential = context.lookupKey(ak);
  if (!credential) return { ok: false, scheme, error: new EmulatedError(codes.unknownKey[0], codes.unknownKey[1], 'Specified access key is not found.') };
  if (Math.abs(context.now - Number(date)) > FAKE_WINDOW_MS) {
    return { ok: false, scheme, error: new EmulatedError(codes.stale[0], codes.stale[1], 'Specified time stamp or date value is expired.') };
  }
  const expected = fakeSignature({ method: request.method, rawPath: request.rawPath, rawQuery: request.rawQuery, nonce, date: Number(date), body: request.body, secret: credential.secret });
  if (expected !== sig) return { ok: false, scheme, error: new EmulatedError(codes.badSignature[0], codes.badSignature[1], 'Specified signature is not matched with our calculation.') };
  if (!context.useNonce(nonce)) return { ok: false, scheme, error: new EmulatedError(codes.nonce[0], codes.nonce[1], 'Specified signature nonce was used already.') };
  return { ok: true, scheme, accessKeyId: ak };
}

interface AuthCodes {
  missing: [number, string];
  unknownKey: [number, string];
  stale: [number, string];
  badSignature: [number, string];
  nonce: [number, string];
}

const ALIBABA_LIKE_CODES: AuthCodes = {
  missing: [400, 'MissingParameter'],
  unknownKey: [404, 'InvalidAccessKeyId.NotFound'],
  stale: [400, 'InvalidTimeStamp.Expired'],
  badSignature: [400, 'SignatureDoesNotMatch'],
  nonce: [400, 'SignatureNonceUsed'],
};

let counter = 0;
const newId = () => `FAKE-${(++counter).toString(16).padStart(8, '0')}-${randomUUID().slice(0, 8)}`;

function formParams(request: EmulatorRequest): Record<string, string> {
  const type = request.headers['content-type'] ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') || request.body.length === 0) return {};
  return Object.fromEntries(new URLSearchParams(request.body.toString('utf8')));
}

/** RPC at `/`: action from `x-fake-action`, the query or the form body (like Alibaba RPC). */
export const fakeRpcProtocol: EmulationProtocol & { invalidVersion(request: EmulatorRequest, call: IdentifiedCall): EmulatedError } = {
  name: 'fake-rpc',
  provider: 'fake',
  identify(request) {
    if (request.rawPath !== '/') return undefined;
    const params = { ...Object.fromEntries(request.query), ...formParams(request) };
    const action = request.headers['x-fake-action'] ?? params.Action;
    const version = request.headers['x-fake-version'] ?? params.Version;
    return { params, ...(action !== undefined ? { action } : {}), ...(version !== undefined ? { version } : {}) };
  },
  claims(request) {
    return request.rawPath === '/' || request.headers['x-fake-action'] !== undefined;
  },
  authenticate(request, context) {
    return verifyFakeHmac(request, context, ALIBABA_LIKE_CODES);
  },
  errorResponse(error, requestId): EmulatorResponse {
    return { status: error.status, body: { RequestId: requestId, Code: error.code, Message: error.message } };
  },
  unknownApi() {
    return new EmulatedError(404, 'InvalidAction.NotFound', 'Specified api is not found, please check your url and method.');
  },
  invalidVersion() {
    return new EmulatedError(400, 'InvalidVersion', 'Specified parameter Version is not valid.');
  },
  throttled() {
    return new EmulatedError(400, 'Throttling.User', 'Request was denied due to user flow control.');
  },
  serverError() {
    return new EmulatedError(503, 'ServiceUnavailable', 'The request has failed due to a temporary failure of the server.');
  },
  newRequestId: newId,
  responseHeaders(requestId) {
    return { 'x-fake-request-id': requestId };
  },
};

/** ROA by path under `/openapi/`; like Alibaba V3 it may also send an action header. */
export const fakeRoaProtocol: EmulationProtocol = {
  name: 'fake-roa',
  provider: 'fake',
  identify(request) {
    if (!request.rawPath.startsWith('/openapi/')) return undefined;
    const action = request.headers['x-fake-action'];
    return { params: Object.fromEntries(request.query), ...(action !== undefined ? { action } : {}) };
  },
  claims(request) {
    return request.rawPath.startsWith('/openapi/');
  },
  authenticate(request, context) {
    return verifyFakeHmac(request, context, ALIBABA_LIKE_CODES);
  },
  errorResponse(error, requestId) {
    return { status: error.status, body: { requestId, code: error.code, message: error.message } };
  },
  unknownApi() {
    return new EmulatedError(404, 'InvalidAction.NotFound', 'Specified api is not found, please check your url and method.');
  },
  throttled() {
    return new EmulatedError(400, 'Throttling.User', 'Request was denied due to user flow control.');
  },
  serverError() {
    return new EmulatedError(500, 'InternalError', 'The request processing has failed due to some unknown error.');
  },
  newRequestId: newId,
  responseHeaders(requestId) {
    return { 'x-fake-request-id': requestId };
  },
};

/** REST under `/v3/` with AK/SK or an `X-Auth-Token` (like Huawei APIG). */
export const fakeRestProtocol: EmulationProtocol = {
  name: 'fake-rest',
  provider: 'fake-huawei',
  identify(request) {
    if (!request.rawPath.startsWith('/v3/')) return undefined;
    return { params: Object.fromEntries(request.query) };
  },
  claims(request) {
    return request.rawPath.startsWith('/v3/');
  },
  authenticate(request, context) {
    const token = request.headers['x-auth-token'];
    if (token !== undefined) {
      const credential = context.lookupToken(token);
      return credential
        ? { ok: true, scheme: 'token', accessKeyId: credential.accessKeyId }
        : { ok: false, scheme: 'token', error: new EmulatedError(401, 'APIGW.0301', 'Incorrect IAM authentication information: decrypt token fail') };
    }
    const codes: AuthCodes = {
      missing: [401, 'APIGW.0301'],
      unknownKey: [401, 'APIGW.0301'],
      stale: [401, 'APIGW.0303'],
      badSignature: [401, 'APIGW.0301'],
      nonce: [401, 'APIGW.0301'],
    };
    return verifyFakeHmac(request, context, codes);
  },
  errorResponse(error, requestId) {
    return { status: error.status, body: { error_code: error.code, error_msg: error.message, request_id: requestId } };
  },
  unknownApi() {
    return new EmulatedError(404, 'APIGW.0101', 'The API does not exist or has not been published in the environment.');
  },
  throttled() {
    return new EmulatedError(429, 'APIGW.0308', 'The throttling threshold has been reached.');
  },
  serverError() {
    return new EmulatedError(500, 'APIGW.0202', 'The backend service is unavailable.');
  },
  newRequestId: newId,
  responseHeaders(requestId) {
    return { 'x-request-id': requestId };
  },
};
