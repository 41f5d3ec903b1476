import { describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';
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
