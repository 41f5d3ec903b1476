/**
 * The per-call shortcuts signAcs3 takes for speed (pooled nonces, the date formatted once per second, the
 * empty-body hash as a constant, encoders that skip already-plain text) must give exactly what the plain
 * computation gives. Reference implementations here are the straightforward ones the shortcuts replace.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type OpenApiUtilModule from '@alicloud/openapi-util';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EMPTY_BODY_SHA256, isoSeconds, newNonce, sha256Hex, signAcs3 } from './acs3.js';
import { canonicalQuery, canonicalQueryOfRecord, canonicalUri, isUnreserved, percentEncode } from './encoding.js';

const official = (createRequire(import.meta.url)('@alicloud/openapi-util') as typeof OpenApiUtilModule).default;
const KEY = { accessKeyId: 'testAK', accessKeySecret: 'testSecret' };

const referenceIsoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const referencePercentEncode = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const referenceCanonicalUri = (path: string) => (path === '' ? '/' : path).replace(/\+/g, '%20').replace(/\*/g, '%2A').replace(/%7E/g, '~');

afterEach(() => {
  vi.useRealTimers();
});

describe('nonces from the pooled block', () => {
  it('are 32 lower-case hex characters and never repeat, across several refills of the pool', () => {
    // 4096-byte pool = 256 nonces per refill: 2,000 nonces cross seven refills.
    const nonces = Array.from({ length: 2_000 }, () => newNonce());
    expect(nonces.filter((nonce) => !/^[0-9a-f]{32}$/.test(nonce))).toEqual([]);
    expect(new Set(nonces).size).toBe(2_000);
  });

  it('are not a counter: consecutive nonces share no long common prefix', () => {
    // Sixteen random bytes per nonce: a shared 8-hex-digit prefix has odds of 2^-32 per pair.
    let previous = newNonce();
    for (let i = 0; i < 500; i++) {
      const next = newNonce();
      expect(next.slice(0, 8)).not.toBe(previous.slice(0, 8));
      previous = next;
    }
  });
});

describe('isoSeconds cached per second', () => {
  it('matches toISOString for any time, in any order (cache hits and misses alike)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }), fc.double({ min: -1e13, max: 1e13, noNaN: true })), { minLength: 1, maxLength: 20 }), (times) => {
        for (const ms of times) expect(isoSeconds(ms)).toBe(referenceIsoSeconds(ms));
      }),
      { numRuns: 300 },
    );
  });

  it('moves on at the second boundary and keeps throwing for an invalid time', () => {
    const base = Date.UTC(2026, 0, 1, 0, 0, 0);
    expect(isoSeconds(base + 999)).toBe('2026-01-01T00:00:00Z');
    expect(isoSeconds(base + 1000)).toBe('2026-01-01T00:00:01Z');
    expect(isoSeconds(base - 1)).toBe('2025-12-31T23:59:59Z');
    expect(isoSeconds(-0.5)).toBe('1970-01-01T00:00:00Z');
    expect(isoSeconds(-1000.5)).toBe('1969-12-31T23:59:59Z');
    expect(() => isoSeconds(Number.NaN)).toThrow(RangeError);
    expect(() => isoSeconds(9e15)).toThrow(RangeError);
    expect(isoSeconds(base)).toBe('2026-01-01T00:00:00Z');
  });
});

describe('encoders that skip plain text', () => {
  it('percentEncode, canonicalUri and canonicalQuery give what the plain regex versions give', () => {
    const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.stringMatching(/^[A-Za-z0-9._~*+'()!%7E/-]{0,16}$/));
    fc.assert(
      fc.property(text, fc.dictionary(text, text, { maxKeys: 5 }), (value, query) => {
        expect(percentEncode(value)).toBe(referencePercentEncode(value));
        expect(isUnreserved(value)).toBe(referencePercentEncode(value) === value);
        expect(canonicalUri(value)).toBe(referenceCanonicalUri(value));
        expect(canonicalQueryOfRecord(query)).toBe(canonicalQuery(Object.entries(query)));
      }),
      { numRuns: 500 },
    );
  });
});

describe('signAcs3 with its own date and nonce', () => {
  it('hashes an empty body to the constant, and a non-empty one for real', () => {
    expect(EMPTY_BODY_SHA256).toBe(createHash('sha256').update('').digest('hex'));
    const signed = (body?: string | Uint8Array) => signAcs3({ method: 'POST', host: 'h', path: '/', action: 'A', version: 'v', ...(body === undefined ? {} : { body }) }, KEY);
    expect(signed()['x-acs-content-sha256']).toBe(EMPTY_BODY_SHA256);
    expect(signed('')['x-acs-content-sha256']).toBe(EMPTY_BODY_SHA256);
    expect(signed(new Uint8Array(0))['x-acs-content-sha256']).toBe(EMPTY_BODY_SHA256);
    expect(signed('{"a":1}')['x-acs-content-sha256']).toBe(createHash('sha256').update('{"a":1}').digest('hex'));
    expect(sha256Hex('ünï')).toBe(createHash('sha256').update('ünï').digest('hex'));
  });

  it('stays byte-identical to openapi-util while the clock crosses seconds and the nonce pool refills', () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.UTC(2026, 0, 1, 23, 59, 58, 500) });
    const query = { RegionId: 'cn-hangzhou', TaskId: 't-bp198jigq7l0h5ac1234', Note: "it's (a) test*" };
    const nonces = new Set<string>();
    for (let i = 0; i < 300; i++) {
      vi.setSystemTime(Date.now() + 17);
      const headers = signAcs3({ method: 'POST', host: 'ecs.cn-hangzhou.aliyuncs.com', path: '/', query, headers: { 'User-Agent': 'test' }, action: 'CancelTask', version: '2014-05-26' }, KEY);
      expect(headers['x-acs-date']).toBe(referenceIsoSeconds(Date.now()));
      nonces.add(headers['x-acs-signature-nonce'] ?? '');
      const { authorization, ...unsigned } = headers;
      const expected = official.getAuthorization({ method: 'POST', pathname: '/', query, headers: unsigned } as never, 'ACS3-HMAC-SHA256', EMPTY_BODY_SHA256, KEY.accessKeyId, KEY.accessKeySecret);
      expect(authorization).toBe(expected);
    }
    expect(nonces.size).toBe(300);
  });

  it('still refuses a line break in any caller-supplied value, including a given date or nonce, naming the field', () => {
    const request = { method: 'POST', host: 'h', path: '/', action: 'A', version: 'v' };
    expect(() => signAcs3({ ...request, headers: { 'x-extra': 'a\nb' } }, KEY)).toThrow('headers.x-extra: contains a line break, NUL or another control character');
    expect(() => signAcs3({ ...request, host: 'h\0' }, KEY)).toThrow('host: must be a host name');
    expect(() => signAcs3(request, KEY, { date: '2026-01-01T00:00:00Z\r\nX: 1' })).toThrow('date: must be a UTC time');
    expect(() => signAcs3(request, KEY, { nonce: 'n\n' })).toThrow('nonce: must be 1 to 128 printable ASCII characters');
    expect(() => signAcs3(request, { ...KEY, securityToken: 't\r' })).toThrow('securityToken: must be printable ASCII');
  });
});
