/**
 * `@cancelkit/plugin-alibaba-tair`: the `alibaba.tair.ops-event` plugin and its inversify module. The
 * manifest and the emulation have their own entries (`./manifest`, `./emulation`).
 */
import { createPluginModule } from '@cancelkit/core';
import { tairOpsEventPlugin } from './tair-ops-event-plugin.js';

export {
  type ActiveOperationTask,
  DESCRIBE_PAGE_SIZE,
  eventState,
  MAX_DESCRIBE_PAGES,
  TAIR_IDS_PER_CALL,
  tairOpsEventPlugin,
} from './tair-ops-event-plugin.js';
export { MAX_EVENT_IDS, type TairOpsEventParams, tairOpsEventParamsSchema } from './schema.js';
export { cancelRefusals, EVENT_STATUS, TAIR_API_VERSION, TAIR_ERROR_CODES } from './wire.js';

/** Binds `tairOpsEventPlugin` for `createCancelKit({ modules })` / `createCancelKit({ plugins })`. */
export const tairOpsEventModule = createPluginModule(tairOpsEventPlugin);

export default tairOpsEventPlugin;
