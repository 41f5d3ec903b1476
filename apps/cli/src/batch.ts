/**
 * Batches: prepare file entries (load each named plugin once, convert CSV cells, validate params), then
 * run them through the engine and stream one record per target. `cancel --from` and `demo` share this
 * code path.
 *
 * Interrupts: the first SIGINT/SIGTERM stops starting new targets and lets in-flight ones settle (their
 * records and journal lines are written); targets never started are reported as failed with a
 * "not started" error and are not journalled, so a re-run picks them up. A second signal aborts the
 * in-flight requests too. stdout closing under the batch (EPIPE, `… | head`) stops it the same way, but
 * quietly: nobody reads the output any more, while the journal still gets every settled result.
 *
 * `plan --from` shares the preparation and runs each item's plan (read-only) with bounded concurrency.
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { CancellablePlugin, PluginRegistry } from '@cancelkit/core';
import type { Kit } from '@cancelkit/core/kit';
import { type CancelKitError, isCancelKitError, toCancelKitError } from '@cancelkit/core/plugin';
import type { BatchEntry } from './batch-input.js';
import { type ExitRelevant, exitCodeForRecords } from './exit-codes.js';
import type { CliIo, StopReason } from './io.js';
import type { Journal } from './journal.js';
import type { OutputFormat, PlanSink, Printer, ResultSink } from './output.js';
import { coerceParams, paramFlags } from './params.js';
import { ProgressBar } from './progress.js';
import {
  addToSummary,
  emptySummary,
  failedInputRecord,
  type PlanRecord,
  type RecordError,
  recordError,
  type ResultRecord,
  type Summary,
  toPlanRecord,
  toRecord,
} from './records.js';

export interface PreparedItem {
  readonly line?: number;
  readonly plugin: string;
  readonly params: unknown;
  readonly targets: readonly string[];
}

export interface PreparedBatch {
  readonly plugins: CancellablePlugin<unknown>[];
  readonly items: PreparedItem[];
  /** Records for lines that cannot run (bad line, unknown plugin, invalid params), in line order. */
  readonly rejected: ResultRecord[];
}

function errorOf(error: CancelKitError): RecordError {
  return recordError(error.toJSON());
}

function guessTarget(entry: BatchEntry, plugin: CancellablePlugin<unknown> | undefined): string {
  const targetParam = plugin?.manifest.targetParam;
  const value = targetParam ? (entry.params?.[targetParam] ?? entry.cells?.[targetParam]) : undefined;
  if (typeof value === 'string' && value !== '') return value;
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'number') return String(value);
  return `line ${entry.line}`;
}

/** Loads each plugin the entries name (once) and validates every entry without sending anything. */
export async function prepareBatch(entries: readonly BatchEntry[], registry: PluginRegistry): Promise<PreparedBatch> {
  const loaded = new Map<string, CancellablePlugin<unknown> | CancelKitError>();
  for (const id of new Set(entries.filter((e) => !e.problem).map((e) => e.plugin))) {
    try {
      loaded.set(id, await registry.load(id));
    } catch (error) {
      loaded.set(id, toCancelKitError(error));
    }
  }
  const items: PreparedItem[] = [];
  const rejected: ResultRecord[] = [];
  for (const entry of entries) {
    const found = loaded.get(entry.plugin);
    const plugin = found && !isCancelKitError(found) ? found : undefined;
    const reject = (error: RecordError) =>
      rejected.push(failedInputRecord({ plugin: entry.plugin, target: guessTarget(entry, plugin), line: entry.line, error }));
    if (entry.problem) {
      reject({ code: 'InvalidInput', message: entry.problem.message, ...(entry.problem.hint ? { hint: entry.problem.hint } : {}) });
      continue;
    }
    if (!plugin) {
      reject(errorOf(found as CancelKitError));
      continue;
    }
    let params: unknown = entry.params;
    if (entry.cells) {
      const flags = paramFlags(plugin.manifest);
      const known = new Set(flags.map((f) => f.name));
      const strays = Object.entries(entry.cells).filter(([name, value]) => !known.has(name) && value !== '');
      if (strays.length > 0) {
        reject({
          code: 'InvalidInput',
          message: `line ${entry.line}: ${strays.map(([n]) => `"${n}"`).join(', ')} ${strays.length > 1 ? 'are not params' : 'is not a param'} of ${plugin.manifest.id}`,
          hint: `Its params: ${flags.map((f) => f.flag).join(', ')}. Leave other plugins' columns empty on its rows.`,
        });
        continue;
      }
      const { params: coerced, issues } = coerceParams(flags, entry.cells);
      if (issues.length > 0) {
        reject({ code: 'InvalidInput', message: `line ${entry.line}: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}` });
        continue;
      }
      params = coerced;
    }
    try {
      const parsed = plugin.parse(params);
      items.push({ line: entry.line, plugin: plugin.manifest.id, params, targets: [...new Set(plugin.targets(parsed))] });
    } catch (error) {
      const e = toCancelKitError(error);
      reject({ ...errorOf(e), message: `line ${entry.line}: ${e.message}` });
    }
  }
  return { plugins: [...loaded.values()].filter((p): p is CancellablePlugin<unknown> => !isCancelKitError(p)), items, rejected };
}

export interface ExecuteBatchOptions {
  readonly kit: Kit;
  readonly batch: PreparedBatch;
  readonly sink: ResultSink;
  readonly format: OutputFormat;
  /** For progress and notes (stderr). */
  readonly errPrinter: Printer;
  readonly io: CliIo;
  readonly journal?: Journal;
  readonly concurrency?: number;
  readonly precheck?: boolean;
  readonly wait?: boolean;
  readonly waitTimeoutMs?: number;
  /** Draw the progress bar (callers pass false for json consumers like the demo's checks). */
  readonly progress?: boolean;
  /** Called after each record is written (`boundBatchMemory()` for large batches). */
  readonly afterRecord?: () => void;
}

export interface BatchOutcome {
  readonly exitCode: number;
  readonly summary: Summary;
  readonly records: ResultRecord[];
  readonly interrupted?: StopReason;
}

const key = (plugin: string, target: string) => `${plugin}\u0000${target}`;

/**
 * A batch's memory is nearly all short-lived garbage: got allocates ~150 kB per request while the live
 * heap stays at 25–30 MB for 10,000 targets. Left alone, V8 grows the young generation to its maximum and
 * lets promoted garbage pile up in an old generation it collects late (300 MB peak RSS for 10,000
 * targets; measured heap spaces at the peak: new 32 MB, old 88 MB, 102 MB used). So a batch keeps the
 * young generation at its current size (the growth factor is read at run time, unlike
 * `--max-semi-space-size`) and runs a full collection every `GC_EVERY_RECORDS` records: ~10 ms each on a
 * 30 MB heap, and the peak stays near 170 MB. The V8 flags are set only for batches, never at start-up.
 */
const GC_EVERY_RECORDS = 1_000;

/** Returns the hook `executeBatch` calls once per record. */
export function boundBatchMemory(): () => void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  v8.setFlagsFromString('--expose-gc');
  // `--expose-gc` set after start-up applies to contexts created afterwards: take `gc` from a new one.
  const gc = runInNewContext('gc') as unknown;
  if (typeof gc !== 'function') return () => undefined;
  let records = 0;
  return () => {
    if (++records % GC_EVERY_RECORDS === 0) (gc as () => void)();
  };
}

/** Stops a batch: the first signal (or stdout closing) stops starting targets, a second signal `abort()`s. */
function stopControl(io: CliIo, onFirst: (reason: StopReason) => void, abort: AbortController): { reason: () => StopReason | undefined; dispose: () => void } {
  let reason: StopReason | undefined;
  const stop = (why: StopReason) => {
    if (reason === undefined) {
      reason = why;
      onFirst(why);
    } else if (why !== 'EPIPE') abort.abort();
  };
  const offSignal = io.onSignal(stop);
  const offClosed = io.onStdoutClosed?.(() => stop('EPIPE')) ?? (() => undefined);
  return {
    reason: () => reason,
    dispose: () => {
      offSignal();
      offClosed();
    },
  };
}

function interruptNotice(reason: StopReason, what: string): string {
  return `\nInterrupted (${reason}): starting no new ${what}, waiting for those in flight. Press Ctrl-C again to abort them.\n`;
}

function notStartedBy(reason: StopReason): string {
  return reason === 'EPIPE' ? 'stdout was closed' : `interrupted by ${reason}`;
}

export async function executeBatch(options: ExecuteBatchOptions): Promise<BatchOutcome> {
  const { kit, batch, sink, journal, errPrinter, afterRecord } = options;
  const summary: Summary = emptySummary();
  const records: ResultRecord[] = [];
  // ndjson on a terminal shares the screen with the progress line: take the bar off its line before each
  // record is printed (the next update draws it again below), so no record line carries the bar.
  const barSharesScreen = options.format === 'ndjson' && options.io.stdout.isTTY === true;
  // Records keep the plugins' field names (`projectId`): in a batch they are the keys the user wrote in
  // the file, not flags (single-target commands rename them to flags).
  const emit = (record: ResultRecord, journalIt: boolean) => {
    if (journalIt && journal) journal.append(record);
    records.push(record);
    addToSummary(summary, record.outcome);
    if (barSharesScreen) progress?.clear();
    sink.write(record);
    progress?.update(record.outcome);
    afterRecord?.();
  };

  // Resume: what the journal already settled is skipped, decided once before anything runs. Those
  // targets' earlier outcomes still count in the summary and the exit code: the batch's result is
  // every target's final outcome, whichever run settled it.
  const settled = new Set<string>();
  const earlier: ExitRelevant[] = [];
  const runnable: PreparedItem[] = [];
  for (const item of batch.items) {
    const done = journal ? item.targets.flatMap((t) => journal.settled(item.plugin, t) ?? []) : [];
    for (const entry of done) {
      settled.add(key(item.plugin, entry.target));
      earlier.push({ outcome: entry.outcome, ...(entry.timedOut ? { waited: { timedOut: true } } : {}) });
    }
    if (done.length < item.targets.length) runnable.push(item);
  }
  const total = batch.rejected.length + runnable.reduce((n, item) => n + item.targets.filter((t) => !settled.has(key(item.plugin, t))).length, 0);
  const progress =
    options.progress !== false && ProgressBar.enabled(errPrinter.stderr, errPrinter.quiet)
      ? new ProgressBar(errPrinter.stderr, errPrinter.style, total, (t) => errPrinter.secrets.redactString(t))
      : undefined;

  const abort = new AbortController();
  const stop = stopControl(
    options.io,
    (reason) => {
      progress?.stop();
      if (reason !== 'EPIPE') errPrinter.err(interruptNotice(reason, 'targets'));
    },
    abort,
  );

  const started: PreparedItem[] = [];
  function* feed(): Generator<{ plugin: string; params: unknown }> {
    for (const item of runnable) {
      if (stop.reason() !== undefined) return;
      started.push(item);
      yield { plugin: item.plugin, params: item.params };
    }
  }

  try {
    for (const record of batch.rejected) emit(record, true);
    const results = kit.run(feed(), {
      ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
      ...(options.precheck !== undefined ? { precheck: options.precheck } : {}),
      ...(options.wait ? { wait: true } : {}),
      ...(options.waitTimeoutMs !== undefined ? { waitTimeoutMs: options.waitTimeoutMs } : {}),
      skip: (plugin, target) => settled.has(key(plugin, target)),
      signal: abort.signal,
    });
    for await (const result of results) emit(toRecord(result, started[result.item]?.line), true);
  } finally {
    stop.dispose();
    progress?.stop();
  }

  const notes: string[] = [];
  const interrupted = stop.reason();
  if (interrupted !== undefined) {
    const notStarted = runnable.slice(started.length);
    const error: RecordError = {
      code: 'Transient',
      message: `Not started: ${notStartedBy(interrupted)} before this target was sent; nothing was changed.`,
      hint: 'Run the same command again (with --journal, settled targets are skipped).',
    };
    let count = 0;
    for (const item of notStarted) {
      for (const target of item.targets) {
        if (settled.has(key(item.plugin, target))) continue;
        count++;
        const record = failedInputRecord({ plugin: item.plugin, target, ...(item.line !== undefined ? { line: item.line } : {}), error });
        // The table shows them as one note instead of a row each; json/ndjson keep one record per target.
        if (options.format === 'table') {
          records.push(record);
          addToSummary(summary, record.outcome);
        } else emit(record, false);
      }
    }
    if (count > 0) notes.push(`${count} target${count === 1 ? ' was' : 's were'} not started (${notStartedBy(interrupted)}); they count as failed.`);
  }
  if (journal) {
    for (const entry of earlier) addToSummary(summary, entry.outcome as ResultRecord['outcome']);
    summary.skipped = earlier.length;
  }
  sink.end(summary, notes);
  return { exitCode: exitCodeForRecords([...earlier, ...records]), summary, records, ...(interrupted !== undefined ? { interrupted } : {}) };
}

export interface ExecutePlanBatchOptions {
  readonly kit: Kit;
  readonly batch: PreparedBatch;
  readonly sink: PlanSink;
  readonly format: OutputFormat;
  readonly errPrinter: Printer;
  readonly io: CliIo;
  /** Items planned at once (default: the kit's concurrency). */
  readonly concurrency?: number;
  readonly afterRecord?: () => void;
}

export interface PlanBatchOutcome {
  readonly exitCode: number;
  readonly summary: Summary;
  readonly records: PlanRecord[];
  readonly interrupted?: StopReason;
}

function failedPlanRecord(plugin: string, target: string, line: number | undefined, error: RecordError, requestId: string | null = null): PlanRecord {
  return { plugin, target, action: 'skip', expected: 'failed', requestId, error, ...(line !== undefined ? { line } : {}) };
}

/**
 * `plan --from`: one plan record per target, nothing mutated. Items are planned `concurrency` at a time
 * (each is one inspect call, rate-limited per service by the engine). A stop (signal or stdout closing)
 * starts no further item and aborts the in-flight reads, which change nothing.
 */
export async function executePlanBatch(options: ExecutePlanBatchOptions): Promise<PlanBatchOutcome> {
  const { kit, batch, sink, afterRecord } = options;
  const summary: Summary = emptySummary();
  const records: PlanRecord[] = [];
  const emit = (record: PlanRecord, show = true) => {
    records.push(record);
    addToSummary(summary, record.expected);
    if (show) sink.write(record);
    afterRecord?.();
  };
  const abort = new AbortController();
  const stop = stopControl(
    options.io,
    (reason) => {
      if (reason !== 'EPIPE') options.errPrinter.err(`\nInterrupted (${reason}): planning stopped (nothing was sent).\n`);
      abort.abort();
    },
    abort,
  );

  let next = 0;
  const planItem = async (item: PreparedItem) => {
    try {
      const entries = await kit.plan(item.plugin, item.params, { signal: abort.signal });
      for (const entry of entries) emit(toPlanRecord(entry, item.line));
    } catch (thrown) {
      const reason = stop.reason();
      const error: RecordError =
        reason !== undefined && abort.signal.aborted
          ? { code: 'Transient', message: `Not planned: ${notStartedBy(reason)}.` }
          : recordError(toCancelKitError(thrown).toJSON());
      const requestId = isCancelKitError(thrown) ? (thrown.requestId ?? null) : null;
      for (const target of item.targets) emit(failedPlanRecord(item.plugin, target, item.line, error, requestId));
    }
  };
  const worker = async () => {
    while (stop.reason() === undefined && next < batch.items.length) {
      await planItem(batch.items[next++] as PreparedItem);
    }
  };

  try {
    for (const r of batch.rejected) emit(failedPlanRecord(r.plugin, r.target, r.line, r.error ?? { code: 'InvalidInput', message: 'Invalid line.' }));
    const limit = Math.max(1, Math.floor(options.concurrency ?? kit.config.concurrency));
    await Promise.all(Array.from({ length: Math.min(limit, batch.items.length) }, worker));
  } finally {
    stop.dispose();
  }

  const notes: string[] = [];
  const interrupted = stop.reason();
  if (interrupted !== undefined) {
    const error: RecordError = { code: 'Transient', message: `Not planned: ${notStartedBy(interrupted)}.` };
    let count = 0;
    for (const item of batch.items.slice(next)) {
      for (const target of item.targets) {
        count++;
        // As for cancel batches, the table shows one note instead of a row per unplanned target.
        emit(failedPlanRecord(item.plugin, target, item.line, error), options.format !== 'table');
      }
    }
    if (count > 0) notes.push(`${count} target${count === 1 ? ' was' : 's were'} not planned (${notStartedBy(interrupted)}).`);
  }
  sink.end(summary, notes);
  // plan exits 0 whenever it could plan every target; otherwise the failures decide, as for cancel.
  const exitCode = exitCodeForRecords(records.map((r) => (r.error ? { outcome: 'failed', error: r.error } : { outcome: 'cancelled' })));
  return { exitCode, summary, records, ...(interrupted !== undefined ? { interrupted } : {}) };
}
