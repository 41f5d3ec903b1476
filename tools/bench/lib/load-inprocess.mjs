/**
 * The server figure's baseline: the same plugin called in-process (createCancelKit + kit.cancel, default
 * pre-check, exactly what the server runs per request) with the same concurrency and number of calls,
 * against the same emulator. Usage: load-inprocess.mjs <emulator-url> <task-prefix> <warmup> <amount> <concurrency> [rate]
 * `warmup` calls run first (not measured), then `amount` measured ones: as fast as `concurrency` loops
 * allow, or, with a rate, started on a fixed schedule of `rate` per second whatever the answers (an open
 * loop, like autocannon's overallRate). Prints one JSON line.
 */
import { createCancelKit } from '@cancelkit/core';
import { ecsTaskPlugin } from '@cancelkit/plugin-alibaba-ecs';
import { kitConfig, REGION } from './emulator.mjs';

const [url, prefix, warmupText, amountText, concurrencyText, rateText] = process.argv.slice(2);
const concurrency = Number(concurrencyText);
const rate = Number(rateText ?? 0);
const kit = createCancelKit({ plugins: [ecsTaskPlugin], config: kitConfig(url) });
let next = 0;
let failures = 0;
let latencies = [];

async function once() {
  const taskId = `${prefix}${next++}`;
  const start = process.hrtime.bigint();
  const [result] = await kit.cancel('alibaba.ecs.task', { regionId: REGION, taskId });
  latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
  if (result?.outcome !== 'cancelled') failures++;
}

async function loop(end) {
  while (next < end) await once();
}

async function paced(count) {
  const inFlight = [];
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(once());
  }
  await Promise.all(inFlight);
}

const runAll = (end) => Promise.all(Array.from({ length: concurrency }, () => loop(end)));
await runAll(Number(warmupText));
latencies = [];
failures = 0;
const started = performance.now();
const cpu0 = process.cpuUsage();
if (rate > 0) await paced(Number(amountText));
else await runAll(next + Number(amountText));
const wallMs = performance.now() - started;
const cpu = process.cpuUsage(cpu0);
await kit.close();
process.stdout.write(
  `${JSON.stringify({ requests: latencies.length, wallMs, throughput: (latencies.length / wallMs) * 1000, cpuUs: cpu.user + cpu.system, failures, latencies })}\n`,
);
