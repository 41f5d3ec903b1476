/**
 * Library call: one cancel through `createCancelKit` vs the official SDK's `cancelTask`, both warmed up,
 * sequential calls against the same emulator (in its own process). Both run in one worker process
 * (lib/library-worker.mjs) and take turns call by call, so the machine's drift hits both alike; a second
 * worker repeats it in a fresh process (full run) and the samples are pooled.
 *
 * Latency: median per call (target <= 1.0x of the SDK's). The headline compares the same wire work —
 * kit.cancel with `precheck: false` sends exactly one CancelTask, like the SDK; kit.cancel with its
 * default pre-check (DescribeTaskAttribute first, two round trips) is shown beside it for information.
 *
 * Allocations: bytes allocated on the V8 heap per call, measured as heap growth across batches of calls
 * with no GC in between (64 MB semi-spaces so a batch fits in the young generation; a batch that still
 * saw a GC, detected through `gc` performance entries, is discarded). Node has no allocation counter;
 * with no collection during the batch, the growth is every byte the calls allocated. Buffer memory
 * outside the heap is reported alongside. Target: fewer than the SDK (<= 1.0x).
 *
 * An extra, informational mode binds a node:http client as core's transport (lib/node-http-client.mjs):
 * it measures what replacing got would change, so the fix can be judged before core is touched.
 */
import path from 'node:path';
import { BENCH_DIR, ROOT_DIR } from './lib/emulator.mjs';
import { run } from './lib/proc.mjs';
import { figure, median, percentile, round } from './lib/stats.mjs';

const WORKER = path.join(BENCH_DIR, 'lib', 'library-worker.mjs');
const WORKER_FLAGS = ['--expose-gc', '--min-semi-space-size=64', '--max-semi-space-size=64'];

export async function measureLibrary({ emulator, quick, log }) {
  const warmup = quick ? 100 : 300;
  const calls = quick ? 300 : 800;
  const allocBatches = quick ? 5 : 8;
  const allocBatchSize = 20;
  const workers = quick ? 1 : 2;
  const modes = ['sdk', 'cancelkit', 'cancelkit-precheck', 'cancelkit-nodehttp'];
  const perMode = warmup + calls + allocBatches * allocBatchSize;
  const samples = Object.fromEntries(modes.map((m) => [m, { latencies: [], heapBytes: [], externalBytes: [], discarded: 0, failures: 0 }]));

  for (let w = 0; w < workers; w++) {
    const prefix = `t-lib${w}-`;
    for (const mode of modes) await emulator.seedEcs(`${prefix}${mode}-`, perMode);
    const order = w % 2 === 0 ? modes : [...modes].reverse();
    const args = [...WORKER_FLAGS, WORKER, emulator.url, prefix, warmup, calls, allocBatches, allocBatchSize, ...order].map(String);
    const result = await run(process.execPath, args, { cwd: ROOT_DIR, timeoutMs: 300_000 });
    if (result.code !== 0) throw new Error(`library worker failed: ${result.stderr.slice(0, 500)}`);
    for (const line of result.stdout.trim().split('\n')) {
      const out = JSON.parse(line);
      const s = samples[out.mode];
      s.latencies.push(...out.latencies);
      s.heapBytes.push(...out.heapBytes);
      s.externalBytes.push(...out.externalBytes);
      s.discarded += out.discarded;
      s.failures += out.failures;
    }
    log?.(`library worker ${w + 1}/${workers}: p50 sdk ${median(samples.sdk.latencies).toFixed(3)} ms, cancelkit ${median(samples.cancelkit.latencies).toFixed(3)} ms`);
  }

  const summary = Object.fromEntries(
    modes.map((m) => {
      const s = samples[m];
      return [
        m,
        {
          calls: s.latencies.length,
          p50Ms: round(median(s.latencies), 3),
          p99Ms: round(percentile(s.latencies, 99), 3),
          heapBytesPerCall: Math.round(median(s.heapBytes)),
          externalBytesPerCall: Math.round(median(s.externalBytes)),
          allocBatches: s.heapBytes.length,
          discardedBatches: s.discarded,
          failures: s.failures,
        },
      ];
    }),
  );
  const failures = modes.reduce((n, m) => n + samples[m].failures, 0);
  const allocValid = modes.every((m) => samples[m].heapBytes.length > 0);
  const valid = failures === 0;
  const note = valid ? undefined : `${failures} call(s) did not cancel`;
  const { sdk, cancelkit, 'cancelkit-precheck': precheck, 'cancelkit-nodehttp': nodeHttp } = summary;
  return [
    figure({
      id: 'library-latency',
      detail: `p50 ${cancelkit.p50Ms} ms vs ${sdk.p50Ms} ms; p99 ${cancelkit.p99Ms} vs ${sdk.p99Ms} ms (${cancelkit.calls} calls each)`,
      title: 'Library cancel p50 latency / SDK cancelTask (same wire work)',
      value: cancelkit.p50Ms / sdk.p50Ms,
      target: { op: '<=', value: 1.0 },
      valid,
      note,
      measured: summary,
    }),
    figure({
      id: 'library-latency-precheck',
      detail: `p50 ${precheck.p50Ms} ms vs ${sdk.p50Ms} ms`,
      title: 'Library cancel p50 latency with default pre-check (2 round trips) / SDK cancelTask',
      value: precheck.p50Ms / sdk.p50Ms,
      valid,
      note,
      measured: { cancelkit: precheck, sdk },
    }),
    figure({
      id: 'library-allocations',
      detail: `${Math.round(cancelkit.heapBytesPerCall / 1024)} kB vs ${Math.round(sdk.heapBytesPerCall / 1024)} kB per call (with pre-check ${Math.round(precheck.heapBytesPerCall / 1024)} kB)`,
      title: 'Library cancel heap bytes allocated per call / SDK cancelTask',
      value: cancelkit.heapBytesPerCall / sdk.heapBytesPerCall,
      target: { op: '<=', value: 1.0 },
      valid: valid && allocValid,
      note: allocValid ? note : 'every allocation batch saw a GC',
      measured: { cancelkit, sdk, precheck },
    }),
    figure({
      id: 'library-experiment-node-http',
      title: 'Experiment: library cancel with got swapped for node:http, p50 / SDK',
      value: nodeHttp.p50Ms / sdk.p50Ms,
      valid,
      note,
      detail: `p50 ${nodeHttp.p50Ms} ms, ${Math.round(nodeHttp.heapBytesPerCall / 1024)} kB/call (got: ${cancelkit.p50Ms} ms, ${Math.round(cancelkit.heapBytesPerCall / 1024)} kB; SDK ${Math.round(sdk.heapBytesPerCall / 1024)} kB)`,
      measured: { nodeHttp, cancelkit, sdk },
    }),
  ];
}
