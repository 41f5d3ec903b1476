/** The cancelkit conformance kit (@cancelkit/testing), run against this plugin and its emulation. */
import { DEMO_CREDENTIALS } from '@cancelkit/emulator';
import { describeCancellablePlugin } from '@cancelkit/testing';
import emulation from './emulation.js';
import plugin from './index.js';

describeCancellablePlugin(plugin, {
  emulation,
  cases: {
    cancellable: { operation: { status: 'Running' }, params: (execution) => ({ regionId: 'cn-hangzhou', executionId: execution.id }) },
    // Every active OOS execution can be cancelled; an ended one has nothing left to cancel.
    notCancellable: { operation: { status: 'Success' }, params: (execution) => ({ regionId: 'cn-hangzhou', executionId: execution.id }), expect: 'already-finished' },
    notFound: { params: { regionId: 'cn-hangzhou', executionId: 'exec-conformance-unknown' } },
    invalid: [{}, { regionId: 'cn-hangzhou' }, { executionId: 'exec-1' }, { regionId: 'cn-hangzhou', executionId: 'exec 1' }],
    more: {
      queued: { operation: { status: 'Queued' }, params: (execution) => ({ regionId: 'cn-hangzhou', executionId: execution.id }) },
    },
  },
  config: { providers: { alibaba: { accessKeyId: DEMO_CREDENTIALS.accessKeyId, accessKeySecret: DEMO_CREDENTIALS.accessKeySecret } } },
});
