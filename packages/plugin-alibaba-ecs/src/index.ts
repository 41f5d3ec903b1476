/**
 * `@cancelkit/plugin-alibaba-ecs`: the `alibaba.ecs.task` plugin and its inversify module. The manifest
 * and the emulation have their own entries (`./manifest`, `./emulation`) so they load without this one.
 */
import { createPluginModule } from '@cancelkit/core';
import { ecsTaskPlugin } from './ecs-task-plugin.js';

export { ecsTaskPlugin, taskState, type TaskAttributeBody } from './ecs-task-plugin.js';
export { ecsTaskParamsSchema, type EcsTaskParams } from './schema.js';
export { ECS_API_VERSION, ECS_CANCEL_TASK_ERRORS, ECS_ERROR_CODES } from './wire.js';

/** Binds `ecsTaskPlugin` for `createCancelKit({ modules })` / `createCancelKit({ plugins })`. */
export const ecsTaskModule = createPluginModule(ecsTaskPlugin);

export default ecsTaskPlugin;
