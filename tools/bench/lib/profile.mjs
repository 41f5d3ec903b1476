/**
 * Where the time goes when a target is missed: V8 CPU profiles (`--cpu-prof`) summarised by package and by
 * function (self time), and isolated import costs (a fresh process importing one module, minus an empty
 * one, medians of several runs).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT_DIR } from './emulator.mjs';
import { run } from './proc.mjs';
import { median, round } from './stats.mjs';

const WORKSPACE_DIRS = [path.join(ROOT_DIR, 'packages'), path.join(ROOT_DIR, 'apps'), path.join(ROOT_DIR, 'tools')];

/** Which package a profiled function belongs to. */
export function packageOf(url, functionName) {
  if (!url) {
    if (functionName === '(garbage collector)') return '(gc)';
    if (functionName === '(idle)') return '(idle: waiting for I/O)';
    if (functionName === '(program)') return '(program: V8 compile/parse, native)';
    return '(native)';
  }
  if (url.startsWith('node:')) return '(node internals)';
  const file = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const nm = file.lastIndexOf('/node_modules/');
  if (nm !== -1) {
    const rest = file.slice(nm + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  for (const base of WORKSPACE_DIRS) {
    if (file.startsWith(`${base}/`)) {
      const name = file.slice(base.length + 1).split('/')[0];
      return base.endsWith('tools') ? 'tools (bench harness)' : `@cancelkit/${name}`;
    }
  }
  return file;
}

const isUserland = (pkg) => !pkg.startsWith('(');

/**
 * Self time per package and the top functions of one .cpuprofile. `byPackage` is plain self time;
 * `byCaller` charges Node internals and native code (socket writes, hashing, SQLite) to the nearest
 * package up the stack that asked for them, which answers "whose work is this".
 */
export function summariseProfile(profile, topN = 12) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const packageById = new Map(profile.nodes.map((n) => [n.id, packageOf(n.callFrame.url, n.callFrame.functionName)]));
  const callerPackage = (id) => {
    const own = packageById.get(id);
    if (own === '(gc)' || own.startsWith('(idle') || own.startsWith('(program')) return own;
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const pkg = packageById.get(at);
      if (isUserland(pkg)) return pkg;
    }
    return own;
  };
  const selfUs = new Map();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const byPackage = new Map();
  const byCaller = new Map();
  const byFunction = new Map();
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = nodes.get(id).callFrame;
    const pkg = packageById.get(id);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
    const caller = callerPackage(id);
    byCaller.set(caller, (byCaller.get(caller) ?? 0) + us);
    const where = url ? `${url.replace(/^file:\/\//, '').replace(`${ROOT_DIR}/`, '').replace(/.*node_modules\//, '')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    totalUs += us;
  }
  const rows = (map) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, topN)
      .map(([name, us]) => ({ name, selfMs: round(us / 1000, 1), share: round(us / totalUs, 3) }));
  return { profiledMs: round(totalUs / 1000, 1), byPackage: rows(byPackage), byCaller: rows(byCaller), topFunctions: rows(byFunction) };
}

/** Reads the newest .cpuprofile of a directory. */
export function readProfile(dir) {
  const file = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort()
    .at(-1);
  if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
  return JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
}

/** Runs `node --cpu-prof <args>` and summarises the profile. */
export async function profileRun(args, { cwd = ROOT_DIR, env, timeoutMs = 120_000, topN } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'cancelkit-bench-prof-'));
  try {
    const result = await run(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '200', ...args], { cwd, env, timeoutMs });
    if (result.code !== 0) throw new Error(`profiled run failed (exit ${result.code}): ${result.stderr.slice(0, 300)}`);
    return { wallMs: round(result.wallMs, 1), ...summariseProfile(readProfile(dir), topN) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What importing one module costs a fresh process: median wall time of `import(specifier)` (compile
 * cache on and warm, as the CLI runs) minus the median of the same process importing nothing.
 */
export async function importCosts(specifiers, { runs = 5, cwd = ROOT_DIR } = {}) {
  const script = (spec) =>
    `import m from 'node:module'; m.enableCompileCache?.(); ${spec.map((s) => `await import(${JSON.stringify(s)});`).join(' ')}`;
  const time = async (spec) => {
    const args = ['--input-type=module', '-e', script(spec)];
    await run(process.execPath, args, { cwd }); // warm the compile cache and the disk cache
    const times = [];
    for (let i = 0; i < runs; i++) {
      const result = await run(process.execPath, args, { cwd });
      if (result.code !== 0) throw new Error(`import ${spec.join(' + ')} failed: ${result.stderr.slice(0, 300)}`);
      times.push(result.wallMs);
    }
    return median(times);
  };
  const empty = await time([]);
  const rows = [];
  for (const spec of specifiers) {
    const list = Array.isArray(spec) ? spec : [spec];
    rows.push({ module: list.join(' + '), ms: round((await time(list)) - empty, 1) });
  }
  return { emptyProcessMs: round(empty, 1), rows };
}
