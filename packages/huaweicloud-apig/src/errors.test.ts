import { describe, expect, it } from 'vitest';
import { mapHuaweiError, parseRetryAfter, readHuaweiErrorBody } from './errors.js';

describe('mapHuaweiError', () => {
  it.each([
    [401, { error_code: 'APIGW.0301', error_msg: 'Incorrect IAM authentication information: verify aksk signature fail' }, 'Unauthenticated'],
    [401, { error_code: 'APIGW.0303', error_msg: 'signature expired' }, 'Unauthenticated'],
    [403, { error_code: 'APIGW.0302', error_msg: 'not authorized' }, 'PermissionDenied'],
    [403, { error_code: 'DBS.280001', error_msg: 'forbidden' }, 'PermissionDenied'],
    [404, { error_code: 'DBS.200013', error_msg: 'not found' }, 'NotFound'],
    [404, { error_code: 'APIGW.0101', error_msg: 'The API does not exist' }, 'Unknown'],
    [429, { error_code: 'DBS.999999', error_msg: 'slow down' }, 'Throttled'],
    [400, { error_code: 'APIGW.0308', error_msg: 'throttled' }, 'Throttled'],
    [500, { error_code: 'DBS.200005', error_msg: 'boom' }, 'Transient'],
    [502, { error_code: 'APIGW.0202', error_msg: 'Backend unavailable.' }, 'Transient'],
    [400, { error_code: 'DBS.200001', error_msg: 'Parameter error.' }, 'InvalidInput'],
    [409, { error_code: 'DBS.200019', error_msg: 'The job is in a state that does not allow this.' }, 'NotCancellable'],
    [422, { error_code: 'DBS.200002', error_msg: 'Unprocessable.' }, 'InvalidInput'],
    [418, undefined, 'Unknown'],
  ])('%i %j → %s', (status, body, code) => {
    const error = mapHuaweiError(status, body, 'req-1');
    expect(error.code).toBe(code);
    expect(error.providerStatus).toBe(status);
    expect(error.requestId).toBe('req-1');
    if (body) {
      expect(error.providerCode).toBe(body.error_code);
      expect(error.providerMessage).toBe(body.error_msg);
      expect(error.message).toContain(body.error_code);
    }
  });

  it('marks 5xx (but not 503) as ambiguous so the engine reconciles before retrying', () => {
    expect(mapHuaweiError(500, {}).ambiguous).toBe(true);
    expect(mapHuaweiError(503, {}).ambiguous).toBe(false);
    expect(mapHuaweiError(400, {}).ambiguous).toBe(false);
  });

  it('lets a caller classify codes it knows', () => {
    const error = mapHuaweiError(400, { error_code: 'DBS.200004', error_msg: 'Operation is illegal.' }, undefined, {
      errorCodes: { 'DBS.200004': 'NotCancellable' },
    });
    expect(error.code).toBe('NotCancellable');
  });

  it('reads the nested {error: {code, message}} shape and request_id from the body', () => {
    const error = mapHuaweiError(404, { error: { code: 'X.1', message: 'gone' }, request_id: 'body-req' });
    expect(error).toMatchObject({ providerCode: 'X.1', providerMessage: 'gone', requestId: 'body-req' });
    expect(readHuaweiErrorBody('not an object')).toEqual({});
  });

  it('carries Retry-After and scrubs echoed secrets from the provider message', () => {
    const error = mapHuaweiError(
      401,
      { error_code: 'APIGW.0301', error_msg: 'verify aksk signature fail,canonicalRequest:GET|/v3/|x-security-token:tok-123|x-sdk-date:1|my-sk-value' },
      'r',
      { retryAfterMs: 2000, redact: (t) => t.split('my-sk-value').join('[REDACTED]') },
    );
    expect(error.retryAfterMs).toBe(2000);
    expect(error.providerMessage).not.toContain('tok-123');
    expect(error.providerMessage).not.toContain('my-sk-value');
    expect(error.message).not.toContain('tok-123');
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates, caps at an hour', () => {
    const now = Date.UTC(2025, 0, 1);
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(new Date(now + 5000).toUTCString(), now)).toBe(5000);
    expect(parseRetryAfter('999999', now)).toBe(3_600_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('mapHuaweiError with a hostile error code', () => {
  it('an error_code naming an Object.prototype member never picks it up from errorCodes, and never crashes', () => {
    for (const code of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      const error = mapHuaweiError(409, { error_code: code, error_msg: 'm' }, 'rid', { errorCodes: { 'DBS.200004': 'NotCancellable' } });
      expect(error).toMatchObject({ code: 'NotCancellable', providerCode: code });
    }
    expect(mapHuaweiError(403, { error_code: 'X' }, 'rid', { errorCodes: { X: 'Nonsense' as never } })).toMatchObject({ code: 'PermissionDenied' });
  });
});
