/**
 * CLI cold start: `cancelkit cancel alibaba.ecs.task …` end to end against the emulator (a fresh process
 * per run, default flags: pre-check through DescribeTaskAttribute, then CancelTask), against
 *   - `node -e 0` on the same Node (target <= 3x), and
 *   - a Node script making the same cancel with the official ECS SDK (target <= 0.25x).
 * For information, the same CLI command with the plugin named in a config file and discovery off.
 * The commands run interleaved (round-robin, rotating order) so drift on a busy machine hits them
 * alike; the figure is the ratio of medians. Each run cancels a fresh task, and a run that does not
 * report `cancelled` makes the figure invalid. Peak RSS of one extra run of each comes from
 * `/usr/bin/time -f %M` (kept out of the timed runs so the wrapper's fork does not count).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BENCH_DIR, CLI_BIN, DEMO_KEY, REGION, ROOT_DIR } from './lib/emulator.mjs';
import { run } from './lib/proc.mjs';
import { figure, median, round } from './lib/stats.mjs';

const SDK_SCRIPT = path.join(BENCH_DIR, 'lib', 'sdk-cancel.mjs');

function commands(url, home, explicitDir) {
  // A clean HOME and working directory: no cancelkit.config.json or credential file changes what runs.
  const env = {
    ...process.env,
    HOME: home,
    ALIBABA_CLOUD_ACCESS_KEY_ID: DEMO_KEY.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: DEMO_KEY.accessKeySecret,
  };
  return {
    node: { args: () => ['-e', '0'], env, cwd: home, check: () => true },
    cli: {
      args: (taskId) => [CLI_BIN, 'cancel', 'alibaba.ecs.task', '--region-id', REGION, '--task-id', taskId, '--endpoint', url, '-o', 'json'],
      env,
      cwd: home,
      check: (result) => result.code === 0 && /"outcome":\s*"cancelled"/.test(result.stdout),
    },
    // The same command where a cancelkit.config.json names the plugin and turns discovery off: the
    // difference is what scanning node_modules for plugin packages costs at start-up.
    cliExplicit: {
      args: (taskId) => [CLI_BIN, 'cancel', 'alibaba.ecs.task', '--region-id', REGION, '--task-id', taskId, '--endpoint', url, '-o', 'json'],
      env,
      cwd: explicitDir,
      check: (result) => result.code === 0 && /"outcome":\s*"cancelled"/.test(result.stdout),
    },
    sdk: {
      args: (taskId) => [SDK_SCRIPT, url, taskId],
      env,
      // Run from the repository so the script resolves the SDK from the workspace's node_modules.
      cwd: ROOT_DIR,
      check: (result) => result.code === 0 && /"statusCode":200/.test(result.stdout),
    },
  };
}

async function peakRss(command, args, options) {
  if (!existsSync('/usr/bin/time')) return undefined;
  const result = await run('/usr/bin/time', ['-f', 'peak-rss-kb=%M', command, ...args], options);
  const match = /peak-rss-kb=(\d+)/.exec(result.stderr);
  return match ? Number(match[1]) : undefined;
}

export async function measureColdStart({ emulator, quick, log }) {
  const runs = quick ? 10 : 15;
  const warmup = 2;
  const home = mkdtempSync(path.join(tmpdir(), 'cancelkit-bench-home-'));
  const explicitDir = path.join(home, 'explicit');
  mkdirSync(explicitDir);
  writeFileSync(
    path.join(explicitDir, 'cancelkit.config.json'),
    JSON.stringify({ plugins: [path.join(ROOT_DIR, 'packages', 'plugin-alibaba-ecs')], discover: false }),
  );
  try {
    const cmds = commands(emulator.url, home, explicitDir);
    const perKind = runs + warmup + 1;
    const kinds = ['node', 'cli', 'cliExplicit', 'sdk'];
    for (const kind of kinds.slice(1)) await emulator.seedEcs(`t-cold-${kind}-`, perKind);
    const counters = Object.fromEntries(kinds.map((k) => [k, 0]));
    const nextTask = (kind) => `t-cold-${kind}-${counters[kind]++}`;
    const times = Object.fromEntries(kinds.map((k) => [k, []]));
    const failures = [];
    for (let round = 0; round < runs + warmup; round++) {
      const order = kinds.map((_, i) => kinds[(i + round) % kinds.length]);
      for (const kind of order) {
        const cmd = cmds[kind];
        const result = await run(process.execPath, cmd.args(nextTask(kind)), { env: cmd.env, cwd: cmd.cwd, timeoutMs: 60_000 });
        if (!cmd.check(result)) failures.push(`${kind}: exit ${result.code}: ${(result.stderr || result.stdout).slice(0, 200)}`);
        if (round >= warmup) times[kind].push(result.wallMs);
      }
      log?.(`cold start round ${round + 1}/${runs + warmup}`);
    }
    const rss = {
      node: await peakRss(process.execPath, cmds.node.args(), { env: cmds.node.env, cwd: cmds.node.cwd }),
      cli: await peakRss(process.execPath, cmds.cli.args(nextTask('cli')), { env: cmds.cli.env, cwd: cmds.cli.cwd }),
      sdk: await peakRss(process.execPath, cmds.sdk.args(nextTask('sdk')), { env: cmds.sdk.env, cwd: cmds.sdk.cwd }),
    };
    const med = Object.fromEntries(kinds.map((k) => [k, median(times[k])]));
    const valid = failures.length === 0;
    const note = valid ? undefined : `${failures.length} run(s) did not cancel: ${failures[0]}`;
    const measured = {
      runs,
      medianMs: Object.fromEntries(kinds.map((k) => [k, round(med[k], 1)])),
      minMs: Object.fromEntries(kinds.map((k) => [k, round(Math.min(...times[k]), 1)])),
      peakRssKb: rss,
    };
    const ms = (v) => `${Math.round(v)} ms`;
    const figures = [
      figure({
        id: 'cold-start-vs-node',
        detail: `median of ${runs}: cli ${ms(med.cli)}, node -e 0 ${ms(med.node)}`,
        title: 'CLI cold start / `node -e 0`',
        value: med.cli / med.node,
        target: { op: '<=', value: 3 },
        valid,
        note,
        measured,
      }),
      figure({
        id: 'cold-start-vs-sdk',
        detail: `median of ${runs}: cli ${ms(med.cli)}, SDK script ${ms(med.sdk)}`,
        title: 'CLI cold start / official ECS SDK script',
        value: med.cli / med.sdk,
        target: { op: '<=', value: 0.25 },
        valid,
        note,
        measured,
      }),
    ];
    figures.push(
      figure({
        id: 'cold-start-explicit-vs-node',
        detail: `median of ${runs}: cli ${ms(med.cliExplicit)} with discovery off vs ${ms(med.cli)} with it`,
        title: 'CLI cold start, plugin named in config (no discovery) / `node -e 0`',
        value: med.cliExplicit / med.node,
        valid,
        note,
        measured,
      }),
    );
    if (rss.cli !== undefined && rss.sdk !== undefined) {
      figures.push(
        figure({
          id: 'cold-start-rss-vs-sdk',
          detail: `cli ${Math.round(rss.cli / 1024)} MB, SDK script ${Math.round(rss.sdk / 1024)} MB, node -e 0 ${Math.round((rss.node ?? 0) / 1024)} MB`,
          title: 'CLI peak RSS (one cancel) / official ECS SDK script',
          value: rss.cli / rss.sdk,
          measured: { peakRssKb: rss },
        }),
      );
    }
    return figures;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
