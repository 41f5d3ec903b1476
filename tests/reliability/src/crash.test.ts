/**
 * Crash safety: `kill -9` the CLI (with `--journal`) and the server in the middle of a batch, at random
 * points, several times, then finish the work. The emulator's witness shows what really happened: every
 * target that could be cancelled was cancelled exactly once, no cancel was ever sent for an operation
 * that was already cancelled, and the journal (CLI) or the stored jobs (server) account for every target.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLI_BIN, cleanEnv, lineCounter, parseNdjson, runCli, type ServerProcess, spawnNode, startServerProcess, workDir } from './support/processes.js';
import { prng, replayHint, scaled, seedFor } from './support/scale.js';
import { api, serverConfig, waitForJob, type JobView } from './support/server.js';
import { type Population, PROFILE_BY_PLUGIN, PROVIDERS, populate, startWorld, type Target, Witness, type World } from './support/world.js';

const KILLS = 3;

let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world.stop();
});
beforeEach(() => {
  world.emulator.reset();
  world.witness.clear();
});

/** What the emulator's final state and witness say about every target; returns broken promises. */
function checkExactlyOnce(population: Population): string[] {
  const problems: string[] = [];
  const states = new Map(world.emulator.listOperations().map((op) => [Witness.key(op.service, op.id), op.status]));
  for (const t of population.targets) {
    const key = Witness.key(t.service, t.target);
    const transitions = world.witness.transitions.get(key) ?? 0;
    const redundant = world.witness.redundantCancels.get(key) ?? 0;
    if (redundant > 0) problems.push(`${key}: ${redundant} cancel call(s) sent after it was already cancelled`);
    if (t.kind === 'cancellable') {
      if (transitions !== 1) problems.push(`${key}: cancelled ${transitions} times, expected once`);
      if (states.get(key) !== PROFILE_BY_PLUGIN.get(t.plugin)?.cancelledStatus) problems.push(`${key}: ends ${states.get(key)}, not cancelled`);
    } else if (transitions !== 0) problems.push(`${key} (${t.kind}): was changed ${transitions} times`);
  }
  return problems;
}

/** Waits until `count()` reaches `n` or the process exits, then SIGKILLs it a random few ms later. */
async function killAt(spawned: ReturnType<typeof spawnNode>, count: () => number, n: number, extraMs: number): Promise<boolean> {
  let exited = false;
  void spawned.exited.then(() => {
    exited = true;
  });
  while (!exited && count() < n) await new Promise((resolve) => setTimeout(resolve, 5));
  if (exited) return false;
  await new Promise((resolve) => setTimeout(resolve, extraMs));
  spawned.child.kill('SIGKILL');
  await spawned.exited;
  return true;
}

describe('kill -9 the CLI mid-batch', () => {
  it(`${KILLS} random kill -9 points with --journal, then a run to completion: every target done exactly once`, async () => {
    const seed = seedFor('crash-cli');
    const random = prng(seed);
    const count = scaled(80, 20);
    const population = populate(world, count, seed, 'k');
    const work = workDir('crash-cli');
    try {
      const config = work.file('cancelkit.config.json', { providers: PROVIDERS, retry: { maxAttempts: 6, baseDelayMs: 5, maxDelayMs: 50 } });
      const input = work.file('targets.ndjson', `${population.items.map((item) => JSON.stringify(item)).join('\n')}\n`);
      const journal = work.file('journal.ndjson');
      const args = ['cancel', '--from', input, '--journal', journal, '--output', 'ndjson', '--endpoint', world.url, '--config', config, '--concurrency', '4'];
      // Slow enough that a kill lands in the middle of requests, not between batches.
      world.emulator.setFaults({ latencyMs: 15, seed });
      let kills = 0;
      for (let round = 0; round < KILLS; round++) {
        const lines = lineCounter();
        const spawned = spawnNode(CLI_BIN, args, { cwd: work.dir, env: cleanEnv(work.dir), onStdout: lines.onChunk });
        const remaining = count - journalSettled(journal);
        if (await killAt(spawned, () => lines.count, Math.floor(random() * Math.max(1, remaining * 0.5)), Math.floor(random() * 40))) kills++;
      }
      expect(kills, 'the batch finished before the kills landed').toBeGreaterThan(0);
      world.emulator.clearFaults();
      const final = await runCli(args, { cwd: work.dir, env: cleanEnv(work.dir) });
      expect([0, 9], final.stderr).toContain(final.code);
      const { records, summary } = parseNdjson(final.stdout);
      // The journal and the final run together cover every target, each with one settled outcome.
      const settled = settledByTarget(readFileSync(journal, 'utf8'));
      for (const r of records) expect(settled.get(`${r.plugin} ${r.target}`), `${r.plugin} ${r.target} is journalled`).toBeDefined();
      // The summary counts every target of the batch, journalled ones included (`skipped` says how many
      // were settled in the journal); skipped plus run now accounts for every target exactly once.
      expect(Number(summary?.total), JSON.stringify(summary)).toBe(count);
      expect(records.length + Number(summary?.skipped ?? 0), JSON.stringify(summary)).toBe(count);
      const problems: string[] = [];
      for (const t of population.targets) {
        const outcomes = settled.get(`${t.plugin} ${t.target}`) ?? [];
        if (outcomes.length !== 1) problems.push(`${t.plugin} ${t.target}: journalled settled outcomes ${JSON.stringify(outcomes)}`);
        else if (!acceptable(t, outcomes[0] as string)) problems.push(`${t.plugin} ${t.target} (${t.kind}): journalled ${outcomes[0]}`);
      }
      problems.push(...checkExactlyOnce(population));
      expect(problems, `${problems.length} broken promises ${replayHint(seed)}`).toEqual([]);
    } finally {
      world.emulator.clearFaults();
      work.cleanup();
    }
  });
});

/** A cancellable target a killed run cancelled may be reported `already-finished` by the next run. */
function acceptable(target: Target, outcome: string): boolean {
  if (target.kind === 'cancellable') return outcome === 'cancelled' || outcome === 'already-finished';
  return outcome === { finished: 'already-finished', 'not-cancellable': 'not-cancellable', 'not-found': 'not-found', 'pre-cancelled': 'already-finished' }[target.kind];
}

/** Settled (non-failed) journalled outcomes per `plugin target`; torn lines are ignored, as the CLI does. */
function settledByTarget(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    let entry: { plugin?: string; target?: string; outcome?: string };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    if (!entry.plugin || !entry.target || !entry.outcome || entry.outcome === 'failed') continue;
    const key = `${entry.plugin} ${entry.target}`;
    out.set(key, [...(out.get(key) ?? []), entry.outcome]);
  }
  return out;
}

function journalSettled(file: string): number {
  try {
    return settledByTarget(readFileSync(file, 'utf8')).size;
  } catch {
    return 0;
  }
}

describe('kill -9 the server mid-batch', () => {
  it(`${KILLS} random kill -9 points, restarts on the same SQLite file, resubmitting what was interrupted: every target done exactly once`, async () => {
    const seed = seedFor('crash-server');
    const random = prng(seed);
    const count = scaled(80, 20);
    const population = populate(world, count, seed, 'q');
    const work = workDir('crash-server');
    const config = work.file('server.json', serverConfig(world, { database: work.file('jobs.db') }));
    let server: ServerProcess | undefined;
    const jobIds: string[] = [];
    try {
      world.emulator.setFaults({ latencyMs: 15, seed });
      let pending: Population['items'] = population.items;
      server = await startServerProcess(['--config', config], { cwd: work.dir, env: cleanEnv(work.dir) });
      for (let round = 0; round <= KILLS && pending.length > 0; round++) {
        const created = await api(server.url, 'POST', '/v1/cancellations', { body: { targets: pending, concurrency: 4 } });
        expect(created.status, created.text.slice(0, 300)).toBe(202);
        const id = (created.body as { id: string }).id;
        jobIds.push(id);
        const total = pending.reduce((n, item) => n + targetsOf(item).length, 0);
        if (round < KILLS) {
          let settled = 0;
          const poll = setInterval(() => {
            api(server?.url ?? '', 'GET', `/v1/cancellations/${id}`).then(
              (r) => {
                const job = r.body as JobView;
                settled = (job.summary.total ?? 0) - (job.summary.pending ?? 0);
              },
              () => undefined,
            );
          }, 20);
          try {
            await killAt(server, () => settled, Math.floor(random() * Math.max(1, total * 0.5)), Math.floor(random() * 40));
          } finally {
            clearInterval(poll);
          }
          // Restart on the same file: every job of the killed process is settled or interrupted, none is
          // left pending or running; what is left to do is the interrupted targets.
          server = await startServerProcess(['--config', config], { cwd: work.dir, env: cleanEnv(work.dir) });
          for (const earlier of jobIds) {
            const job = (await api(server.url, 'GET', `/v1/cancellations/${earlier}`)).body as JobView;
            expect(['completed', 'interrupted']).toContain(job.status);
            expect(job.targets.filter((t) => t.outcome === 'pending')).toEqual([]);
            if (earlier === id) pending = resubmission(pending, job);
          }
        } else {
          const job = await waitForJob(server.url, id);
          expect(job.status).toBe('completed');
          pending = [];
        }
      }
      // Across every job, each target has exactly one settled outcome (interrupted ones were redone).
      const outcomes = new Map<string, string[]>();
      for (const id of jobIds) {
        const job = (await api(server?.url ?? '', 'GET', `/v1/cancellations/${id}`)).body as JobView;
        for (const t of job.targets) {
          if (t.outcome === 'interrupted' || t.outcome === 'failed') continue;
          outcomes.set(`${t.plugin} ${t.target}`, [...(outcomes.get(`${t.plugin} ${t.target}`) ?? []), t.outcome]);
        }
      }
      const problems: string[] = [];
      for (const t of population.targets) {
        const o = outcomes.get(`${t.plugin} ${t.target}`) ?? [];
        if (o.length !== 1) problems.push(`${t.plugin} ${t.target}: settled outcomes ${JSON.stringify(o)}`);
        else if (!acceptable(t, o[0] as string)) problems.push(`${t.plugin} ${t.target} (${t.kind}): ${o[0]}`);
      }
      problems.push(...checkExactlyOnce(population));
      expect(problems, `${problems.length} broken promises ${replayHint(seed)}`).toEqual([]);
    } finally {
      world.emulator.clearFaults();
      await server?.stop();
      work.cleanup();
    }
  });
});

function targetsOf(item: Population['items'][number]): string[] {
  const params = item.params as { ids?: string[]; taskId?: string; executionId?: string; fsmId?: string; jobId?: string };
  return params.ids ?? [String(params.taskId ?? params.executionId ?? params.fsmId ?? params.jobId)];
}

/** The items still to do after an interrupted job: interrupted targets, narrowed for Tair's batch items. */
function resubmission(items: Population['items'], job: JobView): Population['items'] {
  const redo = new Set(job.targets.filter((t) => t.outcome === 'interrupted' || t.outcome === 'failed').map((t) => `${t.plugin} ${t.target}`));
  const out: Population['items'][number][] = [];
  for (const item of items) {
    const left = targetsOf(item).filter((target) => redo.has(`${item.plugin} ${target}`));
    if (left.length === 0) continue;
    const params = item.params as Record<string, unknown>;
    out.push(Array.isArray(params.ids) ? { plugin: item.plugin, params: { ...params, ids: left } } : item);
  }
  return out;
}
