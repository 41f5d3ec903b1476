/** How `describeParseProperties` sizes its fast-check runs from `RELIABILITY_SCALE`. */
import { describe, expect, it } from 'vitest';
import { propertyRuns, reliabilityScale } from './parse-properties.js';

describe('RELIABILITY_SCALE for the parse properties', () => {
  it('is 1 when unset or empty, so the default CI cost stays 400 / 200 / 150 runs', () => {
    for (const raw of [undefined, '', '  ']) expect(reliabilityScale(raw)).toBe(1);
    expect([400, 200, 150].map((base) => propertyRuns(base, reliabilityScale(undefined)))).toEqual([400, 200, 150]);
  });

  it('multiplies every run count, fractions included, never below one run', () => {
    expect(reliabilityScale('10')).toBe(10);
    expect(reliabilityScale('0.5')).toBe(0.5);
    expect([400, 200, 150].map((base) => propertyRuns(base, 10))).toEqual([4_000, 2_000, 1_500]);
    expect(propertyRuns(150, 0.5)).toBe(75);
    expect(propertyRuns(1, 0.01)).toBe(1);
  });

  it('refuses anything but a positive number, naming the value', () => {
    for (const raw of ['0', '-1', 'ten', 'NaN', 'Infinity', '1e999']) {
      expect(() => reliabilityScale(raw)).toThrow(new RangeError(`RELIABILITY_SCALE must be a positive number such as 1 or 10, got ${JSON.stringify(raw)}`));
    }
  });
});
