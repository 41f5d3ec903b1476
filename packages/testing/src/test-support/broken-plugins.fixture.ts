/**
 * Not a test of its own: `describe.test.ts` runs this file in a child vitest (with
 * `fixture.vitest.config.ts`) to show what a plugin author sees when a deliberately broken plugin meets
 * `describeCancellablePlugin`: red tests whose messages name the rule that was broken.
 */
import { describe } from 'vitest';
import { describeCancellablePlugin } from '../describe.js';
import { FAKE_KEY, fakeCases, fakeJobsEmulation, fakeJobsPlugin } from './fake-jobs.js';

const options = {
  emulation: fakeJobsEmulation,
  cases: fakeCases,
  emulator: { credentials: [{ accessKeyId: FAKE_KEY.keyId, secret: FAKE_KEY.secret }] },
  config: { providers: { fake: { keyId: FAKE_KEY.keyId, secret: FAKE_KEY.secret } } },
  settleMs: 50,
};

describe('two-outcomes', () => describeCancellablePlugin(fakeJobsPlugin('two-outcomes'), options));
describe('secret-in-error', () => describeCancellablePlugin(fakeJobsPlugin('secret-in-error'), options));
