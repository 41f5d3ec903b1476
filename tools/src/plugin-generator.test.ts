/**
 * The plugin generator: what it writes (in an in-memory nx tree), that the Acme example is exactly what it
 * generates, and that a generated package builds, type-checks, lints and passes the conformance kit on
 * its first run.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CancellablePlugin, createCancelKit } from '@cancelkit/core';
import { startEmulator } from '@cancelkit/emulator';
import { checkManifest } from '@cancelkit/testing';

const ROOT = path.resolve(fileURLToPath(new URL('..', import.meta.url)), '..');
const BIN = path.join(ROOT, 'node_modules', '.bin');
const require = createRequire(import.meta.url);
const generator = require('./generators/plugin/generator.cjs') as (tree: Tree, options: Record<string, string>) => Promise<() => void>;

function treeWithCore(): Tree {
  const tree = createTreeWithEmptyWorkspace();
  tree.write('packages/core/package.json', JSON.stringify({ name: '@cancelkit/core', version: '0.1.3' }));
  return tree;
}

function filesUnder(tree: Tree, dir: string): string[] {
  const out: string[] = [];
  for (const child of tree.children(dir)) {
    const full = `${dir}/${child}`;
    if (tree.isFile(full)) out.push(full);
    else out.push(...filesUnder(tree, full));
  }
  return out.sort();
}

function run(command: string, args: string[], cwd: string): { status: number | null; output: string } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

/** Writes a generated package under a scratch root inside the workspace (so node_modules resolve). */
function materialize(tree: Tree, dir: string, scratch: string): string {
  for (const file of filesUnder(tree, dir)) {
    const target = path.join(scratch, file);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, tree.read(file) as Buffer);
  }
  return path.join(scratch, dir);
}

describe('nx g @cancelkit/tools:plugin', () => {
  it('creates a complete plugin package laid out like the first-party ones', async () => {
    const tree = treeWithCore();
    await generator(tree, { provider: 'acme', service: 'jobs' });
    expect(filesUnder(tree, 'packages/plugin-acme-jobs')).toEqual(
      [
        'LICENSE',
        'README.md',
        'package.json',
        'src/client.ts',
        'src/conformance.test.ts',
        'src/credentials.ts',
        'src/emulation.ts',
        'src/index.ts',
        'src/manifest.ts',
        'src/plugin.ts',
        'src/schema.ts',
        'src/wire.ts',
        'tsconfig.build.json',
        'tsconfig.json',
      ].map((f) => `packages/plugin-acme-jobs/${f}`),
    );
    const pkg = JSON.parse(tree.read('packages/plugin-acme-jobs/package.json', 'utf-8') ?? '');
    expect(pkg).toMatchObject({
      name: '@cancelkit/plugin-acme-jobs',
      type: 'module',
      keywords: ['cancelkit-plugin', 'cancelkit', 'acme'],
      cancelkit: { manifest: './dist/manifest.json', plugin: './dist/index.js', emulation: './dist/emulation.js' },
      peerDependencies: { '@cancelkit/core': '^0.1.0' },
      files: ['dist', '!dist/**/*.test.*', '!dist/**/*.tsbuildinfo', 'README.md', 'LICENSE'],
    });
    expect(Object.keys(pkg.exports)).toEqual(['.', './manifest', './manifest.json', './emulation', './package.json']);
    // The build emits dist/manifest.json with the workspace's script, so hosts never import zod to list it.
    expect(pkg.scripts.build).toBe('tsc -p tsconfig.build.json && node ../../tools/scripts/emit-manifest.mjs');
    expect(pkg.nx.targets.build.inputs).toContain('{workspaceRoot}/tools/scripts/emit-manifest.mjs');
    expect(pkg.scripts.test).toContain('--outputFile.json=../../reports/vitest/@cancelkit/plugin-acme-jobs.json');
    expect(tree.read('packages/plugin-acme-jobs/tsconfig.json', 'utf-8')).toContain('"extends": "../../tsconfig.base.json"');
    expect(tree.read('.changeset/plugin-acme-jobs.md', 'utf-8')).toBe(
      '---\n"@cancelkit/plugin-acme-jobs": minor\n---\n\nNew plugin `acme.jobs.job`: cancel a job (Acme Jobs), with its emulation and conformance test.\n',
    );
    expect(tree.read('packages/plugin-acme-jobs/LICENSE', 'utf-8')).toContain('Copyright 2026 The cancelkit authors');
  });

  it('generates exactly the sources of the Acme example (examples/cancelkit-plugin-acme)', async () => {
    const tree = treeWithCore();
    await generator(tree, { provider: 'acme', service: 'jobs' });
    const exampleSrc = path.join(ROOT, 'examples', 'cancelkit-plugin-acme', 'src');
    for (const name of readdirSync(exampleSrc)) {
      expect(tree.read(`packages/plugin-acme-jobs/src/${name}`, 'utf-8'), name).toBe(readFileSync(path.join(exampleSrc, name), 'utf8'));
    }
  });

  it('derives every name from provider, service and operation', async () => {
    const tree = treeWithCore();
    await generator(tree, { provider: 'globex', service: 'batch-jobs', operation: 'export-run', packageName: 'cancelkit-plugin-globex' });
    const dir = 'packages/plugin-globex-batch-jobs';
    const manifest = tree.read(`${dir}/src/manifest.ts`, 'utf-8') ?? '';
    expect(manifest).toContain("id: 'globex.batch-jobs.export-run'");
    expect(manifest).toContain("service: 'globex.batch-jobs'");
    expect(manifest).toContain("targetParam: 'exportRunId'");
    expect(manifest).toContain("title: 'Cancel an export run (Globex Batch Jobs)'");
    expect(tree.read(`${dir}/src/plugin.ts`, 'utf-8')).toContain('export const globexExportRunPlugin = definePlugin<GlobexExportRunParams>({');
    expect(tree.read(`${dir}/src/wire.ts`, 'utf-8')).toContain("export const API_PREFIX = '/globex/v1';");
    expect(tree.read(`${dir}/README.md`, 'utf-8')).toContain('cancelkit cancel globex.batch-jobs.export-run --export-run-id export-run-4f2a');
    expect(JSON.parse(tree.read(`${dir}/package.json`, 'utf-8') ?? '').name).toBe('cancelkit-plugin-globex');
  });

  it('is what `npx nx g @cancelkit/tools:plugin` runs (nx resolves it from the workspace package)', () => {
    const dry = run(path.join(BIN, 'nx'), ['g', '@cancelkit/tools:plugin', '--provider', 'acme', '--service', 'jobs', '--dry-run', '--no-interactive'], ROOT);
    expect(dry.status, dry.output).toBe(0);
    expect(dry.output).toContain('CREATE packages/plugin-acme-jobs/src/manifest.ts');
    expect(dry.output).toContain('CREATE packages/plugin-acme-jobs/src/conformance.test.ts');
    expect(dry.output).toContain('CREATE .changeset/plugin-acme-jobs.md');
    expect(dry.output).toContain('"dryRun" flag means no changes were made');
  }, 60_000);

  it('refuses bad names and an existing directory, naming the option', async () => {
    await expect(generator(treeWithCore(), { provider: 'Acme Cloud', service: 'jobs' })).rejects.toThrow(
      '@cancelkit/tools:plugin: --provider must be one lower-case word (a-z, 0-9, single hyphens), e.g. acme; got "Acme Cloud"',
    );
    await expect(generator(treeWithCore(), { provider: 'acme', service: 'jobs', operation: 'job\r\nx' })).rejects.toThrow('--operation must be one lower-case word');
    await expect(generator(treeWithCore(), { provider: 'acme', service: 'jobs', directory: '../outside' })).rejects.toThrow('--directory must be a path inside the workspace');
    await expect(generator(treeWithCore(), { provider: 'acme', service: 'jobs', operation: 'cancel' })).rejects.toThrow('--operation names what is cancelled');
    const tree = treeWithCore();
    tree.write('packages/plugin-acme-jobs/package.json', '{}');
    await expect(generator(tree, { provider: 'acme', service: 'jobs' })).rejects.toThrow('packages/plugin-acme-jobs already exists and is not empty');
  });
});

// Hyphens and digits are valid in every name (a hyphenated provider becomes a quoted object key).
describe.each([
  { provider: 'globex', service: 'batch-jobs', operation: 'export-run' },
  { provider: 'my-cloud2', service: 's3-jobs', operation: 'v2-run' },
])('a generated plugin on its first run (--provider $provider --service $service --operation $operation)', (names) => {
  const pluginId = `${names.provider}.${names.service}.${names.operation}`;
  // Under the workspace's git-ignored /tmp so @cancelkit/*, zod and vitest resolve from its node_modules.
  let scratch: string;
  let pkgDir: string;

  beforeAll(async () => {
    mkdirSync(path.join(ROOT, 'tmp'), { recursive: true });
    scratch = mkdtempSync(path.join(ROOT, 'tmp', 'generated-plugin-'));
    copyFileSync(path.join(ROOT, 'tsconfig.base.json'), path.join(scratch, 'tsconfig.base.json'));
    // The build script runs <workspace>/tools/scripts/emit-manifest.mjs; the scratch root stands in for it.
    mkdirSync(path.join(scratch, 'tools', 'scripts'), { recursive: true });
    copyFileSync(path.join(ROOT, 'tools', 'scripts', 'emit-manifest.mjs'), path.join(scratch, 'tools', 'scripts', 'emit-manifest.mjs'));
    // The workspace's lint rules, without its git ignore list (which hides /tmp).
    const biome = JSON.parse(readFileSync(path.join(ROOT, 'biome.json'), 'utf8'));
    biome.$schema = undefined;
    biome.vcs = { enabled: false };
    writeFileSync(path.join(scratch, 'biome.json'), JSON.stringify(biome));
    const tree = treeWithCore();
    await generator(tree, names);
    pkgDir = materialize(tree, `packages/plugin-${names.provider}-${names.service}`, scratch);
  });

  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    // Leave no empty /tmp behind either (another run may still be using it: then it is not empty).
    try {
      rmdirSync(path.join(ROOT, 'tmp'));
    } catch {
      /* not empty or already gone */
    }
  });

  it('builds, type-checks, lints and passes the conformance kit unchanged', () => {
    // Its own build script as npm would run it (the workspace's node_modules/.bin first on PATH), minus npm.
    const script = (JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { scripts: { build: string } }).scripts.build;
    const build = spawnSync('sh', ['-c', script], { cwd: pkgDir, encoding: 'utf8', env: { ...process.env, PATH: `${BIN}${path.delimiter}${process.env.PATH}` } });
    expect(`${build.stdout}${build.stderr}`.trim(), 'build').toBe('');
    expect(build.status).toBe(0);
    const typecheck = run(path.join(BIN, 'tsc'), ['-p', 'tsconfig.json', '--noEmit'], pkgDir);
    expect(typecheck.status, typecheck.output).toBe(0);
    const lint = run(path.join(BIN, 'biome'), ['check', 'packages'], scratch);
    expect(lint.status, lint.output).toBe(0);
    expect(Number(/Checked (\d+) files/.exec(lint.output)?.[1])).toBeGreaterThanOrEqual(9);
    expect(readdirSync(path.join(pkgDir, 'dist')).filter((f) => f.endsWith('.test.js'))).toEqual([]);
    const reportFile = path.join(scratch, 'vitest.json');
    const test = run(path.join(BIN, 'vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${reportFile}`], pkgDir);
    expect(test.status, test.output).toBe(0);
    const report = JSON.parse(readFileSync(reportFile, 'utf8'));
    expect(report.numFailedTests).toBe(0);
    // One test per conformance rule (15 with errors:permission-denied), none skipped.
    expect(report.numPassedTests).toBe(15);
    expect(report.numPendingTests ?? 0).toBe(0);
  }, 60_000);

  it('emits a manifest that passes checkManifest, and the same manifest as dist/manifest.json', async () => {
    const { default: manifest } = await import(pathToFileURL(path.join(pkgDir, 'dist', 'manifest.js')).href);
    const { default: plugin } = await import(pathToFileURL(path.join(pkgDir, 'dist', 'index.js')).href);
    expect(manifest.id).toBe(pluginId);
    expect(checkManifest(manifest, { plugin })).toEqual([]);
    expect(JSON.parse(readFileSync(path.join(pkgDir, 'dist', 'manifest.json'), 'utf8'))).toStrictEqual(plugin.manifest);
  });

  it("sends to the endpoint a host's EndpointSource gives when no endpoint is configured (ctx.endpointFor)", async () => {
    const plugin = (await import(pathToFileURL(path.join(pkgDir, 'dist', 'index.js')).href)).default as CancellablePlugin<unknown>;
    const emulation = (await import(pathToFileURL(path.join(pkgDir, 'dist', 'emulation.js')).href)).default;
    const emulator = await startEmulator({ port: 0, host: '127.0.0.1', emulations: [emulation] });
    const kit = createCancelKit({
      plugins: [plugin],
      endpointSources: [{ provider: names.provider, description: 'test source', resolve: () => emulator.url }],
      config: {
        providers: { [names.provider]: { apiKeyId: 'cancelkit-demo-ak', apiKeySecret: 'cancelkit-demo-sk' } },
        env: {},
        homeDir: scratch,
        retry: { maxAttempts: 1 },
      },
    });
    try {
      const op = emulator.createOperation(plugin.manifest.service, {});
      const records = await kit.cancel(pluginId, { [plugin.manifest.targetParam]: op.id }, { precheck: false });
      expect(records.map((r) => [r.outcome, r.error?.message])).toEqual([['cancelled', undefined]]);
    } finally {
      await kit.close();
      await emulator.stop();
    }
  });
});
