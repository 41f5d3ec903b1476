import { classifyAlibabaError } from './errors.js';
import type { AuthContext, EmulatorRequest } from '@cancelkit/core/emulation';
import { describe, expect, it } from 'vitest';
import { isoSeconds, signAcs3 } from './acs3.js';
import { alibabaCredentialSource } from './credentials.js';
import { buildPath, percentEncode } from './encoding.js';
import { AlibabaEmulatedError, alibabaClientSettings, alibabaRoaProtocol, alibabaRpcProtocol } from './emulation.js';
import { signRoaV1Request, signRpcV1Params } from './v1.js';

const KEY = { accessKeyId: 'cancelkit-demo-ak', accessKeySecret: 'cancelkit-demo-sk' };

function auth(nonces = new Set<string>()): AuthContext {
  return {
    now: Date.now(),
    lookupKey: (id) => (id === KEY.accessKeyId ? { accessKeyId: id, secret: KEY.accessKeySecret } : undefined),
    useNonce: (n) => nonces.size < nonces.add(n).size,
    lookupToken: () => undefined,
  };
}

function request(parts: Partial<EmulatorRequest> & { rawQuery?: string }): EmulatorRequest {
  const rawQuery = parts.rawQuery ?? '';
  return {
    method: parts.method ?? 'POST',
    rawPath: parts.rawPath ?? '/',
    rawQuery,
    query: new URLSearchParams(rawQuery),
    headers: parts.headers ?? {},
    body: parts.body ?? Buffer.alloc(0),
  };
}

const qs = (q: Record<string, string>) =>
  Object.entries(q)
    .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
    .join('&');

function acs3Rpc(action: string, params: Record<string, string>, secret = KEY.accessKeySecret): EmulatorRequest {
  const headers = signAcs3({ method: 'POST', host: '127.0.0.1:8787', path: '/', query: params, action, version: '2014-05-26' }, { ...KEY, accessKeySecret: secret });
  return request({ rawQuery: qs(params), headers });
}

function acs3Roa(method: string, segments: string[]): EmulatorRequest {
  const path = buildPath(segments);
  const headers = signAcs3({ method, host: '127.0.0.1:8787', path, action: 'StopTask', version: '2021-10-25' }, KEY);
  return request({ method, rawPath: path, headers });
}

describe('alibabaRpcProtocol', () => {
  it('identifies the action from x-acs-action, the query or the form body, without signing parameters', () => {
    expect(alibabaRpcProtocol.identify(acs3Rpc('CancelTask', { RegionId: 'cn-hangzhou', TaskId: 't-1' }))).toEqual({
      action: 'CancelTask',
      version: '2014-05-26',
      params: { RegionId: 'cn-hangzhou', TaskId: 't-1' },
    });
    const v1 = signRpcV1Params('GET', { Action: 'CancelTask', Version: '2014-05-26', TaskId: 't 2' }, { ...KEY, securityToken: 'STS.tok' });
    expect(alibabaRpcProtocol.identify(request({ method: 'GET', rawQuery: qs(v1) }))).toEqual({ action: 'CancelTask', version: '2014-05-26', params: { TaskId: 't 2' } });
    const form = request({ headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: Buffer.from(qs(v1)) });
    expect(alibabaRpcProtocol.identify(form)).toMatchObject({ action: 'CancelTask', params: { TaskId: 't 2' } });
  });

  it('does not identify non-root paths, requests without an action, or another cloud’s requests', () => {
    expect(alibabaRpcProtocol.identify(request({ rawPath: '/openapi/x' }))).toBeUndefined();
    expect(alibabaRpcProtocol.identify(request({ rawQuery: 'RegionId=x' }))).toBeUndefined();
    expect(alibabaRpcProtocol.identify(request({ rawQuery: 'Action=X', headers: { authorization: 'SDK-HMAC-SHA256 Access=a' } }))).toBeUndefined();
    expect(alibabaRpcProtocol.claims(request({ rawQuery: 'RegionId=x' }))).toBe(true);
    expect(alibabaRpcProtocol.claims(request({ rawPath: '/v3/p/scheduled-jobs' }))).toBe(false);
  });

  it('authenticates ACS3 and RPC V1 (query and form), and returns the cloud error otherwise', () => {
    expect(alibabaRpcProtocol.authenticate(acs3Rpc('CancelTask', { TaskId: 't' }), auth())).toEqual({ ok: true, accessKeyId: KEY.accessKeyId, scheme: 'ACS3-HMAC-SHA256' });
    const v1 = signRpcV1Params('POST', { Action: 'CancelExecution', Version: '2019-06-01', ExecutionId: 'exec-1' }, KEY);
    expect(alibabaRpcProtocol.authenticate(request({ rawQuery: qs(v1) }), auth())).toMatchObject({ ok: true, scheme: 'RPC-V1-HMAC-SHA1' });
    const form = request({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from(qs(v1)) });
    expect(alibabaRpcProtocol.authenticate(form, auth())).toMatchObject({ ok: true });

    const bad = alibabaRpcProtocol.authenticate(acs3Rpc('CancelTask', { TaskId: 't' }, 'wrong'), auth());
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatchObject({ status: 400, code: 'SignatureDoesNotMatch' });
    const none = alibabaRpcProtocol.authenticate(request({ rawQuery: 'Action=CancelTask' }), auth());
    if (none.ok) throw new Error('unsigned request accepted');
    expect(none.error).toMatchObject({ status: 400, code: 'MissingSignature' });
    const foreign = alibabaRpcProtocol.authenticate(request({ headers: { authorization: 'Bearer x' } }), auth());
    if (foreign.ok) throw new Error('bearer accepted');
    expect(foreign.error).toMatchObject({ status: 400, code: 'IncompleteSignature' });
  });

  it('shapes errors like the cloud: PascalCase body, request id header, JSON content type, retry hint', () => {
    const response = alibabaRpcProtocol.errorResponse(alibabaRpcProtocol.unknownApi(request({})), 'REQ-1');
    expect(response).toMatchObject({
      status: 404,
      headers: { 'content-type': 'application/json;charset=utf-8', 'x-acs-request-id': 'REQ-1' },
      body: { RequestId: 'REQ-1', Code: 'InvalidAction.NotFound', Message: 'Specified api is not found, please check your url and method.' },
    });
    expect(Object.keys(response.body as object).sort()).toEqual(['Code', 'HostId', 'Message', 'Recommend', 'RequestId']);
    expect(alibabaRpcProtocol.throttled()).toMatchObject({ status: 400, code: 'Throttling.User' });
    expect(alibabaRpcProtocol.invalidVersion?.(request({}), { action: 'CancelTask', version: '1999-01-01', params: {} })).toMatchObject({
      status: 400,
      code: 'InvalidVersion',
    });
    expect(alibabaRpcProtocol.serverError()).toMatchObject({ status: 503, code: 'ServiceUnavailable' });
    const withRetry = alibabaRpcProtocol.errorResponse(new AlibabaEmulatedError(400, 'Throttling.User', 'slow down', 1500), 'R');
    expect(withRetry.headers).toMatchObject({ 'x-acs-retry-after': '1500' });
  });

  it('makes upper-case UUID request ids and carries them in x-acs-request-id', () => {
    const id = alibabaRpcProtocol.newRequestId();
    expect(id).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    expect(alibabaRpcProtocol.newRequestId()).not.toBe(id);
    expect(alibabaRpcProtocol.responseHeaders(id)).toMatchObject({ 'x-acs-request-id': id });
  });
});

describe('alibabaRoaProtocol', () => {
  it('identifies path-routed requests with their query and version, leaving the action to the route', () => {
    const signed = acs3Roa('PUT', ['openapi', 'ha3', 'instances', 'ha-1', 'stop-task', 'fsm@1']);
    expect(alibabaRoaProtocol.identify(signed)).toEqual({ version: '2021-10-25', params: {} });
    expect(alibabaRoaProtocol.identify(request({ method: 'GET', rawPath: '/openapi/ha3/instances/i/tasks', rawQuery: 'start=1&end=a%20b' }))).toEqual({
      params: { start: '1', end: 'a b' },
    });
    expect(alibabaRoaProtocol.identify(request({ rawPath: '/' }))).toBeUndefined();
    expect(alibabaRoaProtocol.identify(request({ rawPath: '/v3/p/scheduled-jobs/j', headers: { 'x-auth-token': 't' } }))).toBeUndefined();
    expect(alibabaRoaProtocol.claims(signed)).toBe(true);
    expect(alibabaRoaProtocol.claims(request({ rawPath: '/v3/p/x', headers: { authorization: 'SDK-HMAC-SHA256 a' } }))).toBe(false);
  });

  it('authenticates ACS3 and ROA V1 (`acs AK:sig`), and rejects unsigned requests', () => {
    expect(alibabaRoaProtocol.authenticate(acs3Roa('PUT', ['openapi', 'ha3', 'instances', "i'd*", 'stop-task', 'f@1 (x)!']), auth())).toMatchObject({ ok: true, scheme: 'ACS3-HMAC-SHA256' });
    const path = '/openapi/ha3/instances/ha-1/stop-task/fsm%401';
    const headers = signRoaV1Request({ method: 'PUT', host: '127.0.0.1:8787', pathname: path, version: '2021-10-25' }, KEY);
    expect(alibabaRoaProtocol.authenticate(request({ method: 'PUT', rawPath: path, headers }), auth())).toMatchObject({ ok: true, scheme: 'ROA-V1-HMAC-SHA1' });
    const unsigned = alibabaRoaProtocol.authenticate(request({ method: 'PUT', rawPath: path }), auth());
    if (unsigned.ok) throw new Error('unsigned request accepted');
    expect(unsigned.error).toMatchObject({ status: 400, code: 'IncompleteSignature' });
    const nonces = new Set<string>();
    const once = acs3Roa('PUT', ['a']);
    expect(alibabaRoaProtocol.authenticate(once, auth(nonces)).ok).toBe(true);
    const replay = alibabaRoaProtocol.authenticate(once, auth(nonces));
    if (replay.ok) throw new Error('replay accepted');
    expect(replay.error).toMatchObject({ status: 400, code: 'SignatureNonceUsed' });
  });

  it('answers errors in the ROA (lower camelCase) shape', () => {
    const response = alibabaRoaProtocol.errorResponse(alibabaRoaProtocol.unknownApi(request({ rawPath: '/x' })), 'REQ-2');
    expect(response).toEqual({
      status: 404,
      headers: { 'content-type': 'application/json;charset=utf-8', 'x-acs-request-id': 'REQ-2' },
      body: { requestId: 'REQ-2', code: 'InvalidAction.NotFound', message: 'Specified api is not found, please check your url and method.' },
    });
    expect(alibabaRoaProtocol.throttled()).toMatchObject({ status: 400, code: 'Throttling.User' });
    expect(alibabaRoaProtocol.serverError()).toMatchObject({ status: 503, code: 'ServiceUnavailable' });
    // RAM's refusal, which the client maps to PermissionDenied (exit 4, HTTP 403).
    for (const protocol of [alibabaRpcProtocol, alibabaRoaProtocol]) {
      const error = protocol.forbidden?.('CancelTask');
      expect(error).toMatchObject({ status: 403, code: 'Forbidden.RAM' });
      expect(classifyAlibabaError(error?.code, error?.status ?? 0).code).toBe('PermissionDenied');
    }
  });

  it('rejects stale ACS3 requests with the cloud code', () => {
    const path = buildPath(['openapi', 'x']);
    const headers = signAcs3({ method: 'GET', host: 'h', path, action: 'A', version: '2021-10-25' }, KEY, { date: isoSeconds(Date.now() - 60 * 60_000) });
    const verdict = alibabaRoaProtocol.authenticate(request({ method: 'GET', rawPath: path, headers }), auth());
    if (verdict.ok) throw new Error('stale request accepted');
    expect(verdict.error).toMatchObject({ status: 400, code: 'InvalidTimeStamp.Expired' });
  });
});

describe('clientSettings', () => {
  const NO_HOME = '/nonexistent-cancelkit-test-home';
  const key = { accessKeyId: KEY.accessKeyId, secret: KEY.accessKeySecret };

  it('both protocols give the same settings, in the config keys and variables the credential source reads', async () => {
    const settings = alibabaRpcProtocol.clientSettings?.(key);
    expect(settings).toEqual(alibabaRoaProtocol.clientSettings?.(key));
    expect(settings).toEqual({
      providers: { alibaba: { accessKeyId: KEY.accessKeyId, accessKeySecret: KEY.accessKeySecret } },
      env: { ALIBABA_CLOUD_ACCESS_KEY_ID: KEY.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEY.accessKeySecret },
    });
    const fromConfig = await alibabaCredentialSource.resolve({ providerConfig: settings?.providers.alibaba ?? {}, env: {}, homeDir: NO_HOME });
    expect(fromConfig).toMatchObject({ accessKeyId: KEY.accessKeyId, accessKeySecret: KEY.accessKeySecret });
    const fromEnv = await alibabaCredentialSource.resolve({ providerConfig: {}, env: settings?.env ?? {}, homeDir: NO_HOME });
    expect(fromEnv).toMatchObject({ accessKeyId: KEY.accessKeyId, accessKeySecret: KEY.accessKeySecret, source: 'environment' });
  });

  it('carries the security token of a temporary key both ways', async () => {
    const settings = alibabaClientSettings({ ...key, securityToken: 'sts-token-1' });
    for (const request of [
      { providerConfig: settings.providers.alibaba ?? {}, env: {} },
      { providerConfig: {}, env: settings.env },
    ]) {
      expect(await alibabaCredentialSource.resolve({ ...request, homeDir: NO_HOME })).toMatchObject({ securityToken: 'sts-token-1' });
    }
  });
});
