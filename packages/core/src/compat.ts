import satisfies from 'semver/functions/satisfies.js';
import validRange from 'semver/ranges/valid.js';
import type { PluginManifest } from './contract.js';
import { CancelKitError } from './errors.js';
import { CORE_VERSION } from './version.js';

/** Refuses a plugin whose supported core range excludes the running core, naming both versions. */
export function checkCoreRange(manifest: Pick<PluginManifest, 'id' | 'coreRange'>, coreVersion = CORE_VERSION, packageName?: string): void {
  const range = validRange(manifest.coreRange);
  const who = packageName ? `${manifest.id} (${packageName})` : manifest.id;
  if (!range) {
    throw new CancelKitError('InvalidInput', `Plugin ${who} declares an invalid core range "${manifest.coreRange}".`, {
      hint: 'Ask the plugin author to fix manifest.coreRange (a semver range such as ^0.1.0).',
    });
  }
  if (!satisfies(coreVersion, range, { includePrerelease: true })) {
    throw new CancelKitError(
      'InvalidInput',
      `Plugin ${who} supports @cancelkit/core ${manifest.coreRange}, but the running core is ${coreVersion}.`,
      { hint: `Install a version of the plugin built for core ${coreVersion}, or a core matching ${manifest.coreRange}.` },
    );
  }
}
