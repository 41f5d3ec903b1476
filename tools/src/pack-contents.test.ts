/**
 * What every publishable package would put on the registry (`npm pack --dry-run`): built files, types,
 * README, LICENSE and package.json only — no sources, tests or build info — and every file its
 * package.json points at (exports, bin, the `cancelkit` plugin entries) is in the tarball.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(fileURLToPath(new URL('..', import.meta.url)), '..');
const run = promisify(execFile);

interface PackageJson {
  name: string;
  private?: boolean;
  exports?: unknown;
  bin?: string | Record<string, string>;
  cancelkit?: Record<string, string>;
}

function publishablePackages(): Array<{ dir: string; pkg: PackageJson }> {
  const out: Array<{ dir: string; pkg: PackageJson }> = [];
  for (const group of ['packages', 'apps']) {
    for (const name of readdirSync(path.join(ROOT, group)).sort()) {
      const file = path.join(ROOT, group, name, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
      if (pkg.private !== true) out.push({ dir: path.join(group, name), pkg });
    }
  }
  return out;
}

/** Every file path package.json refers to (exports targets, bin, cancelkit entries), normalised. */
function referencedFiles(pkg: PackageJson): string[] {
  const refs = new Set<string>();
  const walk = (value: unknown) => {
    if (typeof value === 'string') refs.add(value);
    else if (value && typeof value === 'object') for (const v of Object.values(value)) walk(v);
  };
  walk(pkg.exports);
  walk(pkg.bin);
  walk(pkg.cancelkit);
  return [...refs].map((r) => path.posix.normalize(r).replace(/^\.\//, ''));
}

const ALLOWED = /^(dist\/.+|README\.md|LICENSE|package\.json)$/;
const FORBIDDEN = /(^src\/|\.test\.[cm]?[jt]s|\.test\.d\.ts|\/test-support\/|\.tsbuildinfo$|\/e2e\/)/;

describe('npm pack --dry-run of every publishable package', () => {
  const packages = publishablePackages();
  const packed = new Map<string, string[]>();

  // One npm process for all of them (`-w` per package): npm's start-up dominates a dry run.
  beforeAll(async () => {
    const workspaces = packages.flatMap(({ dir }) => ['-w', dir]);
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', ...workspaces], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
    for (const report of JSON.parse(stdout) as Array<{ name: string; files: Array<{ path: string }> }>) {
      packed.set(report.name, report.files.map((f) => f.path).sort());
    }
  }, 60_000);

  it('finds the publishable packages', () => {
    expect(packages.map((p) => p.pkg.name)).toEqual(expect.arrayContaining(['@cancelkit/core', '@cancelkit/testing', '@cancelkit/cli']));
  });

  for (const { pkg } of packages) {
    it(`${pkg.name} ships only dist, README, LICENSE and package.json`, () => {
      const files = packed.get(pkg.name);
      expect(files, `npm pack reported nothing for ${pkg.name}`).toBeDefined();
      if (!files) return;
      expect(files.filter((f) => !ALLOWED.test(f) || FORBIDDEN.test(f)), `unexpected files in ${pkg.name}`).toEqual([]);
      expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json']));
      const missing = referencedFiles(pkg).filter((f) => f !== 'package.json' && !files.includes(f));
      expect(missing, `${pkg.name}: package.json points at files the tarball lacks (build it first)`).toEqual([]);
      expect(files.some((f) => f.endsWith('.d.ts')), `${pkg.name} ships no type declarations`).toBe(true);
    });
  }
});
