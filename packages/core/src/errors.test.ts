import { describe, expect, it } from 'vitest';
import { CancelKitError, describeJsonSyntaxError, ERROR_CODES, ERROR_TRAITS, InvalidInput, invalidInput, isCancelKitError, Throttled, toCancelKitError } from './errors.js';

describe('error taxonomy', () => {
  it('gives every code a stable exit code and HTTP status, distinct per code', () => {
    const exits = ERROR_CODES.map((c) => ERROR_TRAITS[c].exitCode);
    expect(new Set(exits).size).toBe(ERROR_CODES.length);
    expect(exits).not.toContain(0);
    expect(ERROR_TRAITS.InvalidInput).toMatchObject({ exitCode: 2, httpStatus: 400, retryable: false });
    expect(ERROR_TRAITS.Throttled).toMatchObject({ httpStatus: 429, retryable: true });
    expect(ERROR_TRAITS.Transient.retryable).toBe(true);
    expect(ERROR_CODES.filter((c) => ERROR_TRAITS[c].retryable)).toEqual(['Throttled', 'Transient']);
  });

  it('keeps the provider code, message and request id, and serialises them', () => {
    const e = new Throttled('slow down', { providerCode: 'Throttling.User', providerMessage: 'Request was denied', requestId: 'R-1', httpStatus: 400, retryAfterMs: 2000 });
    expect(e).toMatchObject({ code: 'Throttled', retryable: true, exitCode: 7, status: 429, providerCode: 'Throttling.User', requestId: 'R-1', retryAfterMs: 2000 });
    expect(JSON.parse(JSON.stringify(e))).toEqual({
      code: 'Throttled',
      message: 'slow down',
      retryable: true,
      providerCode: 'Throttling.User',
      providerMessage: 'Request was denied',
      requestId: 'R-1',
      httpStatus: 400,
    });
  });

  it('checks structurally, so a copy from another core still counts', () => {
    const foreign = { $$type: 'cancelkit.error', code: 'NotFound', message: 'x' };
    expect(isCancelKitError(foreign)).toBe(true);
    expect(isCancelKitError({ $$type: 'cancelkit.error', code: 'Nope' })).toBe(false);
    expect(isCancelKitError(new Error('x'))).toBe(false);
  });

  it('wraps unknown throwables as Unknown and aborts as Transient', () => {
    expect(toCancelKitError(new TypeError('boom'))).toMatchObject({ code: 'Unknown', message: 'boom' });
    const abort = new Error('aborted');
    abort.name = 'AbortError';
    expect(toCancelKitError(abort)).toMatchObject({ code: 'Transient', ambiguous: true });
    const original = new InvalidInput('bad');
    expect(toCancelKitError(original)).toBe(original);
  });

  it('names every field in an InvalidInput', () => {
    const e = invalidInput([
      { field: 'taskId', message: 'is required', hint: 'pass --task-id' },
      { field: 'regionId', message: 'must not be empty' },
    ]);
    expect(e.message).toBe('Invalid input: taskId: is required (pass --task-id); regionId: must not be empty');
    expect(e.issues).toHaveLength(2);
    expect(e).toBeInstanceOf(CancelKitError);
  });
});

describe('describeJsonSyntaxError', () => {
  const problem = (text: string) => {
    try {
      JSON.parse(text);
    } catch (error) {
      return describeJsonSyntaxError(error);
    }
    throw new Error('parsed');
  };

  it('says what is wrong and where, never quoting the input (which may hold a secret)', () => {
    for (const text of ['{"accessKeySecret": abcdefsecret123}', '{"a": 1,\n"sk": abcdefsecret123\n}', '{"sk": "abcdefsecret123"} abcdefsecret123', '{"sk": "abcdefsecret123']) {
      const said = problem(text);
      expect(said).not.toMatch(/abcdef|secret|ySecret/);
      expect(said.length).toBeGreaterThan(5);
    }
    expect(problem('{"a": 1,\n  }')).toMatch(/line 2 column 3$/);
    expect(problem('')).toBe('Unexpected end of JSON input');
  });
});
