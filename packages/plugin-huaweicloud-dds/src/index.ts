import { createPluginModule } from '@cancelkit/core';
import { ddsScheduledJobPlugin } from './dds-plugin.js';

export { type DdsSchedule, ddsScheduledJobPlugin, stateOf } from './dds-plugin.js';
export { type DdsParams, ddsParamsSchema } from './schema.js';
export { default as ddsScheduledJobManifest } from './manifest.js';

/** Binds the plugin into a cancelkit container (`createCancelKit({ plugins: [ddsScheduledJobModule] })`). */
export const ddsScheduledJobModule = createPluginModule(ddsScheduledJobPlugin);

export default ddsScheduledJobPlugin;
