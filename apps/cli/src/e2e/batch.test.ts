/**
 * Batches through the built CLI: a 1,000-target batch across all five services yields exactly 1,000
 * records; `--journal` resumes after the process is killed with SIGKILL midway, with no target cancelled
 * twice and none missed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunningEmulator } from '@cancelkit/emulator';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cliEnv, parseNdjsonOutput, runCli, scratchDir, spawnCli, startTestEmulator } from '../test-support/e2e.js';

let emulator: RunningEmulator;
const scratch = scratchDir();

beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(async () => {
  await emulator.stop();
  scratch.cleanup();
});
beforeEach(() => {
  emulator.reset();
});

type Op = Record<string, unknown> & { id: string };

/** One NDJSON line per seeded operation (Tair: five ids per line, as its plugin batches them). */
function seedMixed(total: number): string[] {
  const perService = total / 5;
  const lines: string[] = [];
  const seed = (service: string, fields: Record<string, unknown>) => emulator.createOperation(service, fields) as Op;
  for (let i = 0; i < perService; i++) {
    const e = seed('alibaba.ecs', { taskStatus: 'Processing' });
    lines.push(JSON.stringify({ plugin: 'alibaba.ecs.task', params: { regionId: e.regionId, taskId: e.id } }));
    const o = seed('alibaba.oos', { status: 'Running' });
    lines.push(JSON.stringify({ plugin: 'alibaba.oos.execution', params: { regionId: o.regionId, executionId: o.id } }));
    const h = seed('alibaba.opensearch', { status: 'running' });
    lines.push(JSON.stringify({ plugin: 'alibaba.opensearch.fsm-task', params: { regionId: h.regionId, instanceId: h.instanceId, fsmId: h.id } }));
    const d = seed('huaweicloud.dds', { status: 'Pending' });
    lines.push(JSON.stringify({ plugin: 'huaweicloud.dds.scheduled-job', params: { region: 'cn-north-4', jobId: d.id } }));
  }
  for (let i = 0; i < perService / 5; i++) {
    const ids = Array.from({ length: 5 }, () => seed('alibaba.tair', { allowCancel: 1, status: 3 }).id);
    lines.push(JSON.stringify({ plugin: 'alibaba.tair.ops-event', params: { ids } }));
  }
  return lines;
}

describe('batches end to end', () => {
  it('1,000 targets across five services: exactly 1,000 records, all cancelled, exit 0', async () => {
    const file = path.join(scratch.dir, 'thousand.ndjson');
    writeFileSync(file, `${seedMixed(1000).join('\n')}\n`);
    const run = await runCli(['cancel', '--from', file, '--endpoint', emulator.url, '--concurrency', '16', '--qps', '2000', '-o', 'ndjson'], {
      cwd: scratch.dir,
      env: cliEnv(scratch.dir),
    });
    expect(run.stderr).toBe('');
    const { records, summary } = parseNdjsonOutput(run.stdout);
    expect(records).toHaveLength(1000);
    expect(new Set(records.map((r) => `${r.plugin}/${r.target}`)).size).toBe(1000);
    expect(records.filter((r) => r.outcome !== 'cancelled')).toEqual([]);
    expect(summary).toEqual({ total: 1000, cancelled: 1000, alreadyFinished: 0, notCancellable: 0, notFound: 0, failed: 0 });
    expect(run.code).toBe(0);
    // The emulator agrees: no operation is left in the active state it was seeded with.
    const seededStatus: Record<string, string> = { 'alibaba.ecs': 'Processing', 'alibaba.tair': '3', 'alibaba.oos': 'Running', 'alibaba.opensearch': 'running', 'huaweicloud.dds': 'Pending' };
    for (const [service, active] of Object.entries(seededStatus)) {
      const ops = emulator.listOperations(service);
      expect(ops).toHaveLength(200);
      expect(ops.filter((o) => o.status === active)).toEqual([]);
    }
  });

  it('--journal resumes after SIGKILL: every target cancelled exactly once, none missed', async () => {
    const total = 200;
    const ops = Array.from({ length: total }, () => emulator.createOperation('alibaba.ecs', { taskStatus: 'Processing' }) as Op);
    const file = path.join(scratch.dir, 'resume.ndjson');
    writeFileSync(file, ops.map((o) => JSON.stringify({ plugin: 'alibaba.ecs.task', params: { regionId: o.regionId, taskId: o.id } })).join('\n'));
    const journal = path.join(scratch.dir, 'resume.journal');
    // 100 requests/s and two requests per target (pre-check + cancel): slow enough to kill midway.
    const args = ['cancel', '--from', file, '--journal', journal, '--endpoint', emulator.url, '--concurrency', '4', '--qps', '100', '-o', 'ndjson'];
    const lines = () => {
      try {
        return readFileSync(journal, 'utf8').split('\n').filter((l) => l.trim() !== '').length;
      } catch {
        return 0;
      }
    };

    const first = spawnCli(args, { cwd: scratch.dir, env: cliEnv(scratch.dir) });
    const deadline = Date.now() + 30_000;
    while (lines() < 30 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    const journalledBefore = lines();
    expect(journalledBefore).toBeGreaterThanOrEqual(30);
    expect(journalledBefore).toBeLessThan(total);

    const second = await runCli(args, { cwd: scratch.dir, env: cliEnv(scratch.dir) });
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    const { records, summary } = parseNdjsonOutput(second.stdout);
    // The re-run reports only what the journal had not settled.
    expect(summary?.skipped).toBe(journalledBefore);
    expect(records).toHaveLength(total - journalledBefore);
    expect(records.every((r) => r.outcome === 'cancelled' || r.outcome === 'already-finished')).toBe(true);

    // None missed: every task is cancelled in the emulator and settled in the journal.
    const state = new Map(emulator.listOperations('alibaba.ecs').map((o) => [o.id, o.status]));
    expect(ops.filter((o) => state.get(o.id) !== 'Deleted')).toEqual([]);
    const settled = new Set(
      readFileSync(journal, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .flatMap((l) => {
          try {
            const r = JSON.parse(l) as { target: string; outcome: string };
            return r.outcome === 'failed' ? [] : [r.target];
          } catch {
            return [];
          }
        }),
    );
    expect(ops.filter((o) => !settled.has(o.id))).toEqual([]);

    // None twice: exactly one accepted CancelTask per task and no refused one (a second cancel of a
    // cancelled task would be refused by the emulator).
    const cancels = emulator.requests().filter((r) => r.action === 'CancelTask');
    expect(cancels.filter((r) => r.status !== 200)).toEqual([]);
    expect(cancels).toHaveLength(total);
  });

  it('SIGINT: in-flight targets settle and are journalled, the rest are reported as not started, exit 130', async () => {
    const total = 150;
    const ops = Array.from({ length: total }, () => emulator.createOperation('huaweicloud.dds', { status: 'Pending' }) as Op);
    const file = path.join(scratch.dir, 'interrupt.ndjson');
    writeFileSync(file, ops.map((o) => JSON.stringify({ plugin: 'huaweicloud.dds.scheduled-job', params: { region: 'cn-north-4', jobId: o.id } })).join('\n'));
    const journal = path.join(scratch.dir, 'interrupt.journal');
    const run = spawnCli(['cancel', '--from', file, '--journal', journal, '--endpoint', emulator.url, '--concurrency', '4', '--qps', '60', '-o', 'ndjson'], {
      cwd: scratch.dir,
      env: cliEnv(scratch.dir),
    });
    const deadline = Date.now() + 30_000;
    while (run.stdout().split('\n').length < 12 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('Interrupted (SIGINT)');
    const { records, summary } = parseNdjsonOutput(result.stdout);
    expect(records).toHaveLength(total);
    const notStarted = records.filter((r) => (r.error as { message?: string } | undefined)?.message?.startsWith('Not started'));
    const settled = records.filter((r) => r.outcome === 'cancelled');
    expect(settled.length + notStarted.length).toBe(total);
    expect(notStarted.length).toBeGreaterThan(0);
    expect(summary?.total).toBe(total);
    // What was sent is exactly what is journalled and cancelled in the emulator.
    const journalled = readFileSync(journal, 'utf8').split('\n').filter((l) => l.trim() !== '');
    expect(journalled).toHaveLength(settled.length);
    const cancelledInEmulator = emulator.listOperations('huaweicloud.dds').filter((o) => o.status !== 'Pending');
    expect(cancelledInEmulator).toHaveLength(settled.length);
  });
});
