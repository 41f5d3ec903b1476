/** The cancelkit conformance kit (@cancelkit/testing), run against this plugin and its emulation. */
import { DEMO_CREDENTIALS } from '@cancelkit/emulator';
import { describeCancellablePlugin } from '@cancelkit/testing';
import emulation from './emulation.js';
import plugin from './index.js';

const params = (job: { id: string }) => ({ region: 'cn-north-4', jobId: job.id });

describeCancellablePlugin(plugin, {
  emulation,
  cases: {
    cancellable: { operation: { status: 'Pending' }, params },
    notCancellable: { operation: { status: 'Running' }, params },
    notFound: { params: { region: 'cn-north-4', jobId: 'conformance-unknown-job' } },
    invalid: [{}, { region: 'cn-north-4' }, { jobId: 'j' }, { region: 'cn north 4', jobId: 'j' }],
    more: {
      completed: { operation: { status: 'Completed' }, params, expect: 'already-finished' },
    },
  },
  config: { providers: { huaweicloud: { ak: DEMO_CREDENTIALS.accessKeyId, sk: DEMO_CREDENTIALS.accessKeySecret, projectId: DEMO_CREDENTIALS.projectId } } },
});
