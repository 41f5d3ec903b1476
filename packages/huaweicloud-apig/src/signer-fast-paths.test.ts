/**
 * The per-call shortcuts the SDK-HMAC-SHA256 signer takes for speed (X-Sdk-Date formatted and validated
 * once per second, no re-parse of a date we formatted, encoders that skip already-plain text, one pass
 * over the headers) must give exactly what the plain computation gives, errors included.
 */
import { isCancelKitError } from '@cancelkit/core';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isUnreserved, percentDecode, rfc3986Encode } from './encoding.js';
import { canonicalUri, formatSdkDate, parseSdkDate, signSdkHmacSha256 } from './signer.js';
import { officialSign } from './test-support/official-sdk.js';

const AK = 'HPUAEXAMPLEAK0000001';
const SK = 'exampleSecretKey0000000000000000000000000';
const URL_TEXT = 'https://dds.cn-north-4.myhuaweicloud.com/v3/0123456789abcdef0123456789abcdef/scheduled-jobs/3861199d-c196-4791-bcd0-b45fde754f50';
const HEADERS = { 'content-type': 'application/json', 'X-Project-Id': '0123456789abcdef0123456789abcdef' };

const referenceFormat = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
const referenceEncode = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const referenceCanonicalUri = (rawPath: string, mode: 'normalize' | 'as-received') => {
  const joined = rawPath
    .split('/')
    .map((segment) => {
      if (mode === 'as-received') return referenceEncode(segment);
      try {
        return referenceEncode(decodeURIComponent(segment));
      } catch {
        return referenceEncode(segment);
      }
    })
    .join('/');
  return joined.endsWith('/') ? joined : `${joined}/`;
};

afterEach(() => {
  vi.useRealTimers();
});

describe('formatSdkDate cached per second', () => {
  it('matches toISOString for any time, in any order, and parseSdkDate reads it back', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }), fc.double({ min: -1e13, max: 1e13, noNaN: true })), { minLength: 1, maxLength: 20 }), (times) => {
        for (const ms of times) {
          const formatted = formatSdkDate(ms);
          expect(formatted).toBe(referenceFormat(ms));
          const start = Math.trunc(ms) - (((Math.trunc(ms) % 1000) + 1000) % 1000);
          // Date.UTC maps years 0-99 to 1900-1999, so those never read back (as before).
          const year = new Date(start).getUTCFullYear();
          expect(parseSdkDate(formatted)).toBe(year >= 100 ? start + 0 : undefined); // + 0: -0 reads back as 0
        }
      }),
      { numRuns: 300 },
    );
  });

  it('moves on at the second boundary and keeps throwing for an invalid time', () => {
    const base = Date.UTC(2026, 0, 1);
    expect(formatSdkDate(base + 999)).toBe('20260101T000000Z');
    expect(formatSdkDate(base + 1000)).toBe('20260101T000001Z');
    expect(formatSdkDate(-1000.5)).toBe('19691231T235959Z');
    expect(() => formatSdkDate(Number.NaN)).toThrow(RangeError);
    expect(() => formatSdkDate(9e15)).toThrow(RangeError);
  });
});

describe('signSdkHmacSha256 with its own date', () => {
  it('stays byte-identical to AKSKSigner while the clock crosses seconds', () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.UTC(2025, 11, 31, 23, 59, 58, 900) });
    for (let i = 0; i < 60; i++) {
      vi.setSystemTime(Date.now() + 71);
      const ours = signSdkHmacSha256({ method: 'DELETE', url: URL_TEXT, headers: HEADERS }, { ak: AK, sk: SK });
      const sdk = officialSign({ method: 'DELETE', endpoint: URL_TEXT, headers: { ...HEADERS } }, AK, SK);
      expect(ours['X-Sdk-Date']).toBe(referenceFormat(Date.now()));
      expect(ours).toEqual({ 'X-Sdk-Date': sdk['X-Sdk-Date'], host: sdk.host, Authorization: sdk.Authorization });
    }
  });

  it('checks a date the caller gives, and a formatted one outside the years the format can hold', () => {
    const sign = (headers: Record<string, string>, date?: string | number) => signSdkHmacSha256({ method: 'GET', url: URL_TEXT, headers }, { ak: AK, sk: SK }, date === undefined ? {} : { date });
    const shape = 'must be a UTC time in the form YYYYMMDDTHHmmssZ';
    expect(() => sign({}, '20260230T000000Z')).toThrow(`date: ${shape}`);
    expect(() => sign({ 'X-Sdk-Date': '2026-01-01' })).toThrow(`headers.X-Sdk-Date: ${shape}`);
    expect(() => sign({}, new Date(0).setUTCFullYear(50))).toThrow(`date: ${shape}`);
    expect(() => sign({}, Date.UTC(10_000, 0, 1))).toThrow(`date: ${shape}`);
    // Not a time at all: InvalidInput too, not the RangeError formatSdkDate throws.
    expect(() => sign({}, Number.NaN)).toThrow(`date: ${shape}`);
    expect(() => sign({}, 9e15)).toThrow(`date: ${shape}`);
    expect(sign({ 'x-sdk-date': '20260101T000000Z' })).not.toHaveProperty('X-Sdk-Date');
    expect(sign({}, '20260101T000000Z')['X-Sdk-Date']).toBe('20260101T000000Z');
  });

  it('reports every problem at once, as one InvalidInput naming each field, in the order given', () => {
    const issuesOf = (headers: Record<string, string>, date?: string) => {
      try {
        signSdkHmacSha256({ method: 'GET', url: URL_TEXT, headers }, { ak: AK, sk: SK }, date === undefined ? {} : { date });
      } catch (error) {
        expect(isCancelKitError(error) && error.code).toBe('InvalidInput');
        return (error as { issues: { field: string; message: string }[] }).issues.map((i) => `${i.field}: ${i.message}`);
      }
      return [];
    };
    expect(issuesOf({ 'X-A': '1', 'x-a': '2', 'X-B': 'b\n' })).toEqual([
      'headers.x-a: is given twice (header names are case-insensitive)',
      'headers.X-B: contains a line break, NUL or another control character',
    ]);
    expect(issuesOf({ 'X-A': '1', 'x-a': '2' }, 'bad')).toEqual([
      'headers.x-a: is given twice (header names are case-insensitive)',
      'date: must be a UTC time in the form YYYYMMDDTHHmmssZ (years 100 to 9999)',
    ]);
    // A multipart content-type is left unsigned, so a second content-type is not a duplicate (as in the SDK).
    const multipart = signSdkHmacSha256({ method: 'POST', url: URL_TEXT, headers: { 'content-type': 'multipart/form-data; boundary=x', 'Content-Type': 'text/plain' } }, { ak: AK, sk: SK });
    expect(multipart.Authorization).toContain('SignedHeaders=content-type;host;x-sdk-date,');
  });
});

describe('encoders that skip plain text', () => {
  it('rfc3986Encode, percentDecode and canonicalUri give what the plain versions give', () => {
    const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.stringMatching(/^[A-Za-z0-9._~*+'()!%/-]{0,16}$/));
    fc.assert(
      fc.property(text, (value) => {
        expect(rfc3986Encode(value)).toBe(referenceEncode(value));
        expect(isUnreserved(value, false)).toBe(referenceEncode(value) === value);
        let decoded: string | undefined;
        try {
          decoded = decodeURIComponent(value);
        } catch {
          decoded = undefined;
        }
        expect(percentDecode(value)).toBe(decoded);
        expect(canonicalUri(value)).toBe(referenceCanonicalUri(value, 'normalize'));
        expect(canonicalUri(value, 'as-received')).toBe(referenceCanonicalUri(value, 'as-received'));
      }),
      { numRuns: 500 },
    );
  });
});
