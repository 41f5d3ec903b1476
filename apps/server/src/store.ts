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

export class JobStore {
  readonly file: string;
  readonly #db: DatabaseSync;
  readonly #stmts: Record<string, StatementSync> = {};
  #closed = false;

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

  #stmt(sql: string): StatementSync {
    let stmt = this.#stmts[sql];
    if (!stmt) {
      stmt = this.#db.prepare(sql);
      this.#stmts[sql] = stmt;
    }
    return stmt;
  }

  #tx<T>(fn: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const value = fn();
      this.#db.exec('COMMIT');
      return value;
    } catch (error) {
      this.#db.exec('ROLLBACK');
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
      const rows = this.#stmt(`SELECT id FROM jobs WHERE status IN ('queued', 'running')`).all() as Row[];
      const ids = rows.map((r) => String(r['id']));
      for (const id of ids) this.#interruptPending(id, now, INTERRUPTED_BY_RESTART);
      for (const id of ids) {
        this.#stmt(`UPDATE jobs SET status = 'interrupted', finished_at = ?, note = ? WHERE id = ?`).run(
          now,
          'The server stopped (crash or kill) while this job was running.',
          id,
        );
      }
      return ids;
    });
  }

  #interruptPending(jobId: string, now: number, reason: string, fromItem = 0): void {
    const pending = this.#stmt(`SELECT position FROM targets WHERE job_id = ? AND outcome = 'pending' AND item >= ? ORDER BY position`).all(
      jobId,
      fromItem,
    ) as Row[];
    for (const row of pending) {
      const seq = this.#nextSeq(jobId);
      this.#stmt(`UPDATE targets SET outcome = 'interrupted', seq = ?, settled_at = ?, reason = ? WHERE job_id = ? AND position = ?`).run(
        seq,
        now,
        reason,
        jobId,
        Number(row['position']),
      );
    }
  }

  #nextSeq(jobId: string): number {
    const row = this.#stmt(`UPDATE jobs SET last_result_seq = last_result_seq + 1 WHERE id = ? RETURNING last_result_seq`).get(jobId) as Row | undefined;
    return Number(row?.['last_result_seq'] ?? 0);
  }

  /**
   * Inserts a job and its target rows — or, under an idempotency key already used by this principal,
   * reports a replay (same body) or a conflict (different body) without inserting anything. One
   * transaction, so concurrent identical requests cannot both create a job.
   */
  createJob(job: NewJob, now: number, claim?: IdempotencyClaim): CreateResult {
    return this.#tx(() => {
      if (claim) {
        const existing = this.#stmt(`SELECT body_hash, job_id, created_at FROM idempotency_keys WHERE requested_by = ? AND key = ?`).get(
          job.requestedBy,
          claim.key,
        ) as Row | undefined;
        if (existing && Number(existing['created_at']) + claim.ttlMs > now) {
          const jobId = String(existing['job_id']);
          return existing['body_hash'] === claim.bodyHash ? { kind: 'replay' as const, jobId } : { kind: 'conflict' as const, jobId };
        }
        if (existing) this.#stmt(`DELETE FROM idempotency_keys WHERE requested_by = ? AND key = ?`).run(job.requestedBy, claim.key);
      }
      this.#stmt(
        `INSERT INTO jobs (id, kind, status, requested_by, request_id, idempotency_key, options, items, created_at) VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?)`,
      ).run(job.id, job.kind, job.requestedBy, job.requestId, claim?.key ?? null, JSON.stringify(job.options), JSON.stringify(job.items), now);
      const insertTarget = this.#stmt(`INSERT INTO targets (job_id, position, item, plugin, target, outcome) VALUES (?, ?, ?, ?, ?, 'pending')`);
      job.targets.forEach((t, position) => {
        insertTarget.run(job.id, position, t.item, t.plugin, t.target);
      });
      if (claim) {
        this.#stmt(`INSERT INTO idempotency_keys (requested_by, key, body_hash, job_id, created_at) VALUES (?, ?, ?, ?, ?)`).run(
          job.requestedBy,
          claim.key,
          claim.bodyHash,
          job.id,
          now,
        );
      }
      const created = this.getJob(job.id);
      if (!created) throw new StoreError(`job ${job.id} vanished right after it was inserted`);
      return { kind: 'created' as const, job: created };
    });
  }

  markStarted(jobId: string, now: number): void {
    this.#stmt(`UPDATE jobs SET status = 'running', started_at = ? WHERE id = ? AND status = 'queued'`).run(now, jobId);
  }

  /** Records the engine's final result for one target; undefined when no pending row matches. */
  recordResult(jobId: string, result: Omit<TargetResult, 'outcome'> & { readonly outcome: TargetStatus }, now: number): TargetRecord | undefined {
    return this.#tx(() => {
      const row = this.#stmt(`SELECT position FROM targets WHERE job_id = ? AND item = ? AND target = ? AND outcome = 'pending'`).get(
        jobId,
        result.item,
        result.target,
      ) as Row | undefined;
      if (!row) return undefined;
      const position = Number(row['position']);
      const seq = this.#nextSeq(jobId);
      this.#stmt(
        `UPDATE targets SET outcome = ?, seq = ?, settled_at = ?, request_id = ?, reason = ?, provider_code = ?, error = ?, attempts = ?, duration_ms = ?, state = ?, waited = ?
         WHERE job_id = ? AND position = ?`,
      ).run(
        result.outcome,
        seq,
        now,
        result.requestId ?? null,
        result.reason ?? null,
        result.providerCode ?? null,
        result.error ? JSON.stringify(result.error) : null,
        result.attempts,
        Math.round(result.durationMs),
        result.state ? JSON.stringify(result.state) : null,
        result.waited ? JSON.stringify(result.waited) : null,
        jobId,
        position,
      );
      const updated = this.#stmt(`SELECT * FROM targets WHERE job_id = ? AND position = ?`).get(jobId, position) as Row;
      return toTarget(updated);
    });
  }

  /**
   * Ends a job. Targets still pending are marked `interrupted` (status `interrupted`) or `failed`
   * (status `completed`: the engine ended without a record for them, which it promises never to do).
   * Returns the target records this settled.
   */
  finishJob(
    jobId: string,
    status: 'completed' | 'interrupted',
    now: number,
    options: { note?: string; reason?: string; untouchedFromItem?: number; untouchedReason?: string } = {},
  ): TargetRecord[] {
    return this.#tx(() => {
      const before = this.#stmt(`SELECT position FROM targets WHERE job_id = ? AND outcome = 'pending'`).all(jobId) as Row[];
      const positions = before.map((r) => Number(r['position']));
      if (status === 'interrupted') {
        if (options.untouchedFromItem !== undefined && options.untouchedReason) {
          this.#interruptPending(jobId, now, options.untouchedReason, options.untouchedFromItem);
        }
        this.#interruptPending(jobId, now, options.reason ?? INTERRUPTED_BY_RESTART);
      } else {
        const error: CancelKitErrorJSON = { code: 'Unknown', message: 'The engine finished without a result for this target.', retryable: false };
        for (const position of positions) {
          const seq = this.#nextSeq(jobId);
          this.#stmt(`UPDATE targets SET outcome = 'failed', seq = ?, settled_at = ?, error = ? WHERE job_id = ? AND position = ?`).run(
            seq,
            now,
            JSON.stringify(error),
            jobId,
            position,
          );
        }
      }
      this.#stmt(`UPDATE jobs SET status = ?, finished_at = ?, note = COALESCE(?, note), started_at = COALESCE(started_at, ?) WHERE id = ?`).run(
        status,
        now,
        options.note ?? null,
        now,
        jobId,
      );
      return positions.map((position) => toTarget(this.#stmt(`SELECT * FROM targets WHERE job_id = ? AND position = ?`).get(jobId, position) as Row));
    });
  }

  getJob(id: string): JobRecord | undefined {
    const row = this.#stmt(`SELECT * FROM jobs WHERE id = ?`).get(id) as Row | undefined;
    if (!row) return undefined;
    const targets = (this.#stmt(`SELECT * FROM targets WHERE job_id = ? ORDER BY position`).all(id) as Row[]).map(toTarget);
    return toJob(row, targets);
  }

  /** Settled targets of a job after a given result sequence number, in settlement order (SSE replay). */
  settledSince(jobId: string, afterSeq: number): TargetRecord[] {
    return (this.#stmt(`SELECT * FROM targets WHERE job_id = ? AND seq > ? ORDER BY seq`).all(jobId, afterSeq) as Row[]).map(toTarget);
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
      const targets = (this.#stmt(`SELECT * FROM targets WHERE job_id = ? ORDER BY position`).all(id) as Row[]).map(toTarget);
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
