/**
 * Installed size: the CLI with one plugin — what `npm pack --dry-run` ships for @cancelkit/cli, core,
 * emulator, plugin-alibaba-ecs and alibaba-openapi, plus their runtime dependency closure as installed in
 * node_modules — vs the official `@alicloud/ecs20140526` package and its dependency closure in
 * node_modules. Dependencies are resolved the way Node does (nearest node_modules upwards), each installed
 * directory counted once, its own nested node_modules left to the resolution of its dependencies.
 * Sizes are the sum of file sizes (what npm reports as "unpacked size"), not disk blocks.
 *
 * The issue sets no number for this figure; the target here is "no bigger than the official SDK".
 */
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { ROOT_DIR } from './lib/emulator.mjs';
import { run } from './lib/proc.mjs';
import { figure, round } from './lib/stats.mjs';

const OURS = [
  ['@cancelkit/cli', 'apps/cli'],
  ['@cancelkit/core', 'packages/core'],
  ['@cancelkit/emulator', 'packages/emulator'],
  ['@cancelkit/plugin-alibaba-ecs', 'packages/plugin-alibaba-ecs'],
  ['@cancelkit/alibaba-openapi', 'packages/alibaba-openapi'],
];

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** The installed directory of `name` as seen from `fromDir`, or undefined. */
function resolvePackageDir(name, fromDir) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return realpathSync(candidate);
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** Bytes and files of a directory, without its nested node_modules (resolved separately). */
function directorySize(dir) {
  let bytes = 0;
  let files = 0;
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.name === 'node_modules' && d === dir) continue;
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        bytes += lstatSync(full).size;
        files++;
      }
    }
  };
  walk(dir);
  return { bytes, files };
}

/** The packages a package needs at run time: dependencies, installed optional ones, required peers. */
function runtimeDependencies(pkg) {
  const names = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})]);
  for (const peer of Object.keys(pkg.peerDependencies ?? {})) {
    if (!pkg.peerDependenciesMeta?.[peer]?.optional) names.add(peer);
  }
  return [...names];
}

/**
 * Walks the dependency closure from the given roots. `sizeOf(dir, name)` gives a workspace package's
 * shipped size; third-party packages are measured on disk. Returns totals and one row per package.
 */
function closure(roots, sizeOf) {
  const seen = new Map();
  const missing = new Set();
  const queue = [...roots];
  while (queue.length > 0) {
    const { name, dir } = queue.shift();
    if (seen.has(dir)) continue;
    const pkg = readJson(path.join(dir, 'package.json'));
    seen.set(dir, { name, version: pkg.version, ...sizeOf(dir, name) });
    for (const dep of runtimeDependencies(pkg)) {
      const depDir = resolvePackageDir(dep, dir);
      if (depDir) queue.push({ name: dep, dir: depDir });
      else if (!pkg.optionalDependencies?.[dep]) missing.add(`${dep} (needed by ${name})`);
    }
  }
  const packages = [...seen.values()].sort((a, b) => b.bytes - a.bytes);
  return {
    bytes: packages.reduce((n, p) => n + p.bytes, 0),
    files: packages.reduce((n, p) => n + p.files, 0),
    packages,
    missing: [...missing],
  };
}

async function packedSizes() {
  const sizes = new Map();
  for (const [name, rel] of OURS) {
    const dir = path.join(ROOT_DIR, rel);
    const result = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir, timeoutMs: 60_000 });
    if (result.code !== 0) throw new Error(`npm pack --dry-run failed for ${name}: ${result.stderr.slice(0, 300)}`);
    const [info] = JSON.parse(result.stdout.slice(result.stdout.indexOf('[')));
    sizes.set(realpathSync(dir), { bytes: info.unpackedSize, files: info.entryCount ?? info.files.length, tarball: info.size, name });
  }
  return sizes;
}

export async function measureSize({ log }) {
  const packed = await packedSizes();
  const ours = closure(
    OURS.map(([name, rel]) => ({ name, dir: realpathSync(path.join(ROOT_DIR, rel)) })),
    (dir) => {
      const shipped = packed.get(dir);
      return shipped ? { bytes: shipped.bytes, files: shipped.files } : directorySize(dir);
    },
  );
  const sdkDir = resolvePackageDir('@alicloud/ecs20140526', ROOT_DIR);
  if (!sdkDir) throw new Error('@alicloud/ecs20140526 is not installed (it is a dev-dependency of tests/sdk-compat)');
  const sdk = closure([{ name: '@alicloud/ecs20140526', dir: sdkDir }], (dir) => directorySize(dir));
  log?.(`size: ours ${(ours.bytes / 1e6).toFixed(2)} MB in ${ours.packages.length} packages, SDK ${(sdk.bytes / 1e6).toFixed(2)} MB in ${sdk.packages.length}`);
  const top = (c) => c.packages.map((p) => ({ name: p.name, version: p.version, kB: round(p.bytes / 1024, 1), files: p.files }));
  const valid = ours.missing.length === 0 && sdk.missing.length === 0;
  return [
    figure({
      id: 'install-size',
      detail: `${(ours.bytes / 1e6).toFixed(1)} MB in ${ours.packages.length} packages vs ${(sdk.bytes / 1e6).toFixed(1)} MB in ${sdk.packages.length}`,
      title: 'Installed size: CLI + one plugin (with dependencies) / official ECS SDK (with dependencies)',
      value: ours.bytes / sdk.bytes,
      target: { op: '<=', value: 1.0 },
      valid,
      note: valid ? undefined : `not installed: ${[...ours.missing, ...sdk.missing].join(', ')}`,
      measured: {
        ours: { MB: round(ours.bytes / 1e6, 2), files: ours.files, packageCount: ours.packages.length, packages: top(ours) },
        sdk: { MB: round(sdk.bytes / 1e6, 2), files: sdk.files, packageCount: sdk.packages.length, packages: top(sdk) },
      },
    }),
  ];
}
