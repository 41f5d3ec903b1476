/**
 * Flags and batch paths through the built CLI against the real emulator: CSV and stdin input, a partial
 * batch (exit 9), `--wait` (and exit 10 when it times out), `--no-precheck`, a resumed batch's exit code,
 * `plan --from`, params named by their flags, stdout closing under a command (`| head`), and the
 * emulator's printed example when it listens on every interface.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunningEmulator } from '@cancelkit/emulator';
import { clientUrl } from '../commands/emulator.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ResultRecord } from '../records.js';
import { CLI_BIN, type CliRun, cliEnv, parseNdjsonOutput, runCli, scratchDir, startTestEmulator } from '../test-support/e2e.js';

type Op = Record<string, unknown> & { id: string };
type Doc = { results: ResultRecord[]; summary: Record<string, number> };

let emulator: RunningEmulator;
/** OOS that refuses to list executions: the pre-check is skipped and `--wait` never sees a terminal state. */
let oosBlind: RunningEmulator;
const scratch = scratchDir();
const env = () => cliEnv(scratch.dir);
const run = (args: string[], stdin?: string) => runCli(args, { cwd: scratch.dir, env: env(), ...(stdin !== undefined ? { stdin } : {}) });
const doc = (r: CliRun) => JSON.parse(r.stdout) as Doc;

beforeAll(async () => {
  [emulator, oosBlind] = await Promise.all([
    startTestEmulator(),
    startTestEmulator({ settings: { 'alibaba.oos': { failWith: { ListExecutions: 'User.NoPermission' } } } }),
  ]);
});
afterAll(async () => {
  await Promise.all([emulator.stop(), oosBlind.stop()]);
  scratch.cleanup();
});
beforeEach(() => {
  emulator.reset();
});

const seed = (service: string, fields: Record<string, unknown>) => emulator.createOperation(service, fields) as Op;
const ecsLine = (taskId: string, regionId = 'cn-hangzhou') => JSON.stringify({ plugin: 'alibaba.ecs.task', params: { regionId, taskId } });

describe('batch input and exit codes', () => {
  it('CSV with a partial result: each target its outcome, exit 9', async () => {
    const ecs = seed('alibaba.ecs', { taskStatus: 'Processing' });
    const tair = [seed('alibaba.tair', { allowCancel: 1, status: 3 }), seed('alibaba.tair', { allowCancel: 1, status: 3 })];
    const file = path.join(scratch.dir, 'partial.csv');
    writeFileSync(
      file,
      ['plugin,region-id,task-id,ids', `alibaba.ecs.task,${ecs.regionId},${ecs.id},`, 'alibaba.ecs.task,cn-hangzhou,t-doesnotexist,', `alibaba.tair.ops-event,,,"${tair.map((t) => t.id).join(',')}"`].join('\n'),
    );
    const r = await run(['cancel', '--from', file, '--endpoint', emulator.url, '-o', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(9);
    const { results, summary } = doc(r);
    expect(results.map((x) => [x.line, x.target, x.outcome]).sort()).toEqual(
      [
        [2, ecs.id, 'cancelled'],
        [3, 't-doesnotexist', 'not-found'],
        [4, tair[0]?.id, 'cancelled'],
        [4, tair[1]?.id, 'cancelled'],
      ].sort(),
    );
    expect(summary).toEqual({ total: 4, cancelled: 3, alreadyFinished: 0, notCancellable: 0, notFound: 1, failed: 0 });
  });

  it('the same target on two lines is cancelled once: both lines get its record, exit 0', async () => {
    const ecs = seed('alibaba.ecs', { taskStatus: 'Processing' });
    const sentBefore = emulator.requests().filter((q) => q.action === 'CancelTask').length;
    const r = await run(['cancel', '--from', '-', '--no-precheck', '--concurrency', '4', '--endpoint', emulator.url, '-o', 'ndjson'], [ecsLine(ecs.id, String(ecs.regionId)), ecsLine(ecs.id, String(ecs.regionId))].join('\n'));
    expect(r.code, r.stderr).toBe(0);
    const { records, summary } = parseNdjsonOutput(r.stdout);
    expect(records.map((x) => [x.line, x.target, x.outcome]).sort()).toEqual([
      [1, ecs.id, 'cancelled'],
      [2, ecs.id, 'cancelled'],
    ]);
    expect(summary).toMatchObject({ total: 2, cancelled: 2 });
    expect(emulator.requests().filter((q) => q.action === 'CancelTask').length - sentBefore).toBe(1);
  });

  it('--from - reads NDJSON from stdin', async () => {
    const dds = seed('huaweicloud.dds', { status: 'Pending' });
    const oos = seed('alibaba.oos', { status: 'Running' });
    const input = [
      JSON.stringify({ plugin: 'huaweicloud.dds.scheduled-job', params: { region: 'cn-north-4', jobId: dds.id } }),
      JSON.stringify({ plugin: 'alibaba.oos.execution', params: { regionId: oos.regionId, executionId: oos.id } }),
    ].join('\n');
    const r = await run(['cancel', '--from', '-', '--endpoint', emulator.url, '-o', 'ndjson'], input);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const { records, summary } = parseNdjsonOutput(r.stdout);
    expect(records.map((x) => [x.target, x.outcome]).sort()).toEqual([
      [dds.id, 'cancelled'],
      [oos.id, 'cancelled'],
    ].sort());
    expect(summary).toMatchObject({ total: 2, cancelled: 2 });
  });

  it("a resumed batch exits with every target's final outcome, including those its journal settled", async () => {
    const file = path.join(scratch.dir, 'missing.ndjson');
    writeFileSync(file, ['t-gone1', 't-gone2', 't-gone3'].map((t) => ecsLine(t)).join('\n'));
    const journal = path.join(scratch.dir, 'missing.journal');
    const args = ['cancel', '--from', file, '--journal', journal, '--endpoint', emulator.url, '-o', 'json'];
    const first = await run(args);
    expect(first.code).toBe(5);
    const sent = emulator.requests().length;
    const second = await run(args);
    expect(second.code, second.stderr).toBe(5);
    expect(doc(second)).toEqual({ results: [], summary: { total: 3, cancelled: 0, alreadyFinished: 0, notCancellable: 0, notFound: 3, failed: 0, skipped: 3 } });
    // The second run sent nothing: the journal answered for every target.
    expect(emulator.requests()).toHaveLength(sent);
  });
});

describe('--wait and --no-precheck', () => {
  it('--wait polls until the operation is terminal, exit 0', async () => {
    const dds = seed('huaweicloud.dds', { status: 'Pending' });
    const r = await run(['cancel', 'huaweicloud.dds.scheduled-job', '--region', 'cn-north-4', '--job-id', dds.id, '--wait', '--timeout', '30s', '--endpoint', emulator.url, '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(doc(r).results[0]).toMatchObject({ outcome: 'cancelled', waited: { terminal: true, timedOut: false, status: 'Canceled' }, status: 'Canceled' });
  });

  it('--wait on a key that may cancel but not read: cancelled, and it stops waiting at once instead of polling out --timeout, exit 10', async () => {
    const oos = oosBlind.createOperation('alibaba.oos', { status: 'Running' }) as Op;
    const started = Date.now();
    const r = await run(['cancel', 'alibaba.oos.execution', '--region-id', String(oos.regionId), '--execution-id', oos.id, '--wait', '--timeout', '10m', '--endpoint', oosBlind.url, '-o', 'json']);
    expect(r.code, r.stderr).toBe(10);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(doc(r).results[0]).toMatchObject({ outcome: 'cancelled', waited: { terminal: false, timedOut: false, gaveUp: { code: 'PermissionDenied' } } });
    expect(oosBlind.listOperations('alibaba.oos').find((o) => o.id === oos.id)?.status).toBe('Cancelled');
    const other = oosBlind.createOperation('alibaba.oos', { status: 'Running' }) as Op;
    const human = await run(['cancel', 'alibaba.oos.execution', '--region-id', String(other.regionId), '--execution-id', other.id, '--wait', '--endpoint', oosBlind.url, '-o', 'table']);
    expect(human.code, human.stderr).toBe(10);
    expect(human.stdout + human.stderr).toContain('stopped waiting: its state could not be read (PermissionDenied');
  });

  it('--no-precheck sends the cancel first instead of inspecting', async () => {
    const finished = seed('alibaba.ecs', { taskStatus: 'Finished' });
    const args = ['cancel', 'alibaba.ecs.task', '--region-id', String(finished.regionId), '--task-id', finished.id, '--endpoint', emulator.url, '-o', 'json'];
    const checked = await run(args);
    expect(checked.code, checked.stderr).toBe(0);
    expect(doc(checked).results[0]?.outcome).toBe('already-finished');
    expect(emulator.requests().map((q) => q.action)).not.toContain('CancelTask');

    emulator.reset();
    const again = seed('alibaba.ecs', { taskStatus: 'Finished' });
    const unchecked = await run(['cancel', 'alibaba.ecs.task', '--region-id', String(again.regionId), '--task-id', again.id, '--no-precheck', '--endpoint', emulator.url, '-o', 'json']);
    expect(unchecked.stderr).toBe('');
    const record = doc(unchecked).results[0];
    expect(record?.attempts).toBe(1);
    expect(record?.error?.providerCode).toBe('InvalidTaskId.IncorrectTaskStatus');
    // ECS refused it: it had finished; the first request of the run was the cancel itself.
    expect(emulator.requests()[0]?.action).toBe('CancelTask');
  });
});

describe('plan --from', () => {
  it('plans every target of a batch across services and changes nothing', async () => {
    const ecs = seed('alibaba.ecs', { taskStatus: 'Processing' });
    const oos = seed('alibaba.oos', { status: 'Success' });
    const ha3 = seed('alibaba.opensearch', { status: 'running' });
    const dds = seed('huaweicloud.dds', { status: 'Running' });
    const tair = seed('alibaba.tair', { allowCancel: 1, status: 3 });
    const file = path.join(scratch.dir, 'plan.ndjson');
    writeFileSync(
      file,
      [
        ecsLine(ecs.id, String(ecs.regionId)),
        JSON.stringify({ plugin: 'alibaba.oos.execution', params: { regionId: oos.regionId, executionId: oos.id } }),
        JSON.stringify({ plugin: 'alibaba.opensearch.fsm-task', params: { regionId: ha3.regionId, instanceId: ha3.instanceId, fsmId: ha3.id } }),
        JSON.stringify({ plugin: 'huaweicloud.dds.scheduled-job', params: { region: 'cn-north-4', jobId: dds.id } }),
        JSON.stringify({ plugin: 'alibaba.tair.ops-event', params: { ids: [tair.id, '987654321'] } }),
      ].join('\n'),
    );
    const before = JSON.stringify(['alibaba.ecs', 'alibaba.oos', 'alibaba.opensearch', 'huaweicloud.dds', 'alibaba.tair'].map((s) => emulator.listOperations(s)));
    const r = await run(['plan', '--from', file, '--endpoint', emulator.url, '--concurrency', '3', '-o', 'ndjson']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const { records, summary } = parseNdjsonOutput(r.stdout);
    expect(records.map((x) => [x.line, x.target, x.action, x.expected]).sort()).toEqual(
      [
        [1, ecs.id, 'cancel', 'cancelled'],
        [2, oos.id, 'skip', 'already-finished'],
        [3, ha3.id, 'cancel', 'cancelled'],
        [4, dds.id, 'skip', 'not-cancellable'],
        [5, tair.id, 'cancel', 'cancelled'],
        [5, '987654321', 'skip', 'not-found'],
      ].sort(),
    );
    for (const x of records) expect(x.requestId).toEqual(expect.any(String));
    expect(summary).toEqual({ total: 6, cancelled: 3, alreadyFinished: 1, notCancellable: 1, notFound: 1, failed: 0 });
    expect(JSON.stringify(['alibaba.ecs', 'alibaba.oos', 'alibaba.opensearch', 'huaweicloud.dds', 'alibaba.tair'].map((s) => emulator.listOperations(s)))).toBe(before);
    const actions = emulator.requests().map((q) => q.action);
    expect(actions.length).toBeGreaterThanOrEqual(5);
    expect(actions.filter((a) => /^(Cancel|Stop)/.test(a ?? ''))).toEqual([]);
  });
});

describe('messages', () => {
  it('a plugin param problem found while running names the flag (--project-id), not the schema field', async () => {
    const { HUAWEICLOUD_SDK_PROJECT_ID: _unused, ...noProject } = env();
    const args = ['huaweicloud.dds.scheduled-job', '--region', 'cn-north-4', '--job-id', '3861199d-c196-4791-bcd0-b45fde754f50', '--endpoint', emulator.url];
    const [cancel, plan] = await Promise.all([
      runCli(['cancel', ...args, '-o', 'json'], { cwd: scratch.dir, env: noProject }),
      runCli(['plan', ...args], { cwd: scratch.dir, env: noProject }),
    ]);
    expect(cancel.code).toBe(2);
    expect(doc(cancel).results[0]?.error?.message).toMatch(/^--project-id: no project id is known for region cn-north-4/);
    expect(plan.code).toBe(2);
    expect(plan.stderr).toMatch(/^error: --project-id: no project id is known/);
    expect(cancel.stdout + plan.stderr).not.toContain('projectId:');
  });
});

/** Runs the CLI with its stdout piped into `head -n <lines>`, as a shell user would; returns the CLI's exit code. */
function throughHead(args: string[], lines: number): Promise<{ code: number; head: string; stderr: string }> {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash script; ${PIPESTATUS[0]} is bash's, not a template's
  const script = 'node="$1"; shift; "$node" "$@" | head -n "$HEAD_LINES"; echo "cli-exit=${PIPESTATUS[0]}" >&2';
  const child = spawn('bash', ['-c', script, 'bash', process.execPath, CLI_BIN, ...args], {
    cwd: scratch.dir,
    env: { ...env(), HEAD_LINES: String(lines) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let head = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (head += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', () => {
      const match = /cli-exit=(\d+)\n$/.exec(stderr);
      resolve({ code: match ? Number(match[1]) : -1, head, stderr: stderr.replace(/cli-exit=\d+\n$/, '') });
    });
  });
}

describe('stdout closed early (| head)', () => {
  it('a batch stops quietly: no stack trace, no new target started, every settled result journalled, exit 141', async () => {
    const total = 60;
    const ops = Array.from({ length: total }, () => seed('alibaba.ecs', { taskStatus: 'Processing' }));
    const file = path.join(scratch.dir, 'head.ndjson');
    writeFileSync(file, ops.map((o) => ecsLine(o.id, String(o.regionId))).join('\n'));
    const journal = path.join(scratch.dir, 'head.journal');
    // Two requests per target at 40 per second: the batch would take ~3 s; head leaves after 2 records.
    const r = await throughHead(['cancel', '--from', file, '--journal', journal, '--endpoint', emulator.url, '--concurrency', '2', '--qps', '40', '-o', 'ndjson'], 2);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(141);
    expect(r.head.trim().split('\n')).toHaveLength(2);
    const journalled = readFileSync(journal, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ResultRecord);
    expect(journalled.length).toBeGreaterThanOrEqual(2);
    expect(journalled.length).toBeLessThan(total);
    expect(journalled.every((x) => x.outcome === 'cancelled')).toBe(true);
    // Every cancel the cloud applied is in the journal, so a re-run neither repeats nor misses one.
    const cancelled = emulator
      .listOperations('alibaba.ecs')
      .filter((o) => o.status !== 'Processing')
      .map((o) => o.id);
    expect(journalled.map((x) => x.target).sort()).toEqual(cancelled.sort());
  });

  it('a single command with more output than the reader wants exits 141 without a stack trace', async () => {
    // ~200 kB of records: more than a pipe holds, so writes go on after head has left.
    const ids = Array.from({ length: 1000 }, (_, i) => String(900000 + i));
    const r = await throughHead(['inspect', 'alibaba.tair.ops-event', '--ids', ids.join(','), '--endpoint', emulator.url, '-o', 'ndjson'], 1);
    expect(r.stderr).toBe('');
    expect(r.head).toMatch(/^\{"plugin":"alibaba\.tair\.ops-event","target":"900000"/);
    expect(r.code).toBe(141);
  });
});

describe('emulator --host 0.0.0.0', () => {
  // Unit-level: a test must not bind every interface of the machine just to read a banner.
  it('prints examples with the loopback address the CLI accepts', () => {
    expect(clientUrl('http://0.0.0.0:8787')).toBe('http://127.0.0.1:8787');
    expect(clientUrl('http://[::]:8787')).toBe('http://[::1]:8787');
    expect(clientUrl('http://127.0.0.2:9000')).toBe('http://127.0.0.2:9000');
  });
});
