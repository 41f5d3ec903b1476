/**
 * Runs accepted jobs through the core engine in the background, writes every target result to the store
 * as it settles, and fans results out to live listeners (SSE, synchronous single requests).
 *
 * Shutdown: stop pulling new items, let running work finish for a grace period, then abort; whatever has
 * still not settled is recorded as `interrupted` — never left pending, never silently dropped.
 */
import type { CancelKit } from '@cancelkit/core';
import type { FastifyBaseLogger } from 'fastify';
import type { ServerMetrics } from './metrics.js';
import { type CreateResult, completedJobRecord, type IdempotencyClaim, type JobRecord, type JobStore, type NewJob, type TargetRecord, type TargetStatus } from './store.js';

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
    const { store, kit, metrics, logger } = this.#options;
    const { job } = running;
    if (!slotTaken) await this.#acquire();
    try {
      if (!slotTaken) {
        if (this.#stopping) {
          this.#finish(running, 'interrupted', { note: 'The server shut down before this job started.', reason: NOTHING_SENT });
          return;
        }
        const startedAt = this.#now();
        store.markStarted(job.id, startedAt);
        running.startedAt = new Date(startedAt).toISOString();
      }
      const positions = running.targets.length > 1 ? positionsOf(running.targets) : undefined;
      const stopping = () => this.#stopping;
      const items = (async function* () {
        for (const [index, item] of job.items.entries()) {
          if (stopping()) return;
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
        // After an abort the engine reports unsettled targets as failed/aborted: they were interrupted.
        const outcome: TargetStatus = signal.aborted && result.outcome === 'failed' ? 'interrupted' : result.outcome;
        const now = this.#now();
        // The last pending target: its result and the job's end are written in one transaction.
        const last = running.pending === 1;
        const record = store.recordResult(job.id, outcome === result.outcome ? result : { ...result, outcome }, now, last);
        if (!record) {
          logger.warn({ jobId: job.id, plugin: result.plugin, target: result.target, item: result.item }, 'result for a target the job does not hold; ignored');
          continue;
        }
        running.targets[positions?.get(`${record.item}\n${record.target}`) ?? 0] = record;
        running.pending--;
        metrics.outcomes.inc({ plugin: record.plugin, outcome: record.outcome });
        this.#emit(running, { type: 'result', target: record });
        if (last) {
          running.final = completedJobRecord(job, running.targets, running.startedAt, now);
          this.#emit(running, { type: 'done', job: running.final });
        }
      }
      if (running.forced || running.final) return;
      if (this.#stopping && running.pending > 0) {
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
      if (!running.forced && !running.final && !store.closed) {
        this.#finish(running, this.#stopping ? 'interrupted' : 'completed', { note: 'The job ended early on an internal error.', reason: STOPPED_IN_FLIGHT });
      }
    } finally {
      this.#release();
    }
  }

  #finish(
    running: RunningJob,
    status: 'completed' | 'interrupted',
    options: { note?: string; reason?: string; untouchedFromItem?: number; untouchedReason?: string } = {},
  ): void {
    const { store, metrics } = this.#options;
    const settled = store.finishJob(running.job.id, status, this.#now(), options);
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
