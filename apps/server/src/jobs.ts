/**
 * Runs accepted jobs through the core engine in the background, writes every target result to the store
 * as it settles, and fans results out to live listeners (SSE, synchronous single requests).
 *
 * Shutdown: stop pulling new items, let running work finish for a grace period, then abort; whatever has
 * still not settled is recorded as `interrupted` — never left pending, never silently dropped.
 *
 * A database that refuses writes while a job runs (full disk, file size limit, read-only file system):
 * a result that cannot be written is kept in memory, logged at error level with its outcome, and written
 * as soon as the database takes writes again; until then the job starts no new target. If the process
 * stops first, its target rows are still `pending` on disk and the next start marks them `interrupted`
 * (inspect before retrying) — the outcome is never silently dropped, nor made up.
 */
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import type { CancelKit } from '@cancelkit/core';
import type { FastifyBaseLogger } from 'fastify';
import type { ServerMetrics } from './metrics.js';
import {
  type CreateResult,
  completedJobRecord,
  type IdempotencyClaim,
  isStoreWriteError,
  type JobRecord,
  type JobStore,
  type NewJob,
  type ResultToRecord,
  type TargetRecord,
  type TargetStatus,
} from './store.js';

export type JobEvent = { readonly type: 'result'; readonly target: TargetRecord } | { readonly type: 'done'; readonly job: JobRecord };
export type JobListener = (event: JobEvent) => void;

const NOTHING_SENT = 'The server shut down before this target was started; nothing was sent to the cloud.';
const STOPPED_IN_FLIGHT =
  'The server shut down while this target was in flight; the cancel request may or may not have reached the cloud. Inspect the operation before retrying.';

interface RunningJob {
  readonly job: JobRecord;
  readonly abort: AbortController;
  readonly listeners: Set<JobListener>;
  readonly done: Promise<JobRecord | undefined>;
  /** The job's targets as settled so far, by position: the final record is built from these, not read back. */
  readonly targets: TargetRecord[];
  /** Targets not settled yet. */
  pending: number;
  /** When the job started running (ISO), once it has. */
  startedAt: string | undefined;
  /** The job's record once it has ended. */
  final: JobRecord | undefined;
  /** Items handed to the engine so far; items after these were never started. */
  pulled: number;
  /** Set when shutdown gave up waiting and settled the job itself. */
  forced: boolean;
  /** Set while unsaved results are being retried against a database that refuses writes. */
  retrying: boolean;
  /** Where each target sits in `targets` (batches only). */
  positions: Map<string, number> | undefined;
  /** Results the database refused to write, oldest first: written, in order, as soon as it takes writes again. */
  readonly unsaved: { readonly result: ResultToRecord; readonly at: number }[];
}

/** How long to wait between attempts to write to a database that refuses writes. */
const WRITE_RETRY_MS = { first: 100, max: 1_000 };

/** What the log keeps of a result the database could not take (never a secret: results hold none). */
function resultFields(result: ResultToRecord): Record<string, unknown> {
  return {
    plugin: result.plugin,
    target: result.target,
    item: result.item,
    outcome: result.outcome,
    ...(result.requestId !== undefined ? { cloudRequestId: result.requestId } : {}),
    ...(result.error ? { errorCode: result.error.code } : {}),
  };
}

/** Where a target sits in its job's target list (the store's `position`). */
function positionsOf(targets: readonly TargetRecord[]): Map<string, number> {
  return new Map(targets.map((t, position) => [`${t.item}\n${t.target}`, position]));
}

export interface JobRunnerOptions {
  readonly kit: CancelKit;
  readonly store: JobStore;
  readonly metrics: ServerMetrics;
  readonly logger: FastifyBaseLogger;
  /** Jobs running at once; more wait in `queued`. */
  readonly maxConcurrentJobs: number;
  readonly now?: () => number;
}

export class JobRunner {
  readonly #options: JobRunnerOptions;
  readonly #now: () => number;
  readonly #running = new Map<string, RunningJob>();
  readonly #waiting: (() => void)[] = [];
  #active = 0;
  #stopping = false;

  constructor(options: JobRunnerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  /** Jobs queued or running in this process. */
  get inFlight(): number {
    return this.#running.size;
  }

  isRunning(jobId: string): boolean {
    return this.#running.has(jobId);
  }

  /**
   * Resolves with the job's final record when the job (if it runs in this process) has finished;
   * undefined when it is not running here.
   */
  completion(jobId: string): Promise<JobRecord | undefined> | undefined {
    return this.#running.get(jobId)?.done;
  }

  /**
   * Creates a job in the store and starts it. When a job slot is free right now the job is written as
   * already running, so starting it costs no second write.
   */
  submit(job: NewJob, claim?: IdempotencyClaim): CreateResult {
    if (this.#stopping) throw new Error('JobRunner is shutting down');
    const now = this.#now();
    const startNow = this.#active < this.#options.maxConcurrentJobs && this.#waiting.length === 0;
    const created = this.#options.store.createJob(job, now, claim, startNow ? now : undefined);
    if (created.kind === 'created') this.#launch(created.job, startNow);
    return created;
  }

  /** Listen to a running job's events; undefined when the job is not running here (read the store). */
  subscribe(jobId: string, listener: JobListener): (() => void) | undefined {
    const running = this.#running.get(jobId);
    if (!running) return undefined;
    running.listeners.add(listener);
    return () => running.listeners.delete(listener);
  }

  /** Starts a job just created in the store. Registered synchronously, so a replay finds it at once. */
  start(job: JobRecord): void {
    if (this.#stopping) throw new Error('JobRunner is shutting down');
    this.#launch(job, false);
  }

  /** `slotTaken`: the job was created running (see `submit`), so it takes its slot now instead of queueing. */
  #launch(job: JobRecord, slotTaken: boolean): void {
    let resolve!: (final: JobRecord | undefined) => void;
    const done = new Promise<JobRecord | undefined>((r) => {
      resolve = r;
    });
    const running: RunningJob = {
      job,
      abort: new AbortController(),
      listeners: new Set(),
      done,
      targets: [...job.targets],
      pending: job.targets.filter((t) => t.outcome === 'pending').length,
      startedAt: job.startedAt,
      final: undefined,
      pulled: 0,
      forced: false,
      retrying: false,
      positions: undefined,
      unsaved: [],
    };
    this.#running.set(job.id, running);
    this.#options.metrics.jobs.inc({ kind: job.kind });
    this.#options.metrics.jobsRunning.inc();
    if (slotTaken) this.#active++;
    void this.#execute(running, slotTaken).finally(() => {
      this.#running.delete(job.id);
      this.#options.metrics.jobsRunning.dec();
      resolve(running.final);
    });
  }

  #emit(running: RunningJob, event: JobEvent): void {
    for (const listener of running.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#options.logger.warn({ err: error, jobId: running.job.id }, 'job listener failed');
      }
    }
  }

  async #acquire(): Promise<void> {
    while (this.#active >= this.#options.maxConcurrentJobs && !this.#stopping) {
      await new Promise<void>((r) => this.#waiting.push(r));
    }
    this.#active++;
  }

  #release(): void {
    this.#active--;
    this.#waiting.shift()?.();
  }

  async #execute(running: RunningJob, slotTaken: boolean): Promise<void> {
    const { kit, logger } = this.#options;
    const { job } = running;
    if (!slotTaken) await this.#acquire();
    try {
      if (!slotTaken) {
        if (this.#stopping) {
          this.#finish(running, 'interrupted', { note: 'The server shut down before this job started.', reason: NOTHING_SENT });
          return;
        }
        // A queued job starts once its start is recorded; while the database refuses writes, it waits.
        const startedAt = await this.#markStarted(running);
        if (startedAt === undefined) {
          this.#finish(running, 'interrupted', { note: 'The server shut down before this job started.', reason: NOTHING_SENT });
          return;
        }
        running.startedAt = new Date(startedAt).toISOString();
      }
      running.positions = running.targets.length > 1 ? positionsOf(running.targets) : undefined;
      const stopping = () => this.#stopping;
      const writeUnsaved = () => this.#writeUnsaved(running, true);
      const items = (async function* () {
        for (const [index, item] of job.items.entries()) {
          if (index > 0 && running.unsaved.length === 0) {
            // Let the results already in hand be written first (they arrive in microtasks), so a database
            // that has just refused one is known before the next target starts.
            await nextMacrotask();
          }
          if (stopping()) return;
          // No new target starts while a result of this job waits to be written: while the database
          // refuses writes, no cloud call is made whose outcome could not be recorded.
          if (running.unsaved.length > 0 && !(await writeUnsaved())) return;
          running.pulled = index + 1;
          yield { plugin: item.plugin, params: item.params };
        }
      })();
      const signal = running.abort.signal;
      const results = kit.run(items, {
        signal,
        ...(job.options.concurrency !== undefined ? { concurrency: job.options.concurrency } : {}),
        ...(job.options.precheck !== undefined ? { precheck: job.options.precheck } : {}),
        ...(job.options.wait !== undefined ? { wait: job.options.wait } : {}),
      });
      for await (const result of results) {
        if (running.forced) continue;
        // After an abort the engine reports unsettled targets as failed (Transient "aborted", or Unknown when
        // the abort met a backoff sleep): they were interrupted. A failure the abort cannot have caused
        // (a permission, a credential, bad input) stays what it was.
        const abortLike = result.error === undefined || result.error.code === 'Transient' || result.error.code === 'Unknown';
        const outcome: TargetStatus = signal.aborted && result.outcome === 'failed' && abortLike ? 'interrupted' : result.outcome;
        const toRecord: ResultToRecord =
          outcome === result.outcome ? result : { ...result, outcome, reason: result.reason ?? (result.attempts === 0 ? NOTHING_SENT : STOPPED_IN_FLIGHT) };
        running.unsaved.push({ result: toRecord, at: this.#now() });
        if (!this.#persist(running)) {
          logger.error(
            { jobId: job.id, ...resultFields(toRecord), waitingToBeWritten: running.unsaved.length, storeError: this.#options.store.writeFailure?.message },
            'could not record a target result: the job database refuses writes. The result is kept in memory and written as soon as the database takes writes again; the job starts no new target until then',
          );
        }
      }
      // Results the database refused are written before the job can end (or until shutdown gives up).
      if (running.unsaved.length > 0) await this.#writeUnsaved(running, false);
      if (running.forced || running.final) return;
      const cutShort = running.pending > 0 || running.targets.some((t) => t.outcome === 'interrupted');
      if (this.#stopping && cutShort) {
        this.#finish(running, 'interrupted', {
          note: 'The server shut down while this job was running.',
          reason: STOPPED_IN_FLIGHT,
          untouchedFromItem: running.pulled,
          untouchedReason: NOTHING_SENT,
        });
      } else {
        this.#finish(running, 'completed');
      }
    } catch (error) {
      logger.error({ err: error, jobId: job.id }, 'job failed outside the engine');
      if (!running.forced && !running.final && !this.#options.store.closed) {
        this.#finish(running, this.#stopping ? 'interrupted' : 'completed', { note: 'The job ended early on an internal error.', reason: STOPPED_IN_FLIGHT });
      }
    } finally {
      this.#release();
    }
  }

  /**
   * Writes the job's unsaved results, oldest first, and publishes each one written. False when the
   * database still refuses writes (what is left stays queued); other errors are thrown.
   */
  #persist(running: RunningJob): boolean {
    const { store, metrics, logger } = this.#options;
    const { job } = running;
    let written = 0;
    while (running.unsaved.length > 0) {
      const { result, at } = running.unsaved[0] as RunningJob['unsaved'][number];
      // The last pending target: its result and the job's end are written in one transaction — unless the
      // shutdown interrupted it, which ends the job `interrupted` (see `#execute`), never `completed`.
      const last = running.pending === 1 && result.outcome !== 'interrupted';
      let record: TargetRecord | undefined;
      try {
        record = store.recordResult(job.id, result, at, last);
      } catch (error) {
        if (isStoreWriteError(error)) return false;
        throw error;
      }
      running.unsaved.shift();
      written++;
      if (!record) {
        logger.warn({ jobId: job.id, plugin: result.plugin, target: result.target, item: result.item }, 'result for a target the job does not hold; ignored');
        continue;
      }
      running.targets[running.positions?.get(`${record.item}\n${record.target}`) ?? 0] = record;
      running.pending--;
      metrics.outcomes.inc({ plugin: record.plugin, outcome: record.outcome });
      this.#emit(running, { type: 'result', target: record });
      if (last) {
        running.final = completedJobRecord(job, running.targets, running.startedAt, at);
        this.#emit(running, { type: 'done', job: running.final });
      }
    }
    if (running.retrying) {
      running.retrying = false;
      logger.warn({ jobId: job.id, written }, 'the job database takes writes again: the results kept in memory are recorded');
    }
    return true;
  }

  /**
   * Retries `#persist` until every unsaved result is written (true). Gives up (false) when shutdown
   * forces the job, or — with `untilStopping` — as soon as the server is stopping.
   */
  async #writeUnsaved(running: RunningJob, untilStopping: boolean): Promise<boolean> {
    let delay = WRITE_RETRY_MS.first;
    for (;;) {
      if (this.#persist(running)) return true;
      running.retrying = true;
      if (running.forced || (untilStopping && this.#stopping)) return false;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, WRITE_RETRY_MS.max);
    }
  }

  /** Records a queued job's start, waiting while the database refuses writes; undefined if the server stops first. */
  async #markStarted(running: RunningJob): Promise<number | undefined> {
    let delay = WRITE_RETRY_MS.first;
    for (;;) {
      const startedAt = this.#now();
      try {
        this.#options.store.markStarted(running.job.id, startedAt);
        return startedAt;
      } catch (error) {
        if (!isStoreWriteError(error)) throw error;
        if (delay === WRITE_RETRY_MS.first) {
          this.#options.logger.error({ jobId: running.job.id, storeError: error.message }, 'could not start a queued job: the job database refuses writes; it starts once the database takes writes again');
        }
      }
      if (this.#stopping) return undefined;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, WRITE_RETRY_MS.max);
    }
  }

  #finish(
    running: RunningJob,
    status: 'completed' | 'interrupted',
    options: { note?: string; reason?: string; untouchedFromItem?: number; untouchedReason?: string } = {},
  ): void {
    const { store, metrics, logger } = this.#options;
    let settled: TargetRecord[] = [];
    let refused: string | undefined;
    // Results already in hand are recorded as they are, not as interrupted; writing the last one ends the job.
    if (running.unsaved.length > 0 && !this.#persist(running)) refused = store.writeFailure?.message ?? 'the job database refuses writes';
    else if (running.final) return;
    else {
      try {
        settled = store.finishJob(running.job.id, status, this.#now(), options);
      } catch (error) {
        if (!isStoreWriteError(error)) throw error;
        refused = error.message;
      }
    }
    if (refused !== undefined) {
      // The database takes nothing: the job's unsettled rows stay `pending` on disk, and the next start
      // marks them interrupted. The log is the only record of the results in hand, so it carries them.
      logger.error(
        { jobId: running.job.id, status, storeError: refused, resultsNotRecorded: running.unsaved.map(({ result }) => resultFields(result)) },
        'could not record the end of the job: the job database refuses writes. Its unsettled targets stay pending and are marked interrupted at the next start; the results listed here are not in the database',
      );
      return;
    }
    for (const target of settled) {
      metrics.outcomes.inc({ plugin: target.plugin, outcome: target.outcome });
      this.#emit(running, { type: 'result', target });
    }
    running.final = store.getJob(running.job.id);
    if (running.final) this.#emit(running, { type: 'done', job: running.final });
  }

  /**
   * Graceful stop: no new items are started; running work gets `graceMs` to finish, then is aborted
   * and given `abortGraceMs` more; anything still unsettled is recorded as interrupted.
   */
  async shutdown(graceMs: number, abortGraceMs = 2_000): Promise<void> {
    this.#stopping = true;
    for (const wake of this.#waiting.splice(0)) wake();
    const all = () => Promise.all([...this.#running.values()].map((r) => r.done));
    const within = (ms: number) =>
      new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), ms);
        void all().then(() => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    if (await within(graceMs)) return;
    for (const running of this.#running.values()) running.abort.abort(new Error('server shutting down'));
    if (await within(abortGraceMs)) return;
    for (const running of this.#running.values()) {
      // A job whose every target settled is already recorded as completed; it only waits for the engine to let go.
      if (running.forced || running.final) continue;
      running.forced = true;
      this.#finish(running, 'interrupted', {
        note: 'The server shut down while this job was running.',
        reason: STOPPED_IN_FLIGHT,
        untouchedFromItem: running.pulled,
        untouchedReason: NOTHING_SENT,
      });
    }
  }
}
