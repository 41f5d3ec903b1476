/**
 * For every group of figures that missed its target, a CPU profile (`--cpu-prof`) of our side of the
 * comparison, summarised by package and by function, plus (for start-up) isolated import costs. The
 * output goes into the report so the numbers behind docs/performance.md's analysis are reproducible.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BENCH_DIR, CLI_BIN, DEMO_KEY, REGION, ROOT_DIR } from './lib/emulator.mjs';
import { forkService, run } from './lib/proc.mjs';
import { importCosts, profileRun, readProfile, summariseProfile } from './lib/profile.mjs';

const LIB = path.join(BENCH_DIR, 'lib');

async function startup({ emulator }) {
  const home = mkdtempSync(path.join(tmpdir(), 'cancelkit-bench-home-'));
  try {
    await emulator.seedEcs('t-prof-cli-', 3);
    const env = { ...process.env, HOME: home, ALIBABA_CLOUD_ACCESS_KEY_ID: DEMO_KEY.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: DEMO_KEY.accessKeySecret };
    const args = (i) => [CLI_BIN, 'cancel', 'alibaba.ecs.task', '--region-id', REGION, '--task-id', `t-prof-cli-${i}`, '--endpoint', emulator.url, '-o', 'json'];
    await run(process.execPath, args(0), { cwd: home, env }); // warm the compile cache
    const cliProfile = await profileRun(args(1), { cwd: home, env });
    const counted = await run(process.execPath, ['--import', path.join(LIB, 'count-modules.mjs'), ...args(2)], { cwd: home, env });
    const modulesLine = counted.stderr.split('\n').find((l) => l.startsWith('MODULES '));
    const modules = modulesLine ? JSON.parse(modulesLine.slice('MODULES '.length)) : { error: counted.stderr.slice(0, 200) };
    const imports = await importCosts([
      ['reflect-metadata', 'inversify'],
      'got',
      'zod',
      '@cancelkit/core/plugin',
      '@cancelkit/core',
      '@cancelkit/alibaba-openapi',
      '@cancelkit/plugin-alibaba-ecs',
      ['@cancelkit/core', 'got', '@cancelkit/plugin-alibaba-ecs'],
      '@alicloud/ecs20140526',
    ]);
    return { cliProfile, modules, imports };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

async function library({ emulator }) {
  const calls = 2_000;
  await emulator.seedEcs('t-prof-lib-cancelkit-', calls + 200);
  const args = ['--expose-gc', path.join(LIB, 'library-worker.mjs'), emulator.url, 't-prof-lib-', '200', String(calls), '0', '0', 'cancelkit'];
  return { libraryProfile: await profileRun(args, { topN: 15 }) };
}

async function signing() {
  const worker = path.join(LIB, 'signing-worker.mjs');
  return {
    acs3Profile: await profileRun([worker, '2000', 'acs3-ours'], { topN: 10 }),
    sdkHmacProfile: await profileRun([worker, '2000', 'hmac-ours'], { topN: 10 }),
  };
}

async function server({ emulator }) {
  const amount = 600;
  const token = randomBytes(24).toString('hex');
  await emulator.seedEcs('t-prof-srv-', amount);
  const dir = mkdtempSync(path.join(tmpdir(), 'cancelkit-bench-prof-'));
  try {
    const env = { ...process.env, CANCELKIT_BENCH_TOKEN: token };
    const service = forkService(path.join(LIB, 'server-process.mjs'), {
      args: [emulator.url, '16'],
      execArgv: ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '200'],
      cwd: ROOT_DIR,
      env,
    });
    try {
      const { url } = await service.ready;
      const load = await run(process.execPath, [path.join(LIB, 'load-server.mjs'), url, 't-prof-srv-', '0', String(amount), '16'], { cwd: ROOT_DIR, env });
      if (load.code !== 0) throw new Error(`profiled server load failed: ${load.stderr.slice(0, 300)}`);
    } finally {
      await service.stop();
    }
    return { serverProfile: summariseProfile(readProfile(dir), 15) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const GROUPS = [
  { prefix: 'cold-start', run: startup },
  { prefix: 'library', run: library },
  { prefix: 'signing', run: signing },
  { prefix: 'server', run: server },
];

/** Profiles the groups with a `short` figure. Failures to profile are reported, never thrown. */
export async function diagnose(figures, ctx) {
  const out = {};
  for (const group of GROUPS) {
    if (!figures.some((f) => f.id.startsWith(group.prefix) && f.mark === 'short')) continue;
    ctx.log?.(`profiling ${group.prefix} (a target was missed)`);
    try {
      out[group.prefix] = await group.run(ctx);
    } catch (error) {
      out[group.prefix] = { error: error instanceof Error ? error.message : String(error) };
    }
  }
  return out;
}
