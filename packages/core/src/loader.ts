/**
 * Plugin discovery for apps, oclif-style: a plugin package is found by the `cancelkit-plugin` keyword (or
 * an explicit list), its manifest is read from a tiny module named in package.json, and its
 * implementation is imported only when a command needs it.
 *
 * package.json of a plugin package:
 *   "keywords": ["cancelkit-plugin"],
 *   "cancelkit": { "manifest": "./dist/manifest.json", "plugin": "./dist/index.js", "emulation": "./dist/emulation.js" }
 * A manifest ending in `.json` is read and parsed, never imported: it holds a PluginManifest (or an array
 * of them) as data, so listing plugins costs a file read instead of the manifest's imports (zod, schema
 * modules). Any other manifest is a module whose default export is the manifest (or an array), for
 * plugins that do not emit JSON at build time. The plugin module's default export is the plugin (or an
 * array); the emulation module's default export a ServiceEmulation (or an array).
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkCoreRange } from './compat.js';
import { type CancellablePlugin, isCancellablePlugin, PLUGIN_ID_PATTERN, type PluginManifest } from './contract.js';
import { isServiceEmulation, type ServiceEmulation } from './emulation.js';
import { CancelKitError, isCancelKitError } from './errors.js';
import { CORE_VERSION } from './version.js';

export const PLUGIN_KEYWORD = 'cancelkit-plugin';

export interface PluginPackageJson {
  name: string;
  version: string;
  keywords?: string[];
  cancelkit?: { manifest?: string; plugin?: string; emulation?: string };
}

export interface DiscoveredPlugin {
  readonly manifest: PluginManifest;
  readonly packageName: string;
  readonly packageVersion: string;
  readonly packageDir: string;
  /** Why this plugin cannot be used (incompatible core, broken package), if it cannot. */
  readonly problem?: string;
  load(): Promise<CancellablePlugin<unknown>>;
  loadEmulation(): Promise<ServiceEmulation | undefined>;
}

export interface DiscoverOptions {
  /** Directories whose `node_modules` (and their parents') are scanned for keyword packages. */
  searchFrom?: readonly string[];
  /** Explicit plugin packages: names (resolved from `resolveFrom`) or directories. */
  explicit?: readonly string[];
  /** Where explicit names are resolved from (the config file's directory). */
  resolveFrom?: string;
  coreVersion?: string;
  /** Do not scan for keyword packages; use only `explicit`. */
  explicitOnly?: boolean;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * A package.json read defensively: any package in node_modules is scanned, so a field of the wrong type
 * (`"keywords": {}`, `"cancelkit": { "plugin": 5 }`) must make that one package unusable or invisible,
 * never throw and take every other plugin's discovery down with it.
 */
function parsePackageJson(text: string | undefined): PluginPackageJson | undefined {
  if (text === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const fields = raw as Record<string, unknown>;
  const text_ = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
  const pkg: PluginPackageJson = { name: text_(fields.name) ?? '(unnamed package)', version: text_(fields.version) ?? '0.0.0' };
  if (Array.isArray(fields.keywords)) pkg.keywords = fields.keywords.filter((k): k is string => typeof k === 'string');
  const spec = fields.cancelkit;
  if (typeof spec === 'object' && spec !== null && !Array.isArray(spec)) {
    const { manifest, plugin, emulation } = spec as Record<string, unknown>;
    pkg.cancelkit = {
      ...(text_(manifest) !== undefined ? { manifest: text_(manifest) } : {}),
      ...(text_(plugin) !== undefined ? { plugin: text_(plugin) } : {}),
      ...(text_(emulation) !== undefined ? { emulation: text_(emulation) } : {}),
    };
  }
  return pkg;
}

function nodeModulesChain(from: string): string[] {
  const dirs: string[] = [];
  let dir = path.resolve(from);
  for (;;) {
    const candidate = path.join(dir, 'node_modules');
    if (existsSync(candidate)) dirs.push(candidate);
    const parent = path.dirname(dir);
    if (parent === dir) return dirs;
    dir = parent;
  }
}

function packageDirsIn(nodeModules: string): string[] {
  const out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(nodeModules);
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) {
      try {
        for (const scoped of readdirSync(path.join(nodeModules, entry))) out.push(path.join(nodeModules, entry, scoped));
      } catch {
        /* unreadable scope: skip */
      }
    } else out.push(path.join(nodeModules, entry));
  }
  return out;
}

function asArray<T>(value: T | readonly T[]): T[] {
  return Array.isArray(value) ? [...(value as T[])] : [value as T];
}

async function importDefault(file: string): Promise<unknown> {
  const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  return mod.default;
}

/** A `.json` manifest is data (read and parsed); anything else is a module (imported, default export). */
async function readManifests(file: string): Promise<unknown> {
  if (file.endsWith('.json')) return JSON.parse(await readFile(file, 'utf8'));
  return importDefault(file);
}

function looksLikeManifest(value: unknown): value is PluginManifest {
  const m = value as Partial<PluginManifest> | undefined;
  return typeof m === 'object' && m !== null && typeof m.id === 'string' && typeof m.coreRange === 'string' && typeof m.paramsSchema === 'object';
}

async function describePackage(dir: string, pkg: PluginPackageJson, coreVersion: string): Promise<DiscoveredPlugin[]> {
  const spec = pkg.cancelkit ?? {};
  const fail = (problem: string): DiscoveredPlugin[] => [brokenPlugin(dir, pkg, problem)];
  if (!spec.manifest || !spec.plugin) {
    return fail(`package.json has no "cancelkit": { "manifest", "plugin" } entries (paths to its built files, as strings)`);
  }
  let manifests: PluginManifest[];
  try {
    manifests = asArray(await readManifests(path.resolve(dir, spec.manifest))) as PluginManifest[];
  } catch (error) {
    return fail(`its manifest ${spec.manifest} could not be loaded: ${(error as Error).message}`);
  }
  const pluginFile = path.resolve(dir, spec.plugin);
  const emulationFile = spec.emulation ? path.resolve(dir, spec.emulation) : undefined;
  let loaded: Promise<CancellablePlugin<unknown>[]> | undefined;
  let emulations: Promise<ServiceEmulation[]> | undefined;
  return manifests.map((manifest) => {
    // Not even an object (`null` JSON, a module without a default export): reported under the package's
    // name, since there is no manifest whose id the registry could key it by.
    if (!looksLikeManifest(manifest)) return brokenPlugin(dir, pkg, `its manifest ${spec.manifest} does not hold a plugin manifest`);
    let problem: string | undefined;
    if (!PLUGIN_ID_PATTERN.test(manifest.id)) problem = `its id "${manifest.id}" is not of the form provider.service.operation`;
    else {
      try {
        checkCoreRange(manifest, coreVersion, `${pkg.name}@${pkg.version}`);
      } catch (error) {
        problem = isCancelKitError(error) ? `${error.message} ${error.hint ?? ''}`.trim() : String(error);
      }
    }
    const id = manifest.id;
    const entry: DiscoveredPlugin = {
      manifest,
      packageName: pkg.name,
      packageVersion: pkg.version,
      packageDir: dir,
      ...(problem !== undefined ? { problem } : {}),
      async load() {
        if (problem !== undefined) throw new CancelKitError('InvalidInput', `Plugin ${id} cannot be used: ${problem}`);
        loaded ??= importDefault(pluginFile).then((value) => asArray(value) as CancellablePlugin<unknown>[]);
        const plugin = (await loaded).find((p) => isCancellablePlugin(p) && p.manifest.id === id);
        if (!plugin) throw new CancelKitError('Unknown', `Package ${pkg.name} lists plugin ${id} but does not export it from ${spec.plugin}.`);
        return plugin;
      },
      async loadEmulation() {
        if (!emulationFile) return undefined;
        emulations ??= importDefault(emulationFile).then((value) => asArray(value).filter(isServiceEmulation));
        const all = await emulations;
        const service = manifest.service;
        return all.find((e) => e.service === service) ?? all[0];
      },
    };
    return entry;
  });
}

function brokenPlugin(dir: string, pkg: PluginPackageJson, problem: string): DiscoveredPlugin {
  return {
    manifest: {
      id: pkg.name,
      provider: 'unknown',
      service: 'unknown',
      operation: 'unknown',
      title: pkg.name,
      docsUrl: '',
      paramsSchema: {},
      targetParam: '',
      capabilities: { inspect: false, batch: false, wait: false },
      coreRange: '*',
    },
    packageName: pkg.name,
    packageVersion: pkg.version,
    packageDir: dir,
    problem,
    load: () => Promise.reject(new CancelKitError('InvalidInput', `Plugin package ${pkg.name} cannot be used: ${problem}`)),
    loadEmulation: () => Promise.resolve(undefined),
  };
}

export class PluginRegistry {
  constructor(readonly entries: readonly DiscoveredPlugin[]) {}

  /** Usable plugins (compatible, well-formed), first found wins for an id. */
  list(): DiscoveredPlugin[] {
    return this.entries.filter((e) => e.problem === undefined);
  }

  /** Plugins that were found but cannot be used, with why. */
  problems(): DiscoveredPlugin[] {
    return this.entries.filter((e) => e.problem !== undefined);
  }

  get(id: string): DiscoveredPlugin | undefined {
    return this.entries.find((e) => e.manifest.id === id);
  }

  /** Import one plugin's implementation; a clear error for an unknown or unusable id. */
  async load(id: string): Promise<CancellablePlugin<unknown>> {
    const entry = this.get(id);
    if (!entry) {
      const known = this.list().map((e) => e.manifest.id).sort();
      throw new CancelKitError('InvalidInput', `Unknown plugin "${id}".`, {
        issues: [{ field: 'plugin', message: `"${id}" is not installed` }],
        hint: known.length > 0 ? `Installed plugins: ${known.join(', ')}. See \`cancelkit plugins list\`.` : 'No plugins are installed: npm install a cancelkit-plugin package.',
      });
    }
    return entry.load();
  }
}

/** Finds plugin packages. Reads package.json files and manifests (JSON files or modules) only. */
export async function discoverPlugins(options: DiscoverOptions = {}): Promise<PluginRegistry> {
  const coreVersion = options.coreVersion ?? CORE_VERSION;
  const seenDirs = new Set<string>();
  const found: DiscoveredPlugin[] = [];
  /** Where each id sits in `found`. */
  const ids = new Map<string, number>();
  const add = async (dir: string, requireKeyword: boolean) => {
    let text: string | undefined;
    if (requireKeyword) {
      // Nearly every package in node_modules is not a plugin: a substring test on the raw package.json
      // rules it out without parsing it or resolving its real path (a scan reads hundreds of them).
      text = readText(path.join(dir, 'package.json'));
      if (text === undefined || !text.includes(PLUGIN_KEYWORD)) return;
    }
    let real = dir;
    try {
      real = realpathSync(dir);
    } catch {
      if (!requireKeyword) found.push(brokenPlugin(dir, { name: dir, version: '?' }, `directory ${dir} does not exist`));
      return;
    }
    if (seenDirs.has(real)) return;
    const pkg = parsePackageJson(text ?? readText(path.join(real, 'package.json')));
    if (!pkg) {
      if (!requireKeyword) found.push(brokenPlugin(real, { name: dir, version: '?' }, 'no readable package.json'));
      return;
    }
    if (requireKeyword && !pkg.keywords?.includes(PLUGIN_KEYWORD)) return;
    seenDirs.add(real);
    for (const entry of await describePackage(real, pkg, coreVersion)) {
      const at = ids.get(entry.manifest.id);
      if (at === undefined) {
        ids.set(entry.manifest.id, found.length);
        found.push(entry);
      } else if (found[at]?.problem !== undefined && entry.problem === undefined) {
        // The first usable copy of an id wins: an unusable one found earlier (built for another core, a
        // bad id) must not hide it.
        found[at] = entry;
      }
    }
  };

  const resolveFrom = options.resolveFrom ?? process.cwd();
  const require = createRequire(path.join(resolveFrom, 'noop.js'));
  for (const name of options.explicit ?? []) {
    if (name.startsWith('.') || path.isAbsolute(name)) {
      await add(path.resolve(resolveFrom, name), false);
      continue;
    }
    let dir: string | undefined;
    try {
      dir = path.dirname(require.resolve(`${name}/package.json`));
    } catch {
      for (const nm of nodeModulesChain(resolveFrom)) {
        if (existsSync(path.join(nm, name, 'package.json'))) {
          dir = path.join(nm, name);
          break;
        }
      }
    }
    if (dir) await add(dir, false);
    else found.push(brokenPlugin(name, { name, version: '?' }, `package "${name}" is not installed (looked from ${resolveFrom})`));
  }
  if (!options.explicitOnly) {
    // The chains from the working directory and from the app's install location usually share their
    // upper node_modules directories: scan each one once.
    const scanned = new Set<string>();
    for (const from of options.searchFrom ?? [process.cwd()]) {
      for (const nm of nodeModulesChain(from)) {
        if (scanned.has(nm)) continue;
        scanned.add(nm);
        for (const dir of packageDirsIn(nm)) await add(dir, true);
      }
    }
  }
  return new PluginRegistry(found);
}
