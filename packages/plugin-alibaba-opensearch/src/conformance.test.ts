/** The cancelkit conformance kit (@cancelkit/testing), run against this plugin and its emulation. */
import { DEMO_CREDENTIALS } from '@cancelkit/emulator';
import { describeCancellablePlugin } from '@cancelkit/testing';
import emulation from './emulation.js';
import plugin from './index.js';

const INSTANCE = 'ha-cn-conformance01';
const params = (task: { id: string }) => ({ regionId: 'cn-hangzhou', instanceId: INSTANCE, fsmId: task.id });

describeCancellablePlugin(plugin, {
  emulation,
  cases: {
    // fsm ids carry '@' and other characters that must be path-encoded exactly once.
    cancellable: { operation: { instanceId: INSTANCE, fsmId: 'fsm-conf@tenant/a+b', status: 'running' }, params },
    notCancellable: { operation: { instanceId: INSTANCE, status: 'success' }, params, expect: 'already-finished' },
    notFound: { params: { regionId: 'cn-hangzhou', instanceId: INSTANCE, fsmId: 'fsm-conformance-unknown' } },
    invalid: [{}, { regionId: 'cn-hangzhou', instanceId: INSTANCE }, { regionId: 'cn-hangzhou', fsmId: 'f' }, { regionId: 'cn-hangzhou', instanceId: 'ha cn', fsmId: 'f' }],
    more: {
      pending: { operation: { instanceId: INSTANCE, status: 'pending' }, params },
    },
  },
  config: { providers: { alibaba: { accessKeyId: DEMO_CREDENTIALS.accessKeyId, accessKeySecret: DEMO_CREDENTIALS.accessKeySecret } } },
});
