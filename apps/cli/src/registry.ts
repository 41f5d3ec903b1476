/**
 * Plugin discovery for the CLI: explicit packages from the config file, plus packages with the
 * `cancelkit-plugin` keyword found from the current directory and from the CLI's own install location
 * (so plugins installed next to a global `cancelkit` are found). Only manifests are read here, through
 * core's `./loader` entry, which loads neither the engine nor inversify.
 */
import { fileURLToPath } from 'node:url';
import type { PluginRegistry } from '@cancelkit/core/loader';
import type { LoadedConfig } from './config.js';

/** The CLI package's root directory (dist/.. or src/..). */
export const CLI_DIR = fileURLToPath(new URL('..', import.meta.url));

export async function openRegistry(loaded: LoadedConfig, cwd: string): Promise<PluginRegistry> {
  const { discoverPlugins } = await import('@cancelkit/core/loader');
  const discover = loaded.content.discover ?? true;
  return discoverPlugins({
    explicit: loaded.content.plugins ?? [],
    resolveFrom: loaded.dir,
    searchFrom: [cwd, CLI_DIR],
    explicitOnly: !discover,
  });
}
