import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverPlugins } from './loader.js';
import { CORE_VERSION } from './version.js';

let root: string;

/** Writes a self-contained plugin package (no imports: plugins are checked structurally). */
function writePlugin(dir: string, opts: { name: string; id: string; coreRange?: string; keyword?: boolean; flag: string }) {
  mkdirSync(path.join(dir, 'dist'), { recursive: true });
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({
      name: opts.name,
      version: '1.2.3',
      type: 'module',
      keywords: opts.keyword === false ? [] : ['cancelkit-plugin'],
      cancelkit: { manifest: './dist/manifest.js', plugin: './dist/index.js', emulation: './dist/emulation.js' },
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
  writeFileSync(path.join(dir, 'dist/manifest.js'), `export default ${JSON.stringify(manifest)};\n`);
  writeFileSync(
    path.join(dir, 'dist/index.js'),
    `import manifest from './manifest.js';\nglobalThis[${JSON.stringify(opts.flag)}] = true;\n` +
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
