/** The cancelkit conformance kit, run against this plugin and its emulation. */
import { describeCancellablePlugin } from '@cancelkit/testing';
import emulation from './emulation.js';
import plugin from './index.js';

describeCancellablePlugin(plugin, {
  emulation,
  cases: {
    cancellable: { operation: { status: 'running' }, params: (op) => ({ jobId: op.id }) },
    notCancellable: { operation: { status: 'finalizing' }, params: (op) => ({ jobId: op.id }) },
    notFound: { params: { jobId: 'job-that-never-was' } },
    invalid: [{}, { jobId: '' }, { jobId: 'job 1' }, { jobId: 42 }, { jobId: 'job-4f2a', unknownParam: 'x' }],
    more: {
      queued: { operation: { status: 'queued' }, params: (op) => ({ jobId: op.id }) },
      finished: { operation: { status: 'succeeded' }, params: (op) => ({ jobId: op.id }), expect: 'already-finished' },
    },
  },
  // The emulator accepts the public demo key; the kit never reads the real environment.
  config: { env: { ACME_API_KEY_ID: 'cancelkit-demo-ak', ACME_API_KEY_SECRET: 'cancelkit-demo-sk' } },
});
