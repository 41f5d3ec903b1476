import { describe, expect, it } from 'vitest';
import { MAX_TIMER_MS, resolveConfig } from './config.js';
import { createCancelKit } from './kit.js';
import { createKit } from './light-kit.js';
import { FakeCloud, fakePlugin } from './test-support/fake-plugin.js';

describe('resolveConfig', () => {
  it('refuses a rate limit that is not a positive number up front, in both kits, instead of failing every target later', () => {
    for (const qps of [0, -5, Number.NaN, '20' as unknown as number]) {
      const config = { rateLimits: { 'fake.jobs': 10, '*': qps } };
      expect(() => resolveConfig(config)).toThrowError(RangeError);
      expect(() => resolveConfig(config)).toThrowError(/config\.rateLimits\["\*"\] must be a positive number/);
      expect(() => createKit({ plugins: [fakePlugin(new FakeCloud())], config })).toThrowError(RangeError);
      expect(() => createCancelKit({ plugins: [fakePlugin(new FakeCloud())], config })).toThrowError(RangeError);
    }
  });

  it('refuses delays a timer cannot hold (negative, NaN, beyond 2^31-1 ms), naming the setting', () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ timeoutMs: 3_000_000_000 }, 'timeoutMs'],
      [{ timeoutMs: 0 }, 'timeoutMs'],
      [{ retry: { baseDelayMs: -1 } }, 'retry.baseDelayMs'],
      [{ retry: { maxDelayMs: Number.NaN } }, 'retry.maxDelayMs'],
      [{ wait: { intervalMs: 1e12 } }, 'wait.intervalMs'],
    ];
    for (const [config, name] of bad) expect(() => resolveConfig(config), name).toThrowError(new RegExp(`config\\.${name.replace('.', '\\.')} must be a number of milliseconds`));
    expect(resolveConfig({ retry: { baseDelayMs: 0, maxDelayMs: 0 }, timeoutMs: MAX_TIMER_MS }).retry).toMatchObject({ baseDelayMs: 0, maxDelayMs: 0 });
    // A wait may be long: it is a deadline, not one timer.
    expect(resolveConfig({ wait: { timeoutMs: 40 * 24 * 3600_000 } }).wait.timeoutMs).toBe(40 * 24 * 3600_000);
  });

  it('keeps positive rate limits as given', async () => {
    expect(resolveConfig({ rateLimits: { 'fake.jobs': 0.5, '*': 20 } }).rateLimits).toEqual({ 'fake.jobs': 0.5, '*': 20 });
    const config = { rateLimits: { 'fake.jobs': 1000 } };
    for (const create of [createKit, createCancelKit]) {
      const cloud = new FakeCloud();
      cloud.add('a');
      const kit = create({ plugins: [fakePlugin(cloud)], config });
      const [result] = await kit.cancel('fake.jobs.job', { ids: ['a'] });
      expect(result).toMatchObject({ target: 'a', outcome: 'cancelled' });
      await kit.close();
    }
  });
});
