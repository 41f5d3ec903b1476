/** Builds the core kit for a command: loads only the plugins the command names. */
import type { CancelKit, CancelKitConfig, CancellablePlugin } from '@cancelkit/core';
import { CancelKitError } from '@cancelkit/core/plugin';
import type { CommandContext } from './runtime.js';

export async function createKit(ctx: CommandContext, plugins: readonly CancellablePlugin<unknown>[], config: CancelKitConfig): Promise<CancelKit> {
  const { createCancelKit } = await import('@cancelkit/core');
  try {
    return createCancelKit({ plugins: [...plugins], config, logger: ctx.logger, secrets: ctx.secrets });
  } catch (error) {
    // resolveConfig reports bad numbers as RangeError: they come from the config file or flags.
    if (error instanceof RangeError) throw new CancelKitError('InvalidInput', error.message, { hint: 'Fix the value in the config file or flag.' });
    throw error;
  }
}
