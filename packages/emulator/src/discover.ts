/**
 * Finds the emulations of installed plugin packages through core's loader (the `cancelkit-plugin`
 * keyword, or an explicit list). Core's main entry pulls in the engine and DI container, so it is
 * imported only when discovery is actually needed.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { invalidInput } from '@cancelkit/core/plugin';
import type { ServiceEmulation } from '@cancelkit/core/emulation';

export interface DiscoverEmulationsOptions {
  /** Explicit plugin package names or directories; when given, nothing else is scanned. */
  plugins?: readonly string[];
  /** Where names are resolved from and scanning starts (default the current directory). */
  resolveFrom?: string;
  /** Where keyword scanning starts (default `resolveFrom` and the emulator's own install location). */
  searchFrom?: readonly string[];
  /** Told about plugins that were found but cannot be used. */
  log?: (line: string) => void;
}

const emulatorPackageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function discoverEmulations(options: DiscoverEmulationsOptions = {}): Promise<ServiceEmulation[]> {
  const { discoverPlugins } = await import('@cancelkit/core');
  const resolveFrom = options.resolveFrom ?? process.cwd();
  const explicit = options.plugins !== undefined;
  // Core's loader silently skips an explicit directory that does not exist; say so instead.
  const missing = (options.plugins ?? []).filter((p) => (p.startsWith('.') || path.isAbsolute(p)) && !existsSync(path.resolve(resolveFrom, p)));
  if (missing.length > 0) {
    throw invalidInput(
      missing.map((p) => ({ field: 'plugins', message: `${p}: no such directory (resolved from ${resolveFrom})` })),
      'emulator options',
    );
  }
  const registry = await discoverPlugins({
    resolveFrom,
    ...(explicit ? { explicit: options.plugins ?? [], explicitOnly: true } : { searchFrom: options.searchFrom ?? [resolveFrom, emulatorPackageDir] }),
  });
  const problems = registry.problems();
  if (explicit && problems.length > 0) {
    throw invalidInput(
      problems.map((p) => ({ field: 'plugins', message: `${p.packageName}: ${p.problem ?? 'cannot be used'}` })),
      'emulator options',
    );
  }
  for (const p of problems) options.log?.(`skipping plugin package ${p.packageName}: ${p.problem ?? 'cannot be used'}`);

  const emulations: ServiceEmulation[] = [];
  const services = new Set<string>();
  for (const entry of registry.list()) {
    let emulation: ServiceEmulation | undefined;
    try {
      emulation = await entry.loadEmulation();
    } catch (error) {
      const message = `${entry.packageName}: its emulation module could not be loaded: ${(error as Error).message}`;
      if (explicit) throw invalidInput([{ field: 'plugins', message }], 'emulator options');
      options.log?.(`skipping ${message}`);
      continue;
    }
    if (!emulation || services.has(emulation.service)) continue;
    services.add(emulation.service);
    emulations.push(emulation);
  }
  return emulations;
}
