/**
 * Batch: N targets (10,000; `--quick` 1,000) through `cancelkit cancel --from FILE` with the emulator's
 * `maxQps` at 500. Ideal wall time is N / 500 s (one CancelTask per target), so the CLI runs with
 * `--no-precheck` (a pre-check doubles the requests and the ideal) and `--qps 500` (the user's knob to
 * match a known service limit). Figures: wall time / ideal (target <= 1.1x), result records (exactly N,
 * one per target), and the CLI process's peak RSS (VmHWM polled from /proc; target <= 200 MB).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI_BIN, DEMO_KEY, REGION } from './lib/emulator.mjs';
import { peakRssKb, run } from './lib/proc.mjs';
import { figure, round } from './lib/stats.mjs';

const MAX_QPS = 500;

export async function measureBatch({ emulator, quick, log }) {
  const targets = quick ? 1_000 : 10_000;
  const idealMs = (targets / MAX_QPS) * 1000;
  const dir = mkdtempSync(path.join(tmpdir(), 'cancelkit-bench-batch-'));
  try {
    const prefix = 't-batch-';
    await emulator.seedEcs(prefix, targets);
    const input = path.join(dir, 'targets.ndjson');
    const lines = [];
    for (let i = 0; i < targets; i++) lines.push(JSON.stringify({ plugin: 'alibaba.ecs.task', params: { regionId: REGION, taskId: `${prefix}${i}` } }));
    writeFileSync(input, `${lines.join('\n')}\n`);
    await emulator.setFaults({ maxQps: MAX_QPS });

    let peakKb = 0;
    let poller;
    const args = [CLI_BIN, 'cancel', '--from', input, '--no-precheck', '--qps', String(MAX_QPS), '--concurrency', '32', '--endpoint', emulator.url, '-o', 'ndjson'];
    const env = { ...process.env, HOME: dir, ALIBABA_CLOUD_ACCESS_KEY_ID: DEMO_KEY.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: DEMO_KEY.accessKeySecret };
    let result;
    try {
      result = await run(process.execPath, args, {
        cwd: dir,
        env,
        timeoutMs: idealMs * 5 + 60_000,
        onSpawn(child) {
          poller = setInterval(() => {
            const kb = peakRssKb(child.pid);
            if (kb !== undefined && kb > peakKb) peakKb = kb;
          }, 50);
        },
      });
    } finally {
      clearInterval(poller);
      await emulator.setFaults({});
    }
    log?.(`batch: ${targets} targets in ${(result.wallMs / 1000).toFixed(1)} s`);

    // A non-JSON line (a crash message on stdout) is kept out of the records and makes the run invalid.
    const records = [];
    let summary;
    for (const line of result.stdout.split('\n')) {
      if (!line.trim()) continue;
      let parsed;
      try {
        parsed = JSON.parse(line);
      } catch {
        continue;
      }
      if (parsed.summary) summary = parsed.summary;
      else records.push(parsed);
    }
    const outcomes = {};
    for (const r of records) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    const uniqueTargets = new Set(records.map((r) => r.target)).size;
    const retried = records.filter((r) => r.attempts > 1).length;
    const counts = await emulator.ecsStatusCounts(prefix);
    const requests = await emulator.requestSummary();
    const measured = {
      targets,
      maxQps: MAX_QPS,
      wallMs: round(result.wallMs, 0),
      idealMs,
      exitCode: result.code,
      records: records.length,
      uniqueTargets,
      outcomes,
      retriedTargets: retried,
      summary,
      emulatorCancelled: counts.Deleted ?? 0,
      emulatorFaults: requests.faults,
      peakRssKb: peakKb,
    };
    // Exit 9 (some targets failed, e.g. still throttled after every retry) is a result, not a broken run:
    // the figure stays valid as long as every target got its record and the emulator agrees with them.
    const failed = outcomes.failed ?? 0;
    const valid = (result.code === 0 || result.code === 9) && records.length === targets && (counts.Deleted ?? 0) === (outcomes.cancelled ?? 0);
    const note = valid
      ? failed > 0
        ? `${failed} target${failed === 1 ? '' : 's'} failed (${[...new Set(records.filter((r) => r.outcome === 'failed').map((r) => r.error?.code))].join(', ')}) after retries`
        : undefined
      : `exit ${result.code}, ${records.length} records, emulator cancelled ${counts.Deleted ?? 0}: ${result.stderr.slice(0, 200)}`;
    return [
      figure({
        id: 'batch-wall',
        title: `Batch of ${targets} at maxQps ${MAX_QPS}: wall time / ideal`,
        value: result.wallMs / idealMs,
        target: { op: '<=', value: 1.1 },
        valid,
        note,
        detail: `${(result.wallMs / 1000).toFixed(1)} s vs ${idealMs / 1000} s; ${retried} target${retried === 1 ? '' : 's'} retried after throttling`,
        measured,
      }),
      figure({
        id: 'batch-records',
        detail: Object.entries(outcomes)
          .map(([k, v]) => `${v} ${k}`)
          .join(', '),
        title: `Batch of ${targets}: result records (one per target)`,
        value: records.length,
        unit: 'records',
        target: { op: '=', value: targets },
        valid: uniqueTargets === records.length,
        note: uniqueTargets === records.length ? undefined : `${records.length} records but only ${uniqueTargets} distinct targets`,
        measured: { records: records.length, uniqueTargets, outcomes },
      }),
      figure({
        id: 'batch-rss',
        detail: 'VmHWM of the CLI process',
        title: `Batch of ${targets}: CLI peak RSS`,
        value: peakKb / 1024,
        unit: 'MB',
        target: { op: '<=', value: 200 },
        valid: peakKb > 0,
        note: peakKb > 0 ? undefined : 'could not read /proc/<pid>/status',
        measured: { peakRssKb: peakKb },
      }),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
