import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverPlugins } from './loader.js';
import { CORE_VERSION } from './version.js';

let root: string;

/** Writes a self-contained plugin package (no imports: plugins are checked structurally). */
function writePlugin(dir: string, opts: { name: string; id: string; coreRange?: string; keyword?: boolean; flag: string; manifestAs?: 'module' | 'json' }) {
  const manifestFile = opts.manifestAs === 'json' ? './dist/manifest.json' : './dist/manifest.js';
  mkdirSync(path.join(dir, 'dist'), { recursive: true });
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({
      name: opts.name,
      version: '1.2.3',
      type: 'module',
      keywords: opts.keyword === false ? [] : ['cancelkit-plugin'],
      cancelkit: { manifest: manifestFile, plugin: './dist/index.js', emulation: './dist/emulation.js' },
    }),
  );
  const manifest = {
    id: opts.id,
    provider: 'acme',
    service: 'acme.jobs',
    operation: 'job',
    title: 'Acme job',
    docsUrl: 'https://example.invalid',
    paramsSchema: { type: 'object', properties: { jobId: { type: 'string' } }, required: ['jobId'] },
    targetParam: 'jobId',
    capabilities: { inspect: false, batch: false, wait: false },
    coreRange: opts.coreRange ?? '^0.1.0',
  };
  // A JSON manifest is data only; the implementation then carries its own copy, as a built plugin does.
  if (opts.manifestAs === 'json') writeFileSync(path.join(dir, 'dist/manifest.json'), JSON.stringify(manifest, null, 2));
  else writeFileSync(path.join(dir, 'dist/manifest.js'), `export default ${JSON.stringify(manifest)};\n`);
  const manifestSource = opts.manifestAs === 'json' ? `const manifest = ${JSON.stringify(manifest)};` : `import manifest from './manifest.js';`;
  writeFileSync(
    path.join(dir, 'dist/index.js'),
    `${manifestSource}\nglobalThis[${JSON.stringify(opts.flag)}] = true;\n` +
      `export default { $$type: 'cancelkit.plugin', version: 'v1', manifest, parse: (i) => i, targets: (p) => [p.jobId], cancel: async (p) => [{ target: p.jobId, outcome: 'cancelled' }] };\n`,
  );
  writeFileSync(
    path.join(dir, 'dist/emulation.js'),
    `export default { $$type: 'cancelkit.emulation', service: 'acme.jobs', routes: [], fields: {}, createOperation: () => ({}) };\n`,
  );
}

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'cancelkit-loader-'));
  const nm = path.join(root, 'project', 'node_modules');
  writePlugin(path.join(nm, 'cancelkit-plugin-acme'), { name: 'cancelkit-plugin-acme', id: 'acme.jobs.job', flag: '__acmeLoaded' });
  writePlugin(path.join(nm, '@scope', 'cancelkit-plugin-old'), { name: '@scope/cancelkit-plugin-old', id: 'old.jobs.job', coreRange: '^99.0.0', flag: '__oldLoaded' });
  writePlugin(path.join(nm, 'not-a-plugin'), { name: 'not-a-plugin', id: 'not.a.plugin', keyword: false, flag: '__notLoaded' });
  writePlugin(path.join(root, 'local-plugin'), { name: 'local-plugin', id: 'local.jobs.job', keyword: false, flag: '__localLoaded' });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('discoverPlugins', () => {
  it('finds keyword packages, reading manifests without importing implementations', async () => {
    const registry = await discoverPlugins({ searchFrom: [path.join(root, 'project')] });
    expect(registry.list().map((p) => p.manifest.id)).toEqual(['acme.jobs.job']);
    expect((globalThis as Record<string, unknown>).__acmeLoaded).toBeUndefined();
    const plugin = await registry.load('acme.jobs.job');
    expect(plugin.manifest.id).toBe('acme.jobs.job');
    expect((globalThis as Record<string, unknown>).__acmeLoaded).toBe(true);
    const emulation = await registry.get('acme.jobs.job')?.loadEmulation();
    expect(emulation?.service).toBe('acme.jobs');
  });

  it('refuses an incompatible core range with both versions named', async () => {
    const registry = await discoverPlugins({ searchFrom: [path.join(root, 'project')] });
    const [problem] = registry.problems();
    expect(problem?.manifest.id).toBe('old.jobs.job');
    expect(problem?.problem).toContain('^99.0.0');
    expect(problem?.problem).toContain(CORE_VERSION);
    expect(problem?.problem).toContain('@scope/cancelkit-plugin-old@1.2.3');
    await expect(registry.load('old.jobs.job')).rejects.toThrowError(/cannot be used/);
    expect((globalThis as Record<string, unknown>).__oldLoaded).toBeUndefined();
  });

  it('loads an explicit list (paths and names) and reports missing ones', async () => {
    const registry = await discoverPlugins({
      explicit: ['./local-plugin', 'not-a-plugin', 'missing-plugin'],
      resolveFrom: root,
      searchFrom: [path.join(root, 'project')],
      explicitOnly: true,
    });
    expect(registry.list().map((p) => p.manifest.id)).toEqual(['local.jobs.job']);
    expect(registry.problems().map((p) => p.problem).join('\n')).toMatch(/"missing-plugin" is not installed/);
    const missingDir = await discoverPlugins({ explicit: ['./no-such-dir'], resolveFrom: root, explicitOnly: true });
    expect(missingDir.problems()[0]?.problem).toMatch(/does not exist/);
    const byName = await discoverPlugins({ explicit: ['not-a-plugin'], resolveFrom: path.join(root, 'project'), explicitOnly: true });
    expect(byName.list().map((p) => p.manifest.id)).toEqual(['not.a.plugin']);
  });

  it('explains an unknown id with the installed ones', async () => {
    const registry = await discoverPlugins({ searchFrom: [path.join(root, 'project')] });
    await expect(registry.load('nope.x.y')).rejects.toMatchObject({ code: 'InvalidInput', hint: expect.stringContaining('acme.jobs.job') });
  });
});

describe('discoverPlugins with a JSON manifest (cancelkit.manifest ending in .json)', () => {
  let project: string;
  const flags = globalThis as Record<string, unknown>;

  beforeAll(() => {
    project = path.join(root, 'json-project');
    const nm = path.join(project, 'node_modules');
    writePlugin(path.join(nm, 'cancelkit-plugin-json'), { name: 'cancelkit-plugin-json', id: 'json.jobs.job', flag: '__jsonLoaded', manifestAs: 'json' });
    writePlugin(path.join(nm, 'cancelkit-plugin-json-old'), {
      name: 'cancelkit-plugin-json-old',
      id: 'jsonold.jobs.job',
      coreRange: '^99.0.0',
      flag: '__jsonOldLoaded',
      manifestAs: 'json',
    });
    // Broken packages: invalid JSON, a missing file, JSON that is not a manifest.
    writePlugin(path.join(nm, 'cancelkit-plugin-bad-json'), { name: 'cancelkit-plugin-bad-json', id: 'bad.jobs.job', flag: '__badLoaded', manifestAs: 'json' });
    writeFileSync(path.join(nm, 'cancelkit-plugin-bad-json', 'dist', 'manifest.json'), '{ "id": "bad.jobs.job", ');
    writePlugin(path.join(nm, 'cancelkit-plugin-no-json'), { name: 'cancelkit-plugin-no-json', id: 'nojson.jobs.job', flag: '__noJsonLoaded', manifestAs: 'json' });
    rmSync(path.join(nm, 'cancelkit-plugin-no-json', 'dist', 'manifest.json'));
    writePlugin(path.join(nm, 'cancelkit-plugin-not-manifest'), { name: 'cancelkit-plugin-not-manifest', id: 'x.y.z', flag: '__notManifestLoaded', manifestAs: 'json' });
    writeFileSync(path.join(nm, 'cancelkit-plugin-not-manifest', 'dist', 'manifest.json'), '{ "name": "just data" }');
  });

  it('reads and parses the file, without importing it or the implementation', async () => {
    const registry = await discoverPlugins({ searchFrom: [project] });
    expect(registry.list().map((p) => p.manifest.id)).toEqual(['json.jobs.job']);
    expect(registry.get('json.jobs.job')?.manifest).toEqual({
      id: 'json.jobs.job',
      provider: 'acme',
      service: 'acme.jobs',
      operation: 'job',
      title: 'Acme job',
      docsUrl: 'https://example.invalid',
      paramsSchema: { type: 'object', properties: { jobId: { type: 'string' } }, required: ['jobId'] },
      targetParam: 'jobId',
      capabilities: { inspect: false, batch: false, wait: false },
      coreRange: '^0.1.0',
    });
    expect(flags.__jsonLoaded).toBeUndefined();
    const plugin = await registry.load('json.jobs.job');
    expect(plugin.manifest.id).toBe('json.jobs.job');
    expect(flags.__jsonLoaded).toBe(true);
    expect((await registry.get('json.jobs.job')?.loadEmulation())?.service).toBe('acme.jobs');
  });

  it('reads the file afresh on each discovery (an imported module would be served from the module cache)', async () => {
    const file = path.join(project, 'node_modules', 'cancelkit-plugin-json', 'dist', 'manifest.json');
    const original = readFileSync(file, 'utf8');
    try {
      expect((await discoverPlugins({ searchFrom: [project] })).get('json.jobs.job')?.manifest.title).toBe('Acme job');
      writeFileSync(file, original.replace('"Acme job"', '"Acme job, rebuilt"'));
      expect((await discoverPlugins({ searchFrom: [project] })).get('json.jobs.job')?.manifest.title).toBe('Acme job, rebuilt');
    } finally {
      writeFileSync(file, original);
    }
  });

  it('applies the core-range check to JSON manifests too', async () => {
    const registry = await discoverPlugins({ searchFrom: [project] });
    const old = registry.get('jsonold.jobs.job');
    expect(old?.problem).toContain(`supports @cancelkit/core ^99.0.0, but the running core is ${CORE_VERSION}`);
    await expect(registry.load('jsonold.jobs.job')).rejects.toThrowError(/cannot be used/);
    expect(flags.__jsonOldLoaded).toBeUndefined();
  });

  it('reports unreadable, malformed and non-manifest JSON per package, naming the file', async () => {
    const registry = await discoverPlugins({ searchFrom: [project] });
    const problemOf = (name: string) => registry.problems().find((p) => p.packageName === name)?.problem;
    expect(problemOf('cancelkit-plugin-bad-json')).toMatch(/^its manifest \.\/dist\/manifest\.json could not be loaded: .*JSON/);
    expect(problemOf('cancelkit-plugin-no-json')).toMatch(/^its manifest \.\/dist\/manifest\.json could not be loaded: ENOENT/);
    expect(problemOf('cancelkit-plugin-not-manifest')).toBe('its manifest ./dist/manifest.json does not hold a plugin manifest');
    expect(flags.__badLoaded ?? flags.__noJsonLoaded ?? flags.__notManifestLoaded).toBeUndefined();
  });

  it('accepts an array of manifests in one JSON file', async () => {
    const dir = path.join(root, 'json-array-plugin');
    writePlugin(dir, { name: 'json-array-plugin', id: 'arr.jobs.first', keyword: false, flag: '__arrLoaded', manifestAs: 'json' });
    const file = path.join(dir, 'dist', 'manifest.json');
    const first = JSON.parse(readFileSync(file, 'utf8')) as { id: string };
    writeFileSync(file, JSON.stringify([first, { ...first, id: 'arr.jobs.second' }]));
    const registry = await discoverPlugins({ explicit: [dir], explicitOnly: true });
    expect(registry.list().map((p) => p.manifest.id)).toEqual(['arr.jobs.first', 'arr.jobs.second']);
    expect(registry.problems()).toEqual([]);
  });
});

describe('discoverPlugins with a package whose manifest is not an object', () => {
  it('reports a JSON `null` manifest and a manifest module without a default export per package, and still lists the rest', async () => {
    const project = path.join(root, 'no-manifest-object');
    const nm = path.join(project, 'node_modules');
    writePlugin(path.join(nm, 'cancelkit-plugin-good'), { name: 'cancelkit-plugin-good', id: 'good.jobs.job', flag: '__goodLoaded', manifestAs: 'json' });
    writePlugin(path.join(nm, 'cancelkit-plugin-null'), { name: 'cancelkit-plugin-null', id: 'null.jobs.job', flag: '__nullLoaded', manifestAs: 'json' });
    writeFileSync(path.join(nm, 'cancelkit-plugin-null', 'dist', 'manifest.json'), 'null');
    writePlugin(path.join(nm, 'cancelkit-plugin-named'), { name: 'cancelkit-plugin-named', id: 'named.jobs.job', flag: '__namedLoaded' });
    // A named export only: the module's default export is undefined.
    writeFileSync(path.join(nm, 'cancelkit-plugin-named', 'dist', 'manifest.js'), 'export const manifest = { id: "named.jobs.job" };\n');
    const registry = await discoverPlugins({ searchFrom: [project] });
    expect(registry.list().map((p) => p.manifest.id)).toEqual(['good.jobs.job']);
    const problemOf = (name: string) => registry.problems().find((p) => p.packageName === name)?.problem;
    expect(problemOf('cancelkit-plugin-null')).toBe('its manifest ./dist/manifest.json does not hold a plugin manifest');
    expect(problemOf('cancelkit-plugin-named')).toBe('its manifest ./dist/manifest.js does not hold a plugin manifest');
    await expect(registry.load('cancelkit-plugin-named')).rejects.toThrowError(/cannot be used/);
  });
});

describe('discoverPlugins with two copies of one plugin id', () => {
  it('uses a usable copy found later rather than letting an unusable one found first hide it', async () => {
    // The nearer node_modules holds a copy built for another core; the app's own (farther) one works.
    const outer = path.join(root, 'shadowed');
    const inner = path.join(outer, 'app');
    writePlugin(path.join(inner, 'node_modules', 'cancelkit-plugin-shadow-old'), {
      name: 'cancelkit-plugin-shadow-old',
      id: 'shadow.jobs.job',
      coreRange: '^99.0.0',
      flag: '__shadowOldLoaded',
      manifestAs: 'json',
    });
    writePlugin(path.join(outer, 'node_modules', 'cancelkit-plugin-shadow'), { name: 'cancelkit-plugin-shadow', id: 'shadow.jobs.job', flag: '__shadowLoaded', manifestAs: 'json' });
    const registry = await discoverPlugins({ searchFrom: [inner] });
    expect(registry.list().map((p) => `${p.manifest.id} ${p.packageName}`)).toEqual(['shadow.jobs.job cancelkit-plugin-shadow']);
    expect(registry.get('shadow.jobs.job')?.packageName).toBe('cancelkit-plugin-shadow');
    expect((await registry.load('shadow.jobs.job')).manifest.id).toBe('shadow.jobs.job');
    expect((globalThis as Record<string, unknown>).__shadowOldLoaded).toBeUndefined();
    // The first usable copy still wins over a later one.
    writePlugin(path.join(inner, 'node_modules', 'cancelkit-plugin-shadow-new'), { name: 'cancelkit-plugin-shadow-new', id: 'shadow.jobs.job', flag: '__shadowNewLoaded', manifestAs: 'json' });
    const both = await discoverPlugins({ searchFrom: [inner] });
    expect(both.list().map((p) => p.packageName)).toEqual(['cancelkit-plugin-shadow-new']);
  });
});

describe('discoverPlugins with package.json fields of the wrong type', () => {
  it('skips or reports such a package and still finds every other plugin', async () => {
    const project = path.join(root, 'odd-package-json');
    const nm = path.join(project, 'node_modules');
    writePlugin(path.join(nm, 'cancelkit-plugin-fine'), { name: 'cancelkit-plugin-fine', id: 'fine.jobs.job', flag: '__fineLoaded', manifestAs: 'json' });
    const odd = (name: string, fields: Record<string, unknown>) => {
      mkdirSync(path.join(nm, name), { recursive: true });
      writeFileSync(path.join(nm, name, 'package.json'), JSON.stringify({ name, version: '1.0.0', ...fields }));
    };
    odd('keywords-object', { keywords: { 'cancelkit-plugin': true } });
    odd('plugin-number', { keywords: ['cancelkit-plugin'], cancelkit: { manifest: './m.json', plugin: 5 } });
    odd('array-package', {});
    writeFileSync(path.join(nm, 'array-package', 'package.json'), '["cancelkit-plugin"]');
    const registry = await discoverPlugins({ searchFrom: [project] });
    expect(registry.list().map((p) => p.manifest.id)).toEqual(['fine.jobs.job']);
    expect(registry.problems().map((p) => [p.packageName, p.problem])).toEqual([
      ['plugin-number', 'package.json has no "cancelkit": { "manifest", "plugin" } entries (paths to its built files, as strings)'],
    ]);
  });
});
