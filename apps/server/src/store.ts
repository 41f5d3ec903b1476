/**
 * The job store: `node:sqlite` (no native add-on to build, ships with Node) in WAL mode. It holds jobs,
 * one row per target, and idempotency keys. Every target row exists from the moment its job is accepted
 * (as `pending`), so a crash can never lose a target: the next start marks what was left `interrupted`.
 *
 * The database is opened in EXCLUSIVE locking mode: one server owns one file. That is what makes crash
 * recovery safe — a second server on the same file would otherwise mark the first one's running jobs as
 * interrupted — and it turns a misconfiguration into a clear startup error instead of silent corruption.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { CancelKitErrorJSON, OperationState, Outcome, TargetResult } from '@cancelkit/core';

export type JobStatus = 'queued' | 'running' | 'completed' | 'interrupted';
export type TargetStatus = Outcome | 'pending' | 'interrupted';
export const TARGET_STATUSES: readonly TargetStatus[] = [
  'pending',
  'cancelled',
  'already-finished',
  'not-cancellable',
  'not-found',
  'failed',
  'interrupted',
];

export interface JobItem {
  readonly plugin: string;
  readonly params: Readonly<Record<string, unknown>>;
}

export interface JobOptions {
  readonly precheck?: boolean;
  readonly wait?: boolean;
  readonly concurrency?: number;
}

export interface NewTarget {
  readonly item: number;
  readonly plugin: string;
  readonly target: string;
}

export interface NewJob {
  readonly id: string;
  readonly kind: 'single' | 'batch';
  readonly requestedBy: string;
  readonly requestId: string;
  readonly items: readonly JobItem[];
  readonly options: JobOptions;
  readonly targets: readonly NewTarget[];
}

export interface TargetRecord {
  readonly item: number;
  readonly plugin: string;
  readonly target: string;
  readonly outcome: TargetStatus;
  /** Order in which this target settled within its job (the SSE event id). */
  readonly seq?: number;
  readonly settledAt?: string;
  readonly requestId?: string;
  readonly reason?: string;
  readonly providerCode?: string;
  readonly error?: CancelKitErrorJSON;
  readonly attempts?: number;
  readonly durationMs?: number;
  readonly state?: OperationState;
  readonly waited?: TargetResult['waited'];
}

export type JobSummary = { total: number } & Record<TargetStatus, number>;

export interface JobRecord {
  readonly id: string;
  readonly kind: 'single' | 'batch';
  readonly status: JobStatus;
  readonly requestedBy: string;
  /** The server request id of the request that created the job. */
  readonly requestId: string;
  readonly idempotencyKey?: string;
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  /** Why the job ended the way it did, when that needs saying (interrupted). */
  readonly note?: string;
  readonly options: JobOptions;
  readonly items: readonly JobItem[];
  readonly plugins: readonly string[];
  readonly summary: JobSummary;
  readonly targets: readonly TargetRecord[];
}

export type CreateResult =
  | { readonly kind: 'created'; readonly job: JobRecord }
  | { readonly kind: 'replay'; readonly jobId: string }
  | { readonly kind: 'conflict'; readonly jobId: string };

export interface IdempotencyClaim {
  readonly key: string;
  readonly bodyHash: string;
  /** Keys older than this are forgotten and may be used again. */
  readonly ttlMs: number;
}

export interface JobFilter {
  readonly plugin?: string;
  readonly outcome?: TargetStatus;
  /** Epoch ms: jobs created at or after. */
  readonly since?: number;
  /** Only jobs whose every plugin is in this set (limited tokens). */
  readonly visiblePlugins?: ReadonlySet<string>;
  /** Jobs created before the job with this cursor (pagination). */
  readonly before?: number;
  readonly limit: number;
}

export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
  }
}

/**
 * A write the job database refused while the server runs: the disk is full, a file size limit was hit,
 * the file system went read-only or failed, or the file is locked. Nothing of the refused transaction
 * was written; reads still work. `sqliteCode` is SQLite's (extended) result code.
 */
export class StoreWriteError extends StoreError {
  readonly file: string;
  readonly sqliteCode: number | undefined;

  constructor(file: string, message: string, sqliteCode: number | undefined, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreWriteError';
    this.file = file;
    this.sqliteCode = sqliteCode;
  }
}

export function isStoreWriteError(error: unknown): error is StoreWriteError {
  return error instanceof StoreWriteError;
}

/** SQLite primary result codes that mean "this database cannot be written now": BUSY, LOCKED, READONLY, IOERR, FULL, CANTOPEN. */
const UNWRITABLE_CODES: ReadonlySet<number> = new Set([5, 6, 8, 10, 13, 14]);

function sqliteCodeOf(error: unknown): number | undefined {
  const code = (error as { errcode?: unknown } | null)?.errcode;
  return typeof code === 'number' ? code : undefined;
}

/** Why a write failed, in words an operator can act on (SQLite's own message is kept at the end). */
export function describeWriteError(file: string, error: unknown): StoreWriteError | undefined {
  const code = sqliteCodeOf(error);
  if (code === undefined || !UNWRITABLE_CODES.has(code & 0xff)) return undefined;
  const reason: Record<number, string> = {
    5: 'it is locked by another process',
    6: 'it is locked by another connection',
    8: 'it has become read-only',
    10: 'the disk refused the write (a full disk, a file size limit or quota, or a failing or read-only file system)',
    13: 'the disk is full',
    14: 'its file can no longer be opened',
  };
  const sqlite = (error as { message?: string }).message ?? String(error);
  return new StoreWriteError(file, `cannot write to the job database ${file}: ${reason[code & 0xff]} (SQLite: ${sqlite}, code ${code}).`, code, { cause: error });
}

export const INTERRUPTED_BY_RESTART =
  'The server stopped before this target settled; the cancel request may or may not have reached the cloud. Inspect the operation before retrying.';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  request_id TEXT NOT NULL,
  idempotency_key TEXT,
  options TEXT NOT NULL,
  items TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  note TEXT,
  last_result_seq INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_created_at ON jobs (created_at);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status);
CREATE TABLE IF NOT EXISTS targets (
  job_id TEXT NOT NULL REFERENCES jobs (id),
  position INTEGER NOT NULL,
  item INTEGER NOT NULL,
  plugin TEXT NOT NULL,
  target TEXT NOT NULL,
  outcome TEXT NOT NULL,
  seq INTEGER,
  settled_at INTEGER,
  request_id TEXT,
  reason TEXT,
  provider_code TEXT,
  error TEXT,
  attempts INTEGER,
  duration_ms INTEGER,
  state TEXT,
  waited TEXT,
  PRIMARY KEY (job_id, position),
  UNIQUE (job_id, item, target)
);
CREATE INDEX IF NOT EXISTS targets_plugin_outcome ON targets (plugin, outcome);
CREATE TABLE IF NOT EXISTS idempotency_keys (
  requested_by TEXT NOT NULL,
  key TEXT NOT NULL,
  body_hash TEXT NOT NULL,
  job_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (requested_by, key)
);
`;

type Row = Record<string, SQLInputValue>;

function str(row: Row, key: string): string | undefined {
  const v = row[key];
  return v === null || v === undefined ? undefined : String(v);
}
function num(row: Row, key: string): number | undefined {
  const v = row[key];
  return v === null || v === undefined ? undefined : Number(v);
}
function iso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}
function json<T>(row: Row, key: string): T | undefined {
  const v = str(row, key);
  return v === undefined ? undefined : (JSON.parse(v) as T);
}

/** Turns SQLite's open/lock errors into a startup error that says what to do. Exported for tests. */
export function describeOpenError(file: string, error: unknown): StoreError {
  const e = error as { errcode?: number; message?: string };
  const base = `cannot use the job database ${file}`;
  // SQLite primary result codes (low byte of extended codes).
  switch ((e.errcode ?? -1) & 0xff) {
    case 5:
    case 6:
      return new StoreError(
        `${base}: it is locked by another process (another cancelkit-server using the same file?). One server owns one database file; stop the other one or set a different "database" path.`,
        { cause: error },
      );
    case 8:
      return new StoreError(`${base}: it is read-only. Give the server write access to the file and its directory (SQLite writes a -wal file beside it), or set a different "database" path.`, {
        cause: error,
      });
    case 14:
      return new StoreError(`${base}: the file cannot be opened or created. Check that the directory exists and is writable.`, { cause: error });
    case 26:
      return new StoreError(`${base}: the file is not a SQLite database. Point "database" at a new or existing cancelkit-server database.`, { cause: error });
    default:
      return new StoreError(`${base}: ${e.message ?? String(error)}`, { cause: error });
  }
}

/** Every statement the store runs on a hot path, prepared once when the store opens. */
function prepareStatements(db: DatabaseSync) {
  return {
    begin: db.prepare('BEGIN IMMEDIATE'),
    userVersion: db.prepare('PRAGMA user_version'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    activeJobIds: db.prepare(`SELECT id FROM jobs WHERE status IN ('queued', 'running')`),
    markJobInterrupted: db.prepare(`UPDATE jobs SET status = 'interrupted', finished_at = ?, note = ? WHERE id = ?`),
    pendingFromItem: db.prepare(`SELECT position FROM targets WHERE job_id = ? AND outcome = 'pending' AND item >= ? ORDER BY position`),
    pendingPositions: db.prepare(`SELECT position FROM targets WHERE job_id = ? AND outcome = 'pending'`),
    interruptTarget: db.prepare(`UPDATE targets SET outcome = 'interrupted', seq = ?, settled_at = ?, reason = ? WHERE job_id = ? AND position = ?`),
    failTarget: db.prepare(`UPDATE targets SET outcome = 'failed', seq = ?, settled_at = ?, error = ? WHERE job_id = ? AND position = ?`),
    nextSeq: db.prepare(`UPDATE jobs SET last_result_seq = last_result_seq + 1 WHERE id = ? RETURNING last_result_seq`),
    idempotencyKey: db.prepare(`SELECT body_hash, job_id, created_at FROM idempotency_keys WHERE requested_by = ? AND key = ?`),
    deleteIdempotencyKey: db.prepare(`DELETE FROM idempotency_keys WHERE requested_by = ? AND key = ?`),
    insertIdempotencyKey: db.prepare(`INSERT INTO idempotency_keys (requested_by, key, body_hash, job_id, created_at) VALUES (?, ?, ?, ?, ?)`),
    insertJob: db.prepare(
      `INSERT INTO jobs (id, kind, status, requested_by, request_id, idempotency_key, options, items, created_at, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertTarget: db.prepare(`INSERT INTO targets (job_id, position, item, plugin, target, outcome) VALUES (?, ?, ?, ?, ?, 'pending')`),
    markStarted: db.prepare(`UPDATE jobs SET status = 'running', started_at = ? WHERE id = ? AND status = 'queued'`),
    // The next result sequence number is taken inside the UPDATE, so a result costs two statements (this
    // and `advanceSeq`/`settleJob`) and no SELECT; no match means no sequence number is used up.
    settleTarget: db.prepare(
      `UPDATE targets SET outcome = ?1, settled_at = ?2, request_id = ?3, reason = ?4, provider_code = ?5, error = ?6, attempts = ?7, duration_ms = ?8, state = ?9, waited = ?10,
         seq = (SELECT last_result_seq + 1 FROM jobs WHERE id = ?11)
       WHERE job_id = ?11 AND item = ?12 AND target = ?13 AND outcome = 'pending'
       RETURNING seq`,
    ),
    advanceSeq: db.prepare(`UPDATE jobs SET last_result_seq = ? WHERE id = ?`),
    settleJob: db.prepare(`UPDATE jobs SET last_result_seq = ?, status = 'completed', finished_at = ?, started_at = COALESCE(started_at, ?) WHERE id = ?`),
    finishJob: db.prepare(`UPDATE jobs SET status = ?, finished_at = ?, note = COALESCE(?, note), started_at = COALESCE(started_at, ?) WHERE id = ?`),
    job: db.prepare(`SELECT * FROM jobs WHERE id = ?`),
    target: db.prepare(`SELECT * FROM targets WHERE job_id = ? AND position = ?`),
    targets: db.prepare(`SELECT * FROM targets WHERE job_id = ? ORDER BY position`),
    settledSince: db.prepare(`SELECT * FROM targets WHERE job_id = ? AND seq > ? ORDER BY seq`),
  } satisfies Record<string, StatementSync>;
}

type Statements = ReturnType<typeof prepareStatements>;

/** What `recordResult` writes: the engine's result, with the server's own outcomes allowed. */
export type ResultToRecord = Omit<TargetResult, 'outcome'> & { readonly outcome: TargetStatus };

export class JobStore {
  readonly file: string;
  readonly #db: DatabaseSync;
  readonly #sql: Statements;
  #closed = false;
  #writeFailure: { message: string; since: string } | undefined;

  /** `busyTimeoutMs`: how long to wait for another process to release the file (a restart overlapping the old process's exit). */
  constructor(file: string, options: { busyTimeoutMs?: number } = {}) {
    this.file = file;
    let db: DatabaseSync | undefined;
    try {
      if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      db = new DatabaseSync(file, { timeout: options.busyTimeoutMs ?? 2_000 });
      db.exec('PRAGMA locking_mode = EXCLUSIVE');
      db.exec('PRAGMA journal_mode = WAL');
      // FULL: a committed job survives power loss too, not only a process crash.
      db.exec('PRAGMA synchronous = FULL');
      db.exec('PRAGMA foreign_keys = ON');
      db.exec('BEGIN IMMEDIATE');
      db.exec(SCHEMA);
      db.exec('COMMIT');
      this.#sql = prepareStatements(db);
    } catch (error) {
      try {
        db?.close();
      } catch {
        /* already failing */
      }
      throw describeOpenError(file, error);
    }
    this.#db = db;
  }

  /**
   * One write transaction. A write the database refuses (full disk, file size limit, read-only or failing
   * file system, lock) throws a `StoreWriteError` and leaves nothing half-written; `writeFailure` then says
   * so until a later write succeeds.
   */
  #tx<T>(fn: () => T): T {
    try {
      this.#sql.begin.run();
    } catch (error) {
      throw this.#refused(error);
    }
    try {
      const value = fn();
      this.#sql.commit.run();
      this.#writeFailure = undefined;
      return value;
    } catch (error) {
      // SQLite rolls a transaction back by itself after some errors (an I/O error at COMMIT does): roll back
      // only one still open, and never let a failed rollback hide the error that caused it.
      if (this.#db.isTransaction !== false) {
        try {
          this.#sql.rollback.run();
        } catch {
          /* nothing to roll back */
        }
      }
      throw this.#refused(error);
    }
  }

  /** A write refusal becomes a `StoreWriteError` (and sets `writeFailure`); any other error is returned as it is. */
  #refused(error: unknown): unknown {
    const unwritable = describeWriteError(this.file, error);
    if (!unwritable) return error;
    this.#writeFailure ??= { message: unwritable.message, since: new Date().toISOString() };
    return unwritable;
  }

  /** Set while the database refuses writes: since the first refused write, until one succeeds. */
  get writeFailure(): { readonly message: string; readonly since: string } | undefined {
    return this.#writeFailure;
  }

  /**
   * Tries a tiny write (it rewrites the header's user_version). True when the database takes writes again
   * (and `writeFailure` is cleared); false while it still refuses them. Other errors are thrown.
   */
  probeWritable(): boolean {
    try {
      // Writing the value it already has changes nothing, but SQLite still writes the header page.
      this.#tx(() => this.#db.exec(`PRAGMA user_version = ${Number((this.#sql.userVersion.get() as Row | undefined)?.['user_version'] ?? 0)}`));
      return true;
    } catch (error) {
      if (error instanceof StoreWriteError) return false;
      throw error;
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Crash recovery, run once at startup: every job the previous process left queued or running is
   * marked interrupted, and each of its unsettled targets too. Returns the ids of those jobs.
   */
  recoverInterrupted(now: number): string[] {
    return this.#tx(() => {
      const rows = this.#sql.activeJobIds.all() as Row[];
      const ids = rows.map((r) => String(r['id']));
      for (const id of ids) this.#interruptPending(id, now, INTERRUPTED_BY_RESTART);
      for (const id of ids) this.#sql.markJobInterrupted.run(now, 'The server stopped (crash or kill) while this job was running.', id);
      return ids;
    });
  }

  #interruptPending(jobId: string, now: number, reason: string, fromItem = 0): void {
    const pending = this.#sql.pendingFromItem.all(jobId, fromItem) as Row[];
    for (const row of pending) {
      this.#sql.interruptTarget.run(this.#nextSeq(jobId), now, reason, jobId, Number(row['position']));
    }
  }

  #nextSeq(jobId: string): number {
    const row = this.#sql.nextSeq.get(jobId) as Row | undefined;
    return Number(row?.['last_result_seq'] ?? 0);
  }

  /**
   * Inserts a job and its target rows — or, under an idempotency key already used by this principal,
   * reports a replay (same body) or a conflict (different body) without inserting anything. One
   * transaction, so concurrent identical requests cannot both create a job. `startedAt`: the job starts
   * at once (status `running`), which saves the separate write `markStarted` would make.
   * The returned record is built from what was written, not read back.
   */
  createJob(job: NewJob, now: number, claim?: IdempotencyClaim, startedAt?: number): CreateResult {
    const options = JSON.stringify(job.options);
    const items = JSON.stringify(job.items);
    return this.#tx(() => {
      if (claim) {
        const existing = this.#sql.idempotencyKey.get(job.requestedBy, claim.key) as Row | undefined;
        if (existing && Number(existing['created_at']) + claim.ttlMs > now) {
          const jobId = String(existing['job_id']);
          return existing['body_hash'] === claim.bodyHash ? { kind: 'replay' as const, jobId } : { kind: 'conflict' as const, jobId };
        }
        if (existing) this.#sql.deleteIdempotencyKey.run(job.requestedBy, claim.key);
      }
      const status: JobStatus = startedAt === undefined ? 'queued' : 'running';
      this.#sql.insertJob.run(job.id, job.kind, status, job.requestedBy, job.requestId, claim?.key ?? null, options, items, now, startedAt ?? null);
      const insertTarget = this.#sql.insertTarget;
      job.targets.forEach((t, position) => {
        insertTarget.run(job.id, position, t.item, t.plugin, t.target);
      });
      if (claim) this.#sql.insertIdempotencyKey.run(job.requestedBy, claim.key, claim.bodyHash, job.id, now);
      return { kind: 'created' as const, job: newJobRecord(job, status, now, claim?.key, startedAt) };
    });
  }

  markStarted(jobId: string, now: number): void {
    this.#tx(() => this.#sql.markStarted.run(now, jobId));
  }

  /**
   * Records the engine's final result for one target; undefined when no pending row matches. With
   * `completeJob`, the same transaction also marks the job completed — for the caller that knows this
   * is its last pending target, so the result and the job's end are one write (and one commit to disk).
   * The returned record is built from what was written, not read back.
   */
  recordResult(jobId: string, result: ResultToRecord, now: number, completeJob = false): TargetRecord | undefined {
    const error = result.error ? JSON.stringify(result.error) : null;
    const state = result.state ? JSON.stringify(result.state) : null;
    const waited = result.waited ? JSON.stringify(result.waited) : null;
    const durationMs = Math.round(result.durationMs);
    return this.#tx(() => {
      const row = this.#sql.settleTarget.get(
        result.outcome,
        now,
        result.requestId ?? null,
        result.reason ?? null,
        result.providerCode ?? null,
        error,
        result.attempts,
        durationMs,
        state,
        waited,
        jobId,
        result.item,
        result.target,
      ) as Row | undefined;
      if (!row) return undefined;
      const seq = Number(row['seq']);
      if (completeJob) this.#sql.settleJob.run(seq, now, now, jobId);
      else this.#sql.advanceSeq.run(seq, jobId);
      return settledTarget(result, seq, now, durationMs, error, state, waited);
    });
  }

  /**
   * Ends a job. Targets still pending are marked `interrupted` (status `interrupted`) or `failed`
   * (status `completed`: the engine ended without a record for them, which it promises never to do).
   * Returns the target records this settled, in the order they settled.
   */
  finishJob(
    jobId: string,
    status: 'completed' | 'interrupted',
    now: number,
    options: { note?: string; reason?: string; untouchedFromItem?: number; untouchedReason?: string } = {},
  ): TargetRecord[] {
    return this.#tx(() => {
      const before = this.#sql.pendingPositions.all(jobId) as Row[];
      const positions = before.map((r) => Number(r['position']));
      if (status === 'interrupted') {
        if (options.untouchedFromItem !== undefined && options.untouchedReason) {
          this.#interruptPending(jobId, now, options.untouchedReason, options.untouchedFromItem);
        }
        this.#interruptPending(jobId, now, options.reason ?? INTERRUPTED_BY_RESTART);
      } else {
        const error: CancelKitErrorJSON = { code: 'Unknown', message: 'The engine finished without a result for this target.', retryable: false };
        for (const position of positions) this.#sql.failTarget.run(this.#nextSeq(jobId), now, JSON.stringify(error), jobId, position);
      }
      this.#sql.finishJob.run(status, now, options.note ?? null, now, jobId);
      // In the order they settled (seq), not by position: targets never started get their seq before those
      // in flight, and a live SSE stream drops any result whose seq is not above the last one it sent.
      return positions.map((position) => toTarget(this.#sql.target.get(jobId, position) as Row)).sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
    });
  }

  getJob(id: string): JobRecord | undefined {
    const row = this.#sql.job.get(id) as Row | undefined;
    if (!row) return undefined;
    const targets = (this.#sql.targets.all(id) as Row[]).map(toTarget);
    return toJob(row, targets);
  }

  /** Settled targets of a job after a given result sequence number, in settlement order (SSE replay). */
  settledSince(jobId: string, afterSeq: number): TargetRecord[] {
    return (this.#sql.settledSince.all(jobId, afterSeq) as Row[]).map(toTarget);
  }

  /** The audit trail, newest first. `cursor` of the last job is what `before` takes for the next page. */
  listJobs(filter: JobFilter): { jobs: JobRecord[]; nextCursor?: number } {
    const where: string[] = [];
    const args: SQLInputValue[] = [];
    if (filter.since !== undefined) {
      where.push('j.created_at >= ?');
      args.push(filter.since);
    }
    if (filter.before !== undefined) {
      where.push('j.seq < ?');
      args.push(filter.before);
    }
    if (filter.plugin !== undefined || filter.outcome !== undefined) {
      const conds = ['t.job_id = j.id'];
      if (filter.plugin !== undefined) {
        conds.push('t.plugin = ?');
        args.push(filter.plugin);
      }
      if (filter.outcome !== undefined) {
        conds.push('t.outcome = ?');
        args.push(filter.outcome);
      }
      where.push(`EXISTS (SELECT 1 FROM targets t WHERE ${conds.join(' AND ')})`);
    }
    if (filter.visiblePlugins !== undefined) {
      where.push(`NOT EXISTS (SELECT 1 FROM targets t WHERE t.job_id = j.id AND t.plugin NOT IN (SELECT value FROM json_each(?)))`);
      args.push(JSON.stringify([...filter.visiblePlugins]));
    }
    const sql = `SELECT j.* FROM jobs j ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY j.seq DESC LIMIT ?`;
    args.push(filter.limit + 1);
    const rows = this.#db.prepare(sql).all(...args) as Row[];
    const page = rows.slice(0, filter.limit);
    const jobs = page.map((row) => {
      const id = String(row['id']);
      const targets = (this.#sql.targets.all(id) as Row[]).map(toTarget);
      return toJob(row, targets);
    });
    const last = page.at(-1);
    return rows.length > filter.limit && last ? { jobs, nextCursor: Number(last['seq']) } : { jobs };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}

function toTarget(row: Row): TargetRecord {
  const record: Record<string, unknown> = {
    item: Number(row['item']),
    plugin: String(row['plugin']),
    target: String(row['target']),
    outcome: String(row['outcome']) as TargetStatus,
  };
  const optional: [string, unknown][] = [
    ['seq', num(row, 'seq')],
    ['settledAt', iso(num(row, 'settled_at'))],
    ['requestId', str(row, 'request_id')],
    ['reason', str(row, 'reason')],
    ['providerCode', str(row, 'provider_code')],
    ['error', json(row, 'error')],
    ['attempts', num(row, 'attempts')],
    ['durationMs', num(row, 'duration_ms')],
    ['state', json(row, 'state')],
    ['waited', json(row, 'waited')],
  ];
  for (const [key, value] of optional) if (value !== undefined) record[key] = value;
  return record as unknown as TargetRecord;
}

/** The record `createJob` returns: what `getJob` would read back right after the insert. */
function newJobRecord(job: NewJob, status: JobStatus, now: number, idempotencyKey: string | undefined, startedAt: number | undefined): JobRecord {
  const targets: TargetRecord[] = job.targets.map((t) => ({ item: t.item, plugin: t.plugin, target: t.target, outcome: 'pending' }));
  const record: Record<string, unknown> = {
    id: job.id,
    kind: job.kind,
    status,
    requestedBy: job.requestedBy,
    requestId: job.requestId,
    createdAt: new Date(now).toISOString(),
    options: job.options,
    items: job.items,
    plugins: [...new Set(job.items.map((i) => i.plugin))],
    summary: summarize(targets),
    targets,
  };
  if (idempotencyKey !== undefined) record['idempotencyKey'] = idempotencyKey;
  if (startedAt !== undefined) record['startedAt'] = new Date(startedAt).toISOString();
  return record as unknown as JobRecord;
}

/** The record `recordResult` returns: what reading the row back would give (same keys, same order). */
function settledTarget(
  result: ResultToRecord,
  seq: number,
  now: number,
  durationMs: number,
  error: string | null,
  state: string | null,
  waited: string | null,
): TargetRecord {
  const record: Record<string, unknown> = { item: result.item, plugin: result.plugin, target: result.target, outcome: result.outcome, seq, settledAt: new Date(now).toISOString() };
  if (result.requestId != null) record['requestId'] = String(result.requestId);
  if (result.reason != null) record['reason'] = String(result.reason);
  if (result.providerCode != null) record['providerCode'] = String(result.providerCode);
  if (error !== null) record['error'] = JSON.parse(error);
  record['attempts'] = result.attempts;
  record['durationMs'] = durationMs;
  if (state !== null) record['state'] = JSON.parse(state);
  if (waited !== null) record['waited'] = JSON.parse(waited);
  return record as unknown as TargetRecord;
}

/**
 * A running job's record once it has ended, from the record it started with and its settled targets —
 * what `getJob` would read back after `recordResult(…, completeJob)` (same keys, same order), so the
 * server can answer without reading the job again.
 */
export function completedJobRecord(job: JobRecord, targets: readonly TargetRecord[], startedAt: string | undefined, finishedAt: number): JobRecord {
  const iso = new Date(finishedAt).toISOString();
  return { ...job, status: 'completed', summary: summarize(targets), targets, startedAt: startedAt ?? iso, finishedAt: iso };
}

function summarize(targets: readonly TargetRecord[]): JobSummary {
  const summary = { total: targets.length } as JobSummary;
  for (const status of TARGET_STATUSES) summary[status] = 0;
  for (const t of targets) summary[t.outcome]++;
  return summary;
}

function toJob(row: Row, targets: TargetRecord[]): JobRecord {
  const items = json<JobItem[]>(row, 'items') ?? [];
  const record: Record<string, unknown> = {
    id: String(row['id']),
    kind: String(row['kind']) as JobRecord['kind'],
    status: String(row['status']) as JobStatus,
    requestedBy: String(row['requested_by']),
    requestId: String(row['request_id']),
    createdAt: iso(num(row, 'created_at')),
    options: json<JobOptions>(row, 'options') ?? {},
    items,
    plugins: [...new Set(items.map((i) => i.plugin))],
    summary: summarize(targets),
    targets,
  };
  const optional: [string, unknown][] = [
    ['idempotencyKey', str(row, 'idempotency_key')],
    ['startedAt', iso(num(row, 'started_at'))],
    ['finishedAt', iso(num(row, 'finished_at'))],
    ['note', str(row, 'note')],
  ];
  for (const [key, value] of optional) if (value !== undefined) record[key] = value;
  return record as unknown as JobRecord;
}
