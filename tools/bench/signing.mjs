/**
 * Signing throughput: signatures per second, ours vs the official packages' signing functions on the same
 * input (target >= 2x). All signers run in one worker process (lib/signing-worker.mjs) after a warm-up, in
 * turns of 25 ms, so machine noise hits all alike; the full run repeats that in three fresh processes
 * (alternating the order) and the figure is the ratio of the medians. A parity run first checks that both produce the same Authorization for the
 * same instant and nonce — if not, the comparison is void and marked invalid.
 */
import path from 'node:path';
import { BENCH_DIR, ROOT_DIR } from './lib/emulator.mjs';
import { run } from './lib/proc.mjs';
import { figure, median } from './lib/stats.mjs';

const WORKER = path.join(BENCH_DIR, 'lib', 'signing-worker.mjs');

const PAIRS = [
  { id: 'signing-acs3', title: 'ACS3-HMAC-SHA256 signatures/s: signAcs3 / @alicloud/openapi-util', ours: 'acs3-ours', official: 'acs3-openapi-util' },
  {
    id: 'signing-acs3-core',
    title: 'ACS3-HMAC-SHA256 signatures/s: signAcs3 / @alicloud/openapi-core (what ecs20140526 v7 runs)',
    ours: 'acs3-ours',
    official: 'acs3-openapi-core',
  },
  {
    id: 'signing-sdk-hmac',
    title: 'SDK-HMAC-SHA256 signatures/s: signSdkHmacSha256 / huaweicloud-sdk-core AKSKSigner',
    ours: 'hmac-ours',
    official: 'hmac-sdk-core',
  },
];

/** Informational: what the fixes described in docs/performance.md would buy (same official baselines). */
const EXPERIMENTS = [
  { id: 'signing-experiment-acs3-pooled-nonce', title: 'Experiment: signAcs3 with a pooled nonce / @alicloud/openapi-util', ours: 'acs3-ours-pooled-nonce', official: 'acs3-openapi-util' },
  {
    id: 'signing-experiment-sdk-hmac-cached-date',
    title: 'Experiment: signSdkHmacSha256 with a per-second date / huaweicloud-sdk-core',
    ours: 'hmac-ours-cached-date',
    official: 'hmac-sdk-core',
  },
];

async function worker(args) {
  const result = await run(process.execPath, [WORKER, ...args], { cwd: ROOT_DIR, timeoutMs: 120_000 });
  if (result.code !== 0) throw new Error(`signing worker failed: ${result.stderr.slice(0, 500)}`);
  return result.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

export async function measureSigning({ quick, log }) {
  const workers = quick ? 1 : 3;
  // Per worker, every case gets about this much measured time (in 25 ms turns).
  const durationMs = quick ? 500 : 1_200;
  const [parity] = await worker(['parity']);
  const cases = [...new Set([...PAIRS, ...EXPERIMENTS].flatMap((p) => [p.ours, p.official]))];
  const opsPerSec = Object.fromEntries(cases.map((c) => [c, []]));
  for (let w = 0; w < workers; w++) {
    const order = w % 2 === 0 ? cases : [...cases].reverse();
    for (const out of await worker([String(durationMs), ...order])) opsPerSec[out.case].push(out.opsPerSec);
    log?.(`signing worker ${w + 1}/${workers}`);
  }
  const experiments = EXPERIMENTS.map((e) => {
    const ours = median(opsPerSec[e.ours]);
    const official = median(opsPerSec[e.official]);
    return figure({ id: e.id, title: e.title, value: ours / official, detail: `${Math.round(ours)}/s vs ${Math.round(official)}/s`, measured: { oursPerSec: Math.round(ours), officialPerSec: Math.round(official) } });
  });
  const figures = PAIRS.map((pair) => {
    const ours = median(opsPerSec[pair.ours]);
    const official = median(opsPerSec[pair.official]);
    const valid = parity[pair.official] === true;
    return figure({
      id: pair.id,
      title: pair.title,
      value: ours / official,
      target: { op: '>=', value: 2 },
      valid,
      detail: `${Math.round(ours)}/s vs ${Math.round(official)}/s`,
      note: valid ? undefined : 'ours and the official signer disagree on the same input',
      measured: { oursPerSec: Math.round(ours), officialPerSec: Math.round(official), workers, durationMs, parity: parity[pair.official] },
    });
  });
  return [...figures, ...experiments];
}
