import { describe, expect, it } from 'vitest';
import {
  addInputIssue,
  bodyProblem,
  headerNameProblem,
  headerValueProblem,
  isMethodName,
  queryNameProblem,
  queryValueProblem,
  REQUEST_PROBLEMS as P,
  RecentlyGood,
  segmentProblem,
} from './request-input.js';
import type { InputIssue } from './errors.js';

describe('request input checks shared by the provider packages', () => {
  it('header names are RFC 9110 tokens, never pollution keys', () => {
    expect(headerNameProblem('x-acs-action')).toBeUndefined();
    expect(headerNameProblem('x-acs-action')).toBeUndefined(); // remembered: the second look is one comparison
    for (const bad of ['', 'a b', 'x\r\ninjected', 'é', 'a:b', 'x'.repeat(257)]) expect(headerNameProblem(bad), JSON.stringify(bad)).toBe(P.headerName);
    expect(headerNameProblem('__proto__')).toBe(P.pollutionName);
    expect(headerNameProblem('constructor')).toBe(P.pollutionName);
  });

  it('header values are printable ASCII, with line breaks and non-ASCII told apart', () => {
    expect(headerValueProblem('ACS3-HMAC-SHA256 Credential=a')).toBeUndefined();
    expect(headerValueProblem('a\r\nX-Injected: 1')).toBe(P.controlInHeader);
    expect(headerValueProblem('a\u0000b')).toBe(P.controlInHeader);
    expect(headerValueProblem('中文')).toBe(P.nonAsciiInHeader);
    expect(headerValueProblem(42)).toBe(P.notString);
    expect(headerValueProblem('x'.repeat(16_385))).toBe(P.headerTooLong);
    expect(headerValueProblem('   ')).toBeUndefined();
    expect(headerValueProblem('   ', true)).toBe(P.empty);
  });

  it('query names and values are well-formed text of bounded size', () => {
    expect(queryNameProblem('RegionId')).toBeUndefined();
    expect(queryNameProblem('')).toBe(P.empty);
    expect(queryNameProblem('prototype')).toBe(P.pollutionName);
    expect(queryNameProblem('a\ud800')).toBe(P.illFormed);
    expect(queryValueProblem('a b/c?d=e&f 中文')).toBeUndefined();
    expect(queryValueProblem('\udfff')).toBe(P.illFormed);
    expect(queryValueProblem(undefined)).toBe(P.notString);
    expect(queryValueProblem('x'.repeat(16_385))).toBe(P.valueTooLong);
  });

  it('path segments, bodies and methods', () => {
    expect(segmentProblem('tisplus@a b*c')).toBeUndefined();
    for (const bad of ['', '.', '..', 7]) expect(segmentProblem(bad)).toBe(P.segment);
    expect(segmentProblem('x'.repeat(2_049))).toBe(P.segmentTooLong);
    expect(bodyProblem(undefined)).toBeUndefined();
    expect(bodyProblem(new Uint8Array(2))).toBeUndefined();
    expect(bodyProblem({ a: 1 })).toBe(P.body);
    expect(bodyProblem('\ud800')).toBe(P.illFormed);
    expect(isMethodName('get')).toBe(true);
    expect(isMethodName('GET ')).toBe(false);
    expect(isMethodName('')).toBe(false);
    expect(isMethodName('G'.repeat(33))).toBe(false);
  });

  it('an issue keeps at most 100 characters of a caller-supplied field name', () => {
    const issues: InputIssue[] = [];
    addInputIssue(issues, 'headers.ok', undefined);
    addInputIssue(issues, `headers.${'n'.repeat(1_000)}`, P.headerName);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.field).toHaveLength(100);
    expect(issues[0]).toMatchObject({ message: P.headerName.message, hint: P.headerName.hint });
  });

  it('RecentlyGood remembers the last eight values', () => {
    const good = new RecentlyGood();
    for (let i = 0; i < 9; i++) good.add(`v${i}`);
    expect(good.has('v0')).toBe(false);
    expect(good.has('v1')).toBe(true);
    expect(good.has('v8')).toBe(true);
  });
});
