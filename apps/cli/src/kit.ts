/**
 * Builds the core kit for a command: loads only the plugins the command names. The CLI binds nothing
 * into a DI container, so it uses core's light `createKit` (`@cancelkit/core/kit`), which never imports
 * inversify or reflect-metadata (126–192 ms of start-up otherwise).
 */
import type { CancelKitConfig, Kit } from '@cancelkit/core/kit';
import type { CancellablePlugin } from '@cancelkit/core/plugin';
import { CancelKitError } from '@cancelkit/core/plugin';
import type { CommandContext } from './runtime.js';

export async function createKit(ctx: CommandContext, plugins: readonly CancellablePlugin<unknown>[], config: CancelKitConfig): Promise<Kit> {
  const { createKit: createCoreKit } = await import('@cancelkit/core/kit');
  try {
    return createCoreKit({ plugins, config, logger: ctx.logger, secrets: ctx.secrets });
  } catch (error) {
    // resolveConfig reports bad numbers as RangeError: they come from the config file or flags.
    if (error instanceof RangeError) throw new CancelKitError('InvalidInput', error.message, { hint: 'Fix the value in the config file or flag.' });
    throw error;
  }
}
