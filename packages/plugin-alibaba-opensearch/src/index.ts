/**
 * `@cancelkit/plugin-alibaba-opensearch`: the `alibaba.opensearch.fsm-task` plugin and its inversify
 * module. The manifest and the emulation have their own entries (`./manifest`, `./emulation`).
 */
import { createPluginModule } from '@cancelkit/core';
import { ha3FsmTaskPlugin } from './ha3-fsm-task-plugin.js';

export { type ClusterTask, fsmTaskState, ha3FsmTaskPlugin } from './ha3-fsm-task-plugin.js';
export { type Ha3FsmTaskParams, ha3FsmTaskParamsSchema } from './schema.js';
export { clusterTasksPath, HA3_API_VERSION, HA3_ERROR_CODES, HA3_ERRORS, stopTaskPath } from './wire.js';

/** Binds `ha3FsmTaskPlugin` for `createCancelKit({ modules })` / `createCancelKit({ plugins })`. */
export const ha3FsmTaskModule = createPluginModule(ha3FsmTaskPlugin);

export default ha3FsmTaskPlugin;
