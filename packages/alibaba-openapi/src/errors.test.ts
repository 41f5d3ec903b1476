import { describe, expect, it } from 'vitest';
import { alibabaEndpoint } from './endpoints.js';
import { classifyAlibabaError, errorCodeInSuccessBody, mapAlibabaError, retryAfterMs } from './errors.js';

describe('mapAlibabaError', () => {
  const rpc = (code: string, message = 'msg') => ({ RequestId: 'RID-1', HostId: 'ecs.aliyuncs.com', Code: code, Message: message, Recommend: 'https://api.aliyun.com/troubleshoot?q=x' });

  it.each([
    [400, 'Throttling', 'Throttled'],
    [400, 'Throttling.User', 'Throttled'],
    [503, 'Throttling.Api', 'Throttled'],
    [200, 'Throttling.Resource', 'Throttled'],
    [503, 'ServiceUnavailable', 'Transient'],
    [500, 'InternalError', 'Transient'],
    [404, 'InvalidAccessKeyId.NotFound', 'Unauthenticated'],
    [400, 'InvalidAccessKeyId.Inactive', 'Unauthenticated'],
    [400, 'SignatureDoesNotMatch', 'Unauthenticated'],
    [400, 'IncompleteSignature', 'Unauthenticated'],
    [400, 'InvalidTimeStamp.Expired', 'Unauthenticated'],
    [400, 'InvalidSecurityToken.Expired', 'Unauthenticated'],
    [400, 'ExpiredStsToken', 'Unauthenticated'],
    [403, 'Forbidden.RAM', 'PermissionDenied'],
    [403, 'Forbidden', 'PermissionDenied'],
    [401, 'User.NoPermission', 'PermissionDenied'],
    [403, 'NoPermission', 'PermissionDenied'],
    [400, 'InvalidTaskId.NotFound', 'NotFound'],
    [404, 'EntityNotExist.Execution', 'NotFound'],
    [404, 'instance.NotFound', 'NotFound'],
    [404, 'Forbidden.InstanceNotFound', 'NotFound'],
    [403, 'InvalidTaskId.IncorrectTaskStatus', 'NotCancellable'],
    [403, 'InvalidTaskId.TaskActionNotSupport', 'NotCancellable'],
    [403, 'CancelTaskFailed', 'NotCancellable'],
    [403, 'ExecutionCancelFailed', 'NotCancellable'],
    [400, 'MissingParameter', 'InvalidInput'],
    [400, 'InvalidParameter', 'InvalidInput'],
    [404, 'InvalidAction.NotFound', 'Unknown'],
    [400, 'InvalidVersion', 'Unknown'],
    [400, 'SomethingNew', 'Unknown'],
    [409, 'SomethingNew', 'NotCancellable'],
    [429, 'SomethingNew', 'Throttled'],
    [502, 'SomethingNew', 'Transient'],
  ] as const)('HTTP %i %s → %s', (status, code, expected) => {
    const error = mapAlibabaError(status, rpc(code), undefined, undefined, { action: 'CancelTask' });
    expect(error.code).toBe(expected);
    expect(error).toMatchObject({ providerCode: code, providerMessage: 'msg', requestId: 'RID-1', providerStatus: status });
    expect(error.message).toBe(`CancelTask failed: ${code} (HTTP ${status}): msg`);
  });

  it('lets per-call overrides win and reads the ROA (lower camelCase) shape', () => {
    expect(mapAlibabaError(403, rpc('Odd.Code'), undefined, { 'Odd.Code': 'NotCancellable' }).code).toBe('NotCancellable');
    expect(mapAlibabaError(404, { requestId: 'r', code: 'instance.NotFound', message: 'Instance not found' })).toMatchObject({
      code: 'NotFound',
      requestId: 'r',
      providerCode: 'instance.NotFound',
      providerMessage: 'Instance not found',
    });
  });

  it('keeps the throttling retry hint and the header request id, and classifies bodies without a code by status', () => {
    expect(mapAlibabaError(400, rpc('Throttling.User'), undefined, undefined, { retryAfterMs: 1500 }).retryAfterMs).toBe(1500);
    expect(mapAlibabaError(403, rpc('Forbidden.RAM'), undefined, undefined, { retryAfterMs: 1500 }).retryAfterMs).toBeUndefined();
    expect(mapAlibabaError(502, '<html>bad gateway</html>', 'HDR-ID')).toMatchObject({ code: 'Transient', ambiguous: true, requestId: 'HDR-ID' });
    expect(mapAlibabaError(503, {})).toMatchObject({ code: 'Transient', ambiguous: false });
    expect(mapAlibabaError(400, null).code).toBe('Unknown');
  });

  it('masks secrets the cloud echoes back (e.g. a token inside a string to sign)', () => {
    const token = 'STS.secret/token+value';
    const error = mapAlibabaError(400, rpc('SignatureDoesNotMatch', `server string to sign is:POST&%2F&SecurityToken%3D${encodeURIComponent(encodeURIComponent(token))}`), undefined, undefined, {
      secrets: [token],
    });
    expect(JSON.stringify(error) + error.message).not.toContain(encodeURIComponent(encodeURIComponent(token)));
    expect(error.providerMessage).toContain('[REDACTED]');
  });

  it('classifies without a body too', () => {
    expect(classifyAlibabaError(undefined, 401).code).toBe('Unauthenticated');
    expect(classifyAlibabaError(undefined, 500)).toMatchObject({ code: 'Transient', ambiguous: true });
  });
});

describe('errorCodeInSuccessBody', () => {
  it('spots an error Code in a 2xx body but not the success codes', () => {
    expect(errorCodeInSuccessBody({ RequestId: 'r', Code: 'Forbidden.RAM' }, 'rpc')).toBe('Forbidden.RAM');
    expect(errorCodeInSuccessBody({ RequestId: 'r', Code: 'Success' }, 'rpc')).toBeUndefined();
    expect(errorCodeInSuccessBody({ RequestId: 'r', Code: 200 }, 'rpc')).toBeUndefined();
    expect(errorCodeInSuccessBody({ requestId: 'r', result: {} }, 'roa')).toBeUndefined();
    expect(errorCodeInSuccessBody({ requestId: 'r', code: 'instance.NotFound' }, 'roa')).toBe('instance.NotFound');
    expect(errorCodeInSuccessBody({ requestId: 'r', code: 'x' }, 'rpc')).toBeUndefined();
  });
});

describe('retryAfterMs', () => {
  it('reads x-acs-retry-after (ms) before Retry-After (seconds or date)', () => {
    expect(retryAfterMs({ 'x-acs-retry-after': '1500', 'retry-after': '9' }, 0)).toBe(1500);
    expect(retryAfterMs({ 'retry-after': '2' }, 0)).toBe(2000);
    expect(retryAfterMs({ 'retry-after': new Date(10_000).toUTCString() }, 4_000)).toBe(6000);
    expect(retryAfterMs({ 'retry-after': 'soon' }, 0)).toBeUndefined();
    expect(retryAfterMs({}, 0)).toBeUndefined();
  });
});

describe('alibabaEndpoint', () => {
  it('follows the official SDK endpoint rules and maps', () => {
    expect(alibabaEndpoint('ecs', 'cn-hangzhou')).toBe('ecs-cn-hangzhou.aliyuncs.com');
    expect(alibabaEndpoint('ecs', 'cn-shanghai')).toBe('ecs.cn-shanghai.aliyuncs.com');
    expect(alibabaEndpoint('ecs', 'cn-wuhan')).toBe('ecs.aliyuncs.com');
    expect(alibabaEndpoint('ecs')).toBe('ecs.aliyuncs.com');
    expect(alibabaEndpoint('r-kvstore', 'cn-hangzhou')).toBe('r-kvstore.aliyuncs.com');
    expect(alibabaEndpoint('r-kvstore', 'cn-beijing')).toBe('r-kvstore.aliyuncs.com');
    expect(alibabaEndpoint('r-kvstore', 'cn-shenzhen')).toBe('r-kvstore.cn-shenzhen.aliyuncs.com');
    expect(alibabaEndpoint('r-kvstore', 'ap-southeast-1')).toBe('r-kvstore.ap-southeast-1.aliyuncs.com');
    expect(alibabaEndpoint('r-kvstore')).toBe('r-kvstore.aliyuncs.com');
    expect(alibabaEndpoint('oos', 'cn-hangzhou')).toBe('oos.cn-hangzhou.aliyuncs.com');
    expect(alibabaEndpoint('searchengine', 'cn-beijing')).toBe('searchengine.cn-beijing.aliyuncs.com');
  });

  it('refuses a missing region for regional-only products and anything that is not a region id', () => {
    expect(() => alibabaEndpoint('oos')).toThrowError(/regionId/);
    expect(() => alibabaEndpoint('searchengine', '')).toThrowError(/regionId/);
    for (const bad of ['evil.com/', 'CN-HANGZHOU', 'cn_hangzhou', 'cn-hangzhou.attacker.net', '-x']) {
      expect(() => alibabaEndpoint('ecs', bad)).toThrowError(/not a region id/);
    }
  });
});

describe('mapAlibabaError with a hostile error code', () => {
  it('a Code naming an Object.prototype member never picks it up from errorCodes, and never crashes', () => {
    for (const code of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      const body = { RequestId: 'RID', Code: code, Message: 'm' };
      const error = mapAlibabaError(400, body, undefined, { 'InvalidTaskId.IncorrectTaskStatus': 'NotCancellable' });
      expect(error).toMatchObject({ code: mapAlibabaError(400, body).code, providerCode: code });
    }
    // An override that is not a taxonomy code is ignored rather than trusted.
    expect(mapAlibabaError(403, { Code: 'X' }, undefined, { X: 'Nonsense' as never })).toMatchObject({ code: 'PermissionDenied' });
  });
});
