import type { AuthContext, EmulatorCredential, EmulatorRequest } from '@cancelkit/core/emulation';
import { EmulatedError } from '@cancelkit/core/emulation';
import { describe, expect, it } from 'vitest';
import { huaweiCredentialSource } from './credentials.js';
import { huaweiApigProtocol, projectInPath } from './emulation.js';
import { signSdkHmacSha256 } from './signer.js';

const NOW = Date.UTC(2025, 0, 1);
const KEY: EmulatorCredential = { accessKeyId: 'cancelkit-demo-ak', secret: 'cancelkit-demo-sk', projectId: 'cancelkit-demo-project' };
const TEMP: EmulatorCredential = { accessKeyId: 'temp-ak', secret: 'temp-sk', securityToken: 'sts-token', projectId: 'cancelkit-demo-project' };
const context: AuthContext = {
  now: NOW,
  lookupKey: (ak) => [KEY, TEMP].find((k) => k.accessKeyId === ak),
  useNonce: () => true,
  lookupToken: (token) => (token === 'iam-token' ? KEY : undefined),
};

function request(path: string, headers: Record<string, string>, method = 'DELETE', rawQuery = ''): EmulatorRequest {
  return { method, rawPath: path, rawQuery, query: new URLSearchParams(rawQuery), headers, body: Buffer.alloc(0) };
}

function signed(path: string, key = KEY, extra: Record<string, string> = {}): EmulatorRequest {
  const headers = { 'content-type': 'application/json', 'x-project-id': key.projectId ?? '', ...extra };
  const added = signSdkHmacSha256({ method: 'DELETE', url: `http://127.0.0.1:8787${path}`, headers }, { ak: key.accessKeyId, sk: key.secret }, { date: NOW });
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...headers, ...added })) lower[k.toLowerCase()] = v;
  return request(path, lower);
}

const jobPath = '/v3/cancelkit-demo-project/scheduled-jobs/job-1';

describe('huaweiApigProtocol.authenticate', () => {
  it('accepts an AK/SK-signed request and a temporary key with its token', () => {
    expect(huaweiApigProtocol.authenticate(signed(jobPath), context)).toEqual({ ok: true, accessKeyId: 'cancelkit-demo-ak', scheme: 'SDK-HMAC-SHA256' });
    expect(huaweiApigProtocol.authenticate(signed(jobPath, TEMP, { 'x-security-token': 'sts-token' }), context)).toMatchObject({ ok: true });
  });

  it('answers a bad signature with 401 APIGW.0301', () => {
    const good = signed(jobPath);
    const verdict = huaweiApigProtocol.authenticate({ ...good, method: 'GET' }, context);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.error).toMatchObject({ status: 401, code: 'APIGW.0301' });
  });

  it('accepts a known IAM token in X-Auth-Token and refuses an unknown one', () => {
    expect(huaweiApigProtocol.authenticate(request(jobPath, { 'x-auth-token': 'iam-token' }), context)).toEqual({
      ok: true,
      accessKeyId: 'cancelkit-demo-ak',
      scheme: 'X-Auth-Token',
    });
    const verdict = huaweiApigProtocol.authenticate(request(jobPath, { 'x-auth-token': 'forged' }), context);
    expect(verdict).toMatchObject({ ok: false, error: { status: 401, code: 'APIGW.0301', message: expect.stringContaining('decrypt token fail') } });
  });

  it('refuses a request with no credentials at all', () => {
    expect(huaweiApigProtocol.authenticate(request(jobPath, {}), context)).toMatchObject({ ok: false, error: { status: 401 } });
  });

  it('refuses another project in the path or in X-Project-Id (403 APIGW.0302)', () => {
    const otherPath = huaweiApigProtocol.authenticate(signed('/v3/someone-elses-project/scheduled-jobs/job-1'), context);
    expect(otherPath).toMatchObject({ ok: false, error: { status: 403, code: 'APIGW.0302' } });
    const tokenOtherPath = huaweiApigProtocol.authenticate(request('/v3/other/scheduled-jobs', { 'x-auth-token': 'iam-token' }), context);
    expect(tokenOtherPath).toMatchObject({ ok: false, error: { status: 403 } });
    const literal = huaweiApigProtocol.authenticate(request('/v3/%7Bproject_id%7D/scheduled-jobs/j', { 'x-auth-token': 'iam-token' }), context);
    expect(literal).toMatchObject({ ok: false, error: { status: 403 } });
  });
});

describe('huaweiApigProtocol shapes', () => {
  it('identifies Huawei-looking requests and decodes the query without turning + into a space', () => {
    const call = huaweiApigProtocol.identify(request('/v3/p/scheduled-jobs', {}, 'GET', 'start_time=2024-12-25T00%3A00%3A00+0800&limit=10'));
    expect(call?.params).toEqual({ start_time: '2024-12-25T00:00:00+0800', limit: '10' });
    expect(huaweiApigProtocol.identify(request('/', { authorization: 'acs x:y' }, 'POST'))).toBeUndefined();
    expect(huaweiApigProtocol.claims(request('/anything', { 'x-sdk-date': '20250101T000000Z' }))).toBe(true);
  });

  it('error bodies are {error_code, error_msg} with X-Request-Id; gateway errors add request_id', () => {
    expect(huaweiApigProtocol.errorResponse(huaweiApigProtocol.unknownApi(request('/x', {})), 'rid')).toEqual({
      status: 404,
      headers: { 'content-type': 'application/json;charset=UTF-8', 'x-request-id': 'rid' },
      body: { error_code: 'APIGW.0101', error_msg: 'The API does not exist or has not been published in the environment.', request_id: 'rid' },
    });
    expect(huaweiApigProtocol.errorResponse(new EmulatedError(400, 'DBS.200004', 'Operation is illegal.'), 'rid').body).toEqual({
      error_code: 'DBS.200004',
      error_msg: 'Operation is illegal.',
    });
    expect(huaweiApigProtocol.throttled()).toMatchObject({ status: 429, code: 'APIGW.0308' });
    expect(huaweiApigProtocol.serverError().status).toBeGreaterThanOrEqual(500);
    expect(huaweiApigProtocol.forbidden?.('DeleteScheduledJob')).toMatchObject({ status: 403, code: 'APIGW.0302' });
    expect(huaweiApigProtocol.forbidden?.('DeleteScheduledJob')?.message).toContain('DeleteScheduledJob');
    expect(huaweiApigProtocol.newRequestId()).toMatch(/^[0-9a-f]{32}$/);
    expect(huaweiApigProtocol.responseHeaders('rid')).toEqual({ 'x-request-id': 'rid' });
  });

  it('projectInPath finds /v<N>/{project}/… but not IAM’s global resources', () => {
    expect(projectInPath('/v3/p1/scheduled-jobs')).toBe('p1');
    expect(projectInPath('/v3/auth/tokens')).toBeUndefined();
    expect(projectInPath('/v3/projects')).toBeUndefined();
    expect(projectInPath('/v3.0/OS-CREDENTIAL/securitytokens')).toBeUndefined();
  });
});

describe('huaweiApigProtocol.clientSettings', () => {
  const NO_HOME = '/nonexistent-cancelkit-test-home';

  it('gives providers.huaweicloud and the HUAWEICLOUD_SDK_* variables, both read back by the credential source', async () => {
    const settings = huaweiApigProtocol.clientSettings?.(KEY);
    expect(settings).toEqual({
      providers: { huaweicloud: { ak: KEY.accessKeyId, sk: KEY.secret, projectId: KEY.projectId } },
      env: { HUAWEICLOUD_SDK_AK: KEY.accessKeyId, HUAWEICLOUD_SDK_SK: KEY.secret, HUAWEICLOUD_SDK_PROJECT_ID: KEY.projectId },
    });
    const expected = { ak: KEY.accessKeyId, sk: KEY.secret, projectId: KEY.projectId };
    expect(await huaweiCredentialSource.resolve({ providerConfig: settings?.providers.huaweicloud ?? {}, env: {}, homeDir: NO_HOME })).toMatchObject({
      ...expected,
      source: 'config',
    });
    expect(await huaweiCredentialSource.resolve({ providerConfig: {}, env: settings?.env ?? {}, homeDir: NO_HOME })).toMatchObject({ ...expected, source: 'env' });
  });

  it('carries the security token of a temporary key, and leaves out a project id the key does not have', async () => {
    const settings = huaweiApigProtocol.clientSettings?.({ accessKeyId: TEMP.accessKeyId, secret: TEMP.secret, securityToken: 'sts-token' });
    expect(settings?.providers.huaweicloud).toEqual({ ak: TEMP.accessKeyId, sk: TEMP.secret, securityToken: 'sts-token' });
    expect(Object.keys(settings?.env ?? {}).sort()).toEqual(['HUAWEICLOUD_SDK_AK', 'HUAWEICLOUD_SDK_SECURITY_TOKEN', 'HUAWEICLOUD_SDK_SK']);
    const fromEnv = await huaweiCredentialSource.resolve({ providerConfig: {}, env: settings?.env ?? {}, homeDir: NO_HOME });
    expect(fromEnv).toMatchObject({ ak: TEMP.accessKeyId, securityToken: 'sts-token' });
    expect(fromEnv.projectId).toBeUndefined();
  });
});
