/** The cancelkit conformance kit (@cancelkit/testing), run against this plugin and its emulation. */
import { DEMO_CREDENTIALS } from '@cancelkit/emulator';
import { describeCancellablePlugin } from '@cancelkit/testing';
import emulation from './emulation.js';
import plugin from './index.js';

describeCancellablePlugin(plugin, {
  emulation,
  cases: {
    cancellable: { operation: { taskAction: 'ImportImage', taskStatus: 'Processing' }, params: (task) => ({ regionId: 'cn-hangzhou', taskId: task.id }) },
    // CancelTask cancels only ImportImage / ExportImage tasks.
    notCancellable: { operation: { taskAction: 'RedeployInstance', taskStatus: 'Processing' }, params: (task) => ({ regionId: 'cn-hangzhou', taskId: task.id }) },
    notFound: { params: { regionId: 'cn-hangzhou', taskId: 't-conformance-unknown' } },
    invalid: [{}, { regionId: 'cn-hangzhou' }, { taskId: 't-1' }, { regionId: 'Hang Zhou', taskId: 't-1' }, { regionId: 'cn-hangzhou', taskId: 't 1' }],
    more: {
      finished: { operation: { taskStatus: 'Finished' }, params: (task) => ({ regionId: 'cn-hangzhou', taskId: task.id }), expect: 'already-finished' },
    },
  },
  config: { providers: { alibaba: { accessKeyId: DEMO_CREDENTIALS.accessKeyId, accessKeySecret: DEMO_CREDENTIALS.accessKeySecret } } },
});
