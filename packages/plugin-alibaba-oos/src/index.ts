/**
 * `@cancelkit/plugin-alibaba-oos`: the `alibaba.oos.execution` plugin and its inversify module. The
 * manifest and the emulation have their own entries (`./manifest`, `./emulation`).
 */
import { createPluginModule } from '@cancelkit/core';
import { oosExecutionPlugin } from './oos-execution-plugin.js';

export { executionState, type OosExecution, oosExecutionPlugin } from './oos-execution-plugin.js';
export { type OosExecutionParams, oosExecutionParamsSchema } from './schema.js';
export { OOS_API_VERSION, OOS_ERROR_CODES, OOS_ERRORS } from './wire.js';

/** Binds `oosExecutionPlugin` for `createCancelKit({ modules })` / `createCancelKit({ plugins })`. */
export const oosExecutionModule = createPluginModule(oosExecutionPlugin);

export default oosExecutionPlugin;
