/**
 * Server: throughput and p50/p99 of `POST /v1/cancellations` (cancelkit-server in its own process, load
 * from autocannon in another) vs the same plugin called in-process (lib/load-inprocess.mjs), with the same
 * concurrency and number of calls, against the same emulator (a third process). Every request cancels a
 * different running task; the emulator must end with exactly that many tasks cancelled, or the figure is
 * invalid. Both sides get a warm-up first (not measured); the full run does two rounds, alternating which
 * side goes first, and takes the median throughput. Latency overhead is measured in a second phase at a
 * fixed 50 requests/s (open loop on both sides: lib/paced-client.mjs for the server), below saturation,
 * where queueing does not multiply it.
 * Targets: throughput >= 0.7x of in-process, p99 overhead <= 2 ms.
 *
 * On a 2-core machine the server side runs three busy processes (autocannon, server, emulator) against the
 * baseline's two (caller, emulator); that contention is part of what this figure measures.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { BENCH_DIR, ROOT_DIR } from './lib/emulator.mjs';
import { forkService, run } from './lib/proc.mjs';
import { figure, median, percentile, round } from './lib/stats.mjs';

const LIB = path.join(BENCH_DIR, 'lib');
/** Requests per second of the latency phase: well under what either side sustains on 2 busy cores. */
const PACED_RATE = 50;

function parseLast(result, what) {
  if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code}): ${result.stderr.slice(0, 500)}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1));
}

/** One in-process run: saturating (`rate` 0) or paced at `rate` calls per second. */
async function inProcessRound(emulator, prefix, warmup, amount, connections, rate = 0) {
  await emulator.seedEcs(prefix, warmup + amount);
  const args = [path.join(LIB, 'load-inprocess.mjs'), emulator.url, prefix, warmup, amount, connections, rate].map(String);
  return parseLast(await run(process.execPath, args, { cwd: ROOT_DIR, timeoutMs: 180_000 }), 'in-process load');
}

/** One server run (fresh server process, warmed up): saturating or paced, like inProcessRound. */
async function serverRound(emulator, prefix, warmup, amount, connections, rate = 0) {
  await emulator.seedEcs(prefix, warmup + amount);
  const token = randomBytes(24).toString('hex');
  // The token travels in the environment, not argv (which any local user can read with ps).
  const env = { ...process.env, CANCELKIT_BENCH_TOKEN: token };
  const server = forkService(path.join(LIB, 'server-process.mjs'), { args: [emulator.url, String(connections)], cwd: ROOT_DIR, env });
  try {
    const { url } = await server.ready;
    const loadArgs = (first, count) => [path.join(LIB, 'load-server.mjs'), url, prefix, first, count, connections].map(String);
    parseLast(await run(process.execPath, loadArgs(0, warmup), { cwd: ROOT_DIR, env, timeoutMs: 120_000 }), 'server warm-up load');
    // Saturating load from autocannon; paced load from our own open-loop client (see paced-client.mjs).
    const args = rate > 0 ? [path.join(LIB, 'paced-client.mjs'), ...loadArgs(warmup, amount).slice(1), String(rate)] : loadArgs(warmup, amount);
    const cpuBefore = await server.call('cpu');
    const result = parseLast(await run(process.execPath, args, { cwd: ROOT_DIR, env, timeoutMs: 180_000 }), 'server load');
    const cpuAfter = await server.call('cpu');
    return { ...result, cpuUs: cpuAfter.us - cpuBefore.us };
  } finally {
    await server.stop();
  }
}

export async function measureServer({ emulator, quick, log }) {
  const connections = 16;
  const warmup = quick ? 200 : 300;
  const amount = quick ? 600 : 2_000;
  const pacedAmount = PACED_RATE * (quick ? 6 : 12);
  const rounds = quick ? 1 : 2;
  const inprocRuns = [];
  const serverRuns = [];
  for (let r = 0; r < rounds; r++) {
    // Alternate which side goes first, so a slow spell of the machine does not favour one.
    const sides = [
      async () => inprocRuns.push(await inProcessRound(emulator, `t-inproc${r}-`, warmup, amount, connections)),
      async () => serverRuns.push(await serverRound(emulator, `t-server${r}-`, warmup, amount, connections)),
    ];
    for (const side of r % 2 === 0 ? sides : sides.reverse()) await side();
    log?.(`server round ${r + 1}/${rounds}: server ${serverRuns.at(-1).throughput.toFixed(0)}/s, in-process ${inprocRuns.at(-1).throughput.toFixed(0)}/s`);
  }
  const pooled = (runs) => ({
    throughput: median(runs.map((x) => x.throughput)),
    cpuMsPerRequest: median(runs.map((x) => x.cpuUs / 1000 / x.requests)),
    latencies: runs.flatMap((x) => x.latencies),
    failures: runs.reduce((n, x) => n + (x.failures ?? 0), 0),
    errors: runs.reduce((n, x) => n + (x.errors ?? 0), 0),
    timeouts: runs.reduce((n, x) => n + (x.timeouts ?? 0), 0),
    non2xx: runs.reduce((n, x) => n + (x.non2xx ?? 0), 0),
    statuses: runs.reduce((all, x) => {
      for (const [k, v] of Object.entries(x.statuses ?? {})) all[k] = (all[k] ?? 0) + v;
      return all;
    }, {}),
  });
  const inproc = pooled(inprocRuns);
  const load = pooled(serverRuns);

  // Latency below saturation: at full load, 16 connections queue behind each other and any CPU per
  // request shows up ~16 times in the latency (Little's law), so the overhead target is judged at a fixed
  // rate both sides sustain easily, with the same request count.
  const paced = { inproc: undefined, server: undefined };
  const pacedSides = [
    async () => {
      paced.inproc = await inProcessRound(emulator, 't-inproc-paced-', warmup, pacedAmount, connections, PACED_RATE);
    },
    async () => {
      paced.server = await serverRound(emulator, 't-server-paced-', warmup, pacedAmount, connections, PACED_RATE);
    },
  ];
  for (const side of pacedSides) await side();
  log?.(`server latency at ${PACED_RATE}/s: p99 server ${percentile(paced.server.latencies, 99).toFixed(1)} ms, in-process ${percentile(paced.inproc.latencies, 99).toFixed(1)} ms`);

  const inprocCounts = await emulator.ecsStatusCounts('t-inproc');
  const serverCounts = await emulator.ecsStatusCounts('t-server');
  const expected = (warmup + amount) * rounds + warmup + pacedAmount;
  const problems = [];
  const pacedServer = pooled([paced.server]);
  if ((inprocCounts.Deleted ?? 0) !== expected || inproc.failures > 0 || paced.inproc.failures > 0) {
    problems.push(`in-process cancelled ${inprocCounts.Deleted ?? 0}/${expected}`);
  }
  if ((serverCounts.Deleted ?? 0) !== expected) problems.push(`server cancelled ${serverCounts.Deleted ?? 0}/${expected}`);
  for (const l of [load, pacedServer]) {
    if (l.errors > 0 || l.timeouts > 0 || l.non2xx > 0) problems.push(`server: ${l.errors} errors, ${l.timeouts} timeouts, ${l.non2xx} non-2xx`);
  }
  const valid = problems.length === 0;
  const note = valid ? undefined : problems.join('; ');

  const stats = (l) => ({ p50Ms: round(median(l), 3), p99Ms: round(percentile(l, 99), 3) });
  const measured = {
    connections,
    requests: amount,
    rounds,
    server: { throughput: round(load.throughput, 1), cpuMsPerRequest: round(load.cpuMsPerRequest, 3), ...stats(load.latencies), statuses: load.statuses },
    inProcess: { throughput: round(inproc.throughput, 1), cpuMsPerRequest: round(inproc.cpuMsPerRequest, 3), ...stats(inproc.latencies) },
  };
  measured.paced = {
    rate: PACED_RATE,
    requests: pacedAmount,
    server: stats(paced.server.latencies),
    inProcess: stats(paced.inproc.latencies),
  };
  const p99Overhead = measured.paced.server.p99Ms - measured.paced.inProcess.p99Ms;
  const p50Overhead = measured.paced.server.p50Ms - measured.paced.inProcess.p50Ms;
  return [
    figure({
      id: 'server-throughput',
      detail: `${Math.round(load.throughput)}/s vs ${Math.round(inproc.throughput)}/s at ${connections} connections`,
      title: 'Server POST /v1/cancellations throughput / in-process',
      value: load.throughput / inproc.throughput,
      target: { op: '>=', value: 0.7 },
      valid,
      note,
      measured,
    }),
    figure({
      id: 'server-cpu',
      title: 'Server process CPU per request / in-process CPU per call',
      value: measured.server.cpuMsPerRequest / measured.inProcess.cpuMsPerRequest,
      valid,
      note,
      detail: `${measured.server.cpuMsPerRequest} ms vs ${measured.inProcess.cpuMsPerRequest} ms of CPU (user + system), independent of how busy the other processes keep the cores`,
      measured,
    }),
    figure({
      id: 'server-p99-overhead',
      detail: `at ${PACED_RATE}/s: p99 ${measured.paced.server.p99Ms} vs ${measured.paced.inProcess.p99Ms} ms, p50 ${measured.paced.server.p50Ms} vs ${measured.paced.inProcess.p50Ms} ms (saturated p99 ${measured.server.p99Ms} vs ${measured.inProcess.p99Ms})`,
      title: `Server p99 latency overhead over in-process, at ${PACED_RATE} requests/s`,
      value: p99Overhead,
      unit: 'ms',
      target: { op: '<=', value: 2 },
      valid,
      note,
      measured: { ...measured, p50OverheadMs: round(p50Overhead, 3) },
    }),
  ];
}
