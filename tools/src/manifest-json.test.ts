/**
 * JSON manifests: every first-party plugin's build writes `dist/manifest.json` from `src/manifest.ts`
 * (tools/scripts/emit-manifest.mjs) and points package.json `cancelkit.manifest` at it, so hosts list
 * plugins without importing zod. Here: the JSON is exactly the plugin object's manifest (from the sources
 * and from the build, so neither an edit without a rebuild nor a broken emit goes unnoticed), the emit
 * script refuses what JSON cannot hold, and `cancelkit plugins list` loads no plugin module and no zod.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverPlugins } from '@cancelkit/core/loader';

const ROOT = path.resolve(fileURLToPath(new URL('..', import.meta.url)), '..');
const EMIT = path.join(ROOT, 'tools', 'scripts', 'emit-manifest.mjs');
const execFileAsync = promisify(execFile);

interface PluginPackage {
  dir: string;
  pkg: { name: string; exports: Record<string, unknown>; scripts: { build: string }; cancelkit: { manifest: string; plugin: string } };
}

const firstParty: PluginPackage[] = readdirSync(path.join(ROOT, 'packages'))
  .filter((name) => name.startsWith('plugin-'))
  .sort()
  .map((name) => {
    const dir = path.join(ROOT, 'packages', name);
    return { dir, pkg: JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) };
  });

/** The default export of a plugin module: the plugin, or an array of them. */
async function manifestsOf(file: string): Promise<unknown[]> {
  const { default: exported } = (await import(pathToFileURL(file).href)) as { default: unknown };
  return (Array.isArray(exported) ? exported : [exported]).map((plugin) => (plugin as { manifest: unknown }).manifest);
}

function emittedJson(dir: string): unknown {
  const file = path.join(dir, 'dist', 'manifest.json');
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` in ${path.relative(ROOT, dir)}`);
  return JSON.parse(readFileSync(file, 'utf8'));
}

describe('first-party plugins ship dist/manifest.json', () => {
  it('finds the five first-party plugins', () => {
    expect(firstParty.map((p) => p.pkg.name)).toEqual(
      expect.arrayContaining([
        '@cancelkit/plugin-alibaba-ecs',
        '@cancelkit/plugin-alibaba-oos',
        '@cancelkit/plugin-alibaba-opensearch',
        '@cancelkit/plugin-alibaba-tair',
        '@cancelkit/plugin-huaweicloud-dds',
      ]),
    );
  });

  for (const { dir, pkg } of firstParty) {
    describe(pkg.name, () => {
      it('points cancelkit.manifest at the JSON its build emits', () => {
        expect(pkg.cancelkit.manifest).toBe('./dist/manifest.json');
        expect(pkg.exports['./manifest.json']).toBe('./dist/manifest.json');
        expect(pkg.scripts.build).toBe('tsc -p tsconfig.build.json && node ../../tools/scripts/emit-manifest.mjs');
      });

      it('emits exactly the plugin object’s manifest (sources and build)', async () => {
        const json = emittedJson(dir);
        const fromSource = await manifestsOf(path.join(dir, 'src', 'index.ts'));
        const fromBuild = await manifestsOf(path.resolve(dir, pkg.cancelkit.plugin));
        const expected = fromSource.length === 1 ? fromSource[0] : fromSource;
        expect(json, `${pkg.name}: dist/manifest.json differs from src/manifest.ts — rebuild with \`npm run build\``).toStrictEqual(expected);
        expect(fromBuild).toStrictEqual(fromSource);
      });
    });
  }

  it('are what core discovers from the workspace, read from the JSON', async () => {
    const registry = await discoverPlugins({ searchFrom: [ROOT] });
    for (const { dir, pkg } of firstParty) {
      const entries = registry.list().filter((e) => e.packageName === pkg.name);
      expect(entries.length, pkg.name).toBeGreaterThan(0);
      for (const entry of entries) expect(entry.manifest).toStrictEqual((await entry.load()).manifest);
      expect(entries.map((e) => e.manifest)).toStrictEqual([emittedJson(dir)].flat());
    }
  });
});

describe('tools/scripts/emit-manifest.mjs', () => {
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(path.join(tmpdir(), 'cancelkit-emit-manifest-'));
  });
  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  /** A package whose dist/manifest.js default-exports `source` (a JavaScript expression). */
  function packageWith(name: string, source: string): string {
    const dir = path.join(scratch, name);
    mkdirSync(path.join(dir, 'dist'), { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, type: 'module' }));
    writeFileSync(path.join(dir, 'dist', 'manifest.js'), `export default ${source};\n`);
    return dir;
  }

  async function emit(dir: string): Promise<{ status: number; stderr: string; stdout: string }> {
    // Run as a package's build script runs it: from the package directory, no arguments.
    try {
      const { stdout, stderr } = await execFileAsync(process.execPath, [EMIT], { cwd: dir, encoding: 'utf8' });
      return { status: 0, stderr, stdout };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return { status: typeof e.code === 'number' ? e.code : -1, stderr: e.stderr ?? '', stdout: e.stdout ?? '' };
    }
  }

  const manifest = {
    id: 'acme.jobs.job',
    paramsSchema: { type: 'object', properties: { jobId: { type: 'string', pattern: '^[\\w-]+$' } }, required: ['jobId'] },
    capabilities: { inspect: true, batch: false, wait: true },
    coreRange: '^0.1.0',
    defaultQps: 10,
    examples: [{ jobId: 'job-1' }],
  };

  it('writes the manifest (or an array of them) as JSON, silently', async () => {
    const single = packageWith('single', JSON.stringify(manifest));
    const many = packageWith('many', JSON.stringify([manifest, { ...manifest, id: 'acme.jobs.other' }]));
    const [singleRun, manyRun] = await Promise.all([emit(single), emit(many)]);
    expect(singleRun).toEqual({ status: 0, stderr: '', stdout: '' });
    expect(JSON.parse(readFileSync(path.join(single, 'dist', 'manifest.json'), 'utf8'))).toStrictEqual(manifest);
    expect(manyRun.status).toBe(0);
    expect(JSON.parse(readFileSync(path.join(many, 'dist', 'manifest.json'), 'utf8')).map((m: { id: string }) => m.id)).toEqual(['acme.jobs.job', 'acme.jobs.other']);
  });

  it('refuses values JSON would drop or change, naming the path, and writes nothing', async () => {
    const cases: Array<[string, string, string]> = [
      ['undefined-field', `{ ...${JSON.stringify(manifest)}, description: undefined }`, 'manifest.description (undefined)'],
      ['function', `{ ...${JSON.stringify(manifest)}, examples: [{ jobId: () => 'x' }] }`, 'manifest.examples[0].jobId (function)'],
      ['date', `{ ...${JSON.stringify(manifest)}, built: new Date(0) }`, 'manifest.built (Date)'],
      ['nan', `{ ...${JSON.stringify(manifest)}, defaultQps: NaN }`, 'manifest.defaultQps (NaN)'],
    ];
    const runs = await Promise.all(cases.map(([name, source]) => emit(packageWith(name, source))));
    for (const [i, [name, , where]] of cases.entries()) {
      const dir = path.join(scratch, name);
      const result = runs[i];
      expect(result?.status, name).toBe(1);
      expect(result?.stderr, name).toContain(`emit-manifest: ${path.join(dir, 'dist', 'manifest.js')}: ${where} cannot be written as JSON unchanged`);
      expect(existsSync(path.join(dir, 'dist', 'manifest.json')), name).toBe(false);
    }
  });

  it('explains a missing build and a module that exports no manifest', async () => {
    const unbuilt = path.join(scratch, 'unbuilt');
    mkdirSync(unbuilt, { recursive: true });
    const [missing, wrong] = await Promise.all([emit(unbuilt), emit(packageWith('wrong', '{ name: "not a manifest" }'))]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('(build the package with tsc first)');
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('must default-export a plugin manifest');
  });
});

describe('cancelkit plugins list', () => {
  it('reads manifests without loading any plugin module, zod, got or inversify', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cancelkit-loaded-modules-'));
    try {
      // Logs every module Node loads (ESM and CommonJS) through a synchronous module hook.
      const hook = path.join(dir, 'log-loaded.mjs');
      writeFileSync(
        hook,
        "import { registerHooks } from 'node:module';\nimport { appendFileSync } from 'node:fs';\n" +
          `registerHooks({ load(url, context, next) { appendFileSync(${JSON.stringify(path.join(dir, 'loaded.txt'))}, url + '\\n'); return next(url, context); } });\n`,
      );
      const result = spawnSync(process.execPath, ['--import', pathToFileURL(hook).href, path.join(ROOT, 'apps', 'cli', 'dist', 'bin.js'), 'plugins', 'list', '--output', 'json'], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
      });
      expect(result.status, result.stderr).toBe(0);
      const listed = (JSON.parse(result.stdout) as { plugins: Array<{ package: string }> }).plugins.map((p) => p.package);
      expect(listed).toEqual(expect.arrayContaining(firstParty.map((p) => p.pkg.name)));
      const loaded = readFileSync(path.join(dir, 'loaded.txt'), 'utf8').trim().split('\n');
      expect(loaded.some((url) => url.includes('/apps/cli/dist/commands/plugins.js'))).toBe(true);
      const heavy = loaded.filter((url) => /\/(zod|got|inversify|reflect-metadata)\/|\/packages\/(plugin-[^/]+|alibaba-openapi|huaweicloud-apig)\//.test(url));
      expect(heavy).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
