/**
 * The library-call measurement. Run with `--expose-gc --min-semi-space-size=64 --max-semi-space-size=64`
 * (see library.mjs for why).
 *
 * Usage: node library-worker.mjs <emulator-url> <task-prefix> <warmup> <calls> <allocBatches> <allocBatchSize> <mode>...
 * Modes:
 *   sdk                 the official SDK's cancelTask (one CancelTask request)
 *   cancelkit           kit.cancel with `precheck: false`: the same single CancelTask request
 *   cancelkit-precheck  kit.cancel with its default pre-check: DescribeTaskAttribute, then CancelTask
 *   cancelkit-nodehttp  an EXPERIMENT: like `cancelkit`, with core's got transport swapped for node:http
 *
 * All modes live in this one process and take turns call by call (the order rotating each round), so a
 * noisy machine's drift hits every mode alike; each mode cancels its own fresh tasks
 * (`${prefix}${mode}-${n}`). Prints one JSON line per mode: latencies (ms) and bytes allocated per call.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import { DEMO_KEY, kitConfig, REGION } from './emulator.mjs';

const [url, prefix, warmupText, callsText, batchesText, batchSizeText, ...modes] = process.argv.slice(2);
const warmup = Number(warmupText);
const calls = Number(callsText);
const allocBatches = Number(batchesText);
const allocBatchSize = Number(batchSizeText);
if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');

async function makeCall(mode) {
  if (mode === 'sdk') {
    const { default: ecsModule } = await import('@alicloud/ecs20140526');
    const { $OpenApiUtil } = await import('@alicloud/openapi-core');
    const client = new ecsModule.default(new $OpenApiUtil.Config({ ...DEMO_KEY, endpoint: new URL(url).host, protocol: 'http', regionId: REGION }));
    return async (taskId) => {
      const response = await client.cancelTask(new ecsModule.CancelTaskRequest({ regionId: REGION, taskId }));
      return response.statusCode === 200;
    };
  }
  if (!['cancelkit', 'cancelkit-nodehttp', 'cancelkit-precheck'].includes(mode)) throw new Error(`unknown mode ${mode}`);
  const { createCancelKit, TOKENS } = await import('@cancelkit/core');
  const { ecsTaskPlugin } = await import('@cancelkit/plugin-alibaba-ecs');
  const modules = [];
  if (mode === 'cancelkit-nodehttp') {
    // Bound through core's own extension point: the host may supply the transport factory.
    const { ContainerModule } = await import('inversify');
    const { createNodeHttpClient } = await import('./node-http-client.mjs');
    const client = Promise.resolve(createNodeHttpClient());
    modules.push(
      new ContainerModule(({ bind }) => {
        bind(TOKENS.HttpClientFactory).toConstantValue(() => client);
      }),
    );
  }
  const kit = createCancelKit({ plugins: [ecsTaskPlugin], config: kitConfig(url), modules });
  const precheck = mode === 'cancelkit-precheck';
  return async (taskId) => {
    const [result] = await kit.cancel('alibaba.ecs.task', { regionId: REGION, taskId }, { precheck });
    return result?.outcome === 'cancelled';
  };
}

const state = {};
for (const mode of modes) {
  const call = await makeCall(mode);
  const s = { next: 0, failures: 0, latencies: [], heapBytes: [], externalBytes: [], discarded: 0 };
  s.once = async () => {
    if (!(await call(`${prefix}${mode}-${s.next++}`))) s.failures++;
  };
  state[mode] = s;
}
const rotated = (round) => modes.map((_, i) => modes[(i + round) % modes.length]);

for (let i = 0; i < warmup; i++) for (const mode of rotated(i)) await state[mode].once();

for (let i = 0; i < calls; i++) {
  for (const mode of rotated(i)) {
    const s = state[mode];
    const start = process.hrtime.bigint();
    await s.once();
    s.latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
}

// Bytes allocated per call: growth of the V8 heap across a batch of calls during which no GC ran. The
// young generation is made large (64 MB semi-spaces) so a batch fits; a batch that saw a GC anyway
// (counted by a PerformanceObserver on `gc` entries) is discarded rather than under-counted.
let gcEvents = 0;
const observer = new PerformanceObserver((list) => {
  gcEvents += list.getEntries().length;
});
observer.observe({ entryTypes: ['gc'] });
const settle = () => new Promise((resolve) => setTimeout(resolve, 5));
for (let b = 0; b < allocBatches; b++) {
  for (const mode of rotated(b)) {
    const s = state[mode];
    globalThis.gc();
    await settle();
    const gcBefore = gcEvents;
    const heap0 = v8.getHeapStatistics().used_heap_size;
    const external0 = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < allocBatchSize; i++) await s.once();
    const heap1 = v8.getHeapStatistics().used_heap_size;
    const external1 = process.memoryUsage().arrayBuffers;
    await settle();
    if (gcEvents !== gcBefore) {
      s.discarded++;
      continue;
    }
    s.heapBytes.push((heap1 - heap0) / allocBatchSize);
    s.externalBytes.push((external1 - external0) / allocBatchSize);
  }
}
observer.disconnect();

for (const mode of modes) {
  const { latencies, heapBytes, externalBytes, discarded, failures } = state[mode];
  process.stdout.write(`${JSON.stringify({ mode, latencies, heapBytes, externalBytes, discarded, failures })}\n`);
}
process.exit(0);
