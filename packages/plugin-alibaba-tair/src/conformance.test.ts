/** The cancelkit conformance kit (@cancelkit/testing), run against this plugin and its emulation. */
import { DEMO_CREDENTIALS } from '@cancelkit/emulator';
import { describeCancellablePlugin } from '@cancelkit/testing';
import emulation from './emulation.js';
import plugin from './index.js';

const ids = (_first: { id: string }, all: readonly { id: string }[]) => ({ ids: all.map((event) => event.id) });

describeCancellablePlugin(plugin, {
  emulation,
  cases: {
    // A batch: one CancelActiveOperationTasks call, one outcome per Id.
    cancellable: { operations: [{}, {}, {}], params: ids },
    notCancellable: { operation: { allowCancel: 0 }, params: ids },
    notFound: { params: { ids: '9999991' } },
    invalid: [{}, { ids: '' }, { ids: [] }, { ids: 'abc' }, { ids: '1,,2' }, { ids: '1', regionId: 'Hang Zhou' }],
    more: {
      // The cloud answers with only the Ids it cancelled; every other Id still gets its own outcome.
      mixed: {
        operations: [{}, { allowCancel: 0 }, { status: 5 }],
        params: (_first, all) => ({ ids: [...all.map((event) => event.id), '9999992'] }),
        expect: (target, all) =>
          target === all[0]?.id ? 'cancelled' : target === all[1]?.id ? 'not-cancellable' : target === all[2]?.id ? 'already-finished' : 'not-found',
      },
    },
  },
  config: { providers: { alibaba: { accessKeyId: DEMO_CREDENTIALS.accessKeyId, accessKeySecret: DEMO_CREDENTIALS.accessKeySecret } } },
});
