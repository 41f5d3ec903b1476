/**
 * The CLI's stable output shapes: one record per target and a summary. Scripts depend on these field
 * names; they are the same in `json` and `ndjson` output and in the journal.
 */
import type { CancelKitErrorJSON, Outcome } from '@cancelkit/core/plugin';
import type { PlanEntry, TargetResult } from '@cancelkit/core';
import { messageWithFlags, type ParamFlag } from './params.js';

export interface RecordError {
  code: string;
  providerCode?: string;
  message: string;
  hint?: string;
}

export interface ResultRecord {
  plugin: string;
  target: string;
  outcome: Outcome;
  /** The cloud's request id for support tickets; null when no request answered. */
  requestId: string | null;
  reason?: string;
  error?: RecordError;
  /** Cancel attempts made (0 when nothing was sent). */
  attempts: number;
  durationMs: number;
  /** Batch input line the target came from. */
  line?: number;
  /** Provider status seen by the last inspect, when there was one. */
  status?: string;
  /** With `--wait`. */
  waited?: { terminal: boolean; timedOut: boolean; status?: string; gaveUp?: { code: string; message: string } };
}

export interface Summary {
  total: number;
  cancelled: number;
  alreadyFinished: number;
  notCancellable: number;
  notFound: number;
  failed: number;
  /** Targets skipped because the journal already holds a settled outcome (only with --journal). */
  skipped?: number;
}

/** `flags`: the plugin's params as flags, so InvalidInput messages name `--project-id`, not `projectId`. */
export function recordError(error: Pick<CancelKitErrorJSON, 'code' | 'message' | 'providerCode' | 'hint' | 'issues'>, flags?: readonly ParamFlag[]): RecordError {
  const issues = error.code === 'InvalidInput' && flags ? (error.issues ?? []) : [];
  return {
    code: error.code,
    ...(error.providerCode !== undefined ? { providerCode: error.providerCode } : {}),
    message: issues.length > 0 ? messageWithFlags(error.message, issues, flags ?? []) : error.message,
    ...(error.hint !== undefined ? { hint: error.hint } : {}),
  };
}

export function toRecord(result: TargetResult, line?: number, flags?: readonly ParamFlag[]): ResultRecord {
  // The request that decided the outcome: the cancel call, the failing call, or the pre-check's inspect.
  const requestId = result.requestId ?? result.error?.requestId ?? result.state?.requestId ?? null;
  const record: ResultRecord = {
    plugin: result.plugin,
    target: result.target,
    outcome: result.outcome,
    requestId,
    attempts: result.attempts,
    durationMs: Math.round(result.durationMs),
  };
  if (result.reason !== undefined) record.reason = result.reason;
  if (result.error !== undefined) record.error = recordError(result.error, flags);
  else if (result.providerCode !== undefined && result.outcome !== 'cancelled') {
    record.error = { code: outcomeErrorCode(result.outcome), providerCode: result.providerCode, message: result.reason ?? result.outcome };
  }
  if (line !== undefined) record.line = line;
  const status = result.waited?.status ?? result.state?.status;
  if (status !== undefined) record.status = status;
  if (result.waited !== undefined) {
    record.waited = {
      terminal: result.waited.terminal,
      timedOut: result.waited.timedOut,
      ...(result.waited.status !== undefined ? { status: result.waited.status } : {}),
      ...(result.waited.gaveUp !== undefined ? { gaveUp: { code: result.waited.gaveUp.code, message: result.waited.gaveUp.message } } : {}),
    };
  }
  return record;
}

function outcomeErrorCode(outcome: Outcome): string {
  if (outcome === 'not-found') return 'NotFound';
  if (outcome === 'not-cancellable') return 'NotCancellable';
  return 'Unknown';
}

/** A `failed` record for input that never reached the engine (bad batch line, unknown plugin). */
export function failedInputRecord(options: { plugin: string; target: string; line?: number; error: RecordError }): ResultRecord {
  return {
    plugin: options.plugin,
    target: options.target,
    outcome: 'failed',
    requestId: null,
    error: options.error,
    attempts: 0,
    durationMs: 0,
    ...(options.line !== undefined ? { line: options.line } : {}),
  };
}

export function emptySummary(): Summary {
  return { total: 0, cancelled: 0, alreadyFinished: 0, notCancellable: 0, notFound: 0, failed: 0 };
}

const SUMMARY_KEY: Record<Outcome, Exclude<keyof Summary, 'total' | 'skipped'>> = {
  cancelled: 'cancelled',
  'already-finished': 'alreadyFinished',
  'not-cancellable': 'notCancellable',
  'not-found': 'notFound',
  failed: 'failed',
};

export function addToSummary(summary: Summary, outcome: Outcome): void {
  summary.total++;
  summary[SUMMARY_KEY[outcome]]++;
}

export function summarize(records: readonly { outcome: Outcome }[]): Summary {
  const summary = emptySummary();
  for (const r of records) addToSummary(summary, r.outcome);
  return summary;
}

/** `plan` output: what a real run would do with one target. */
export interface PlanRecord {
  plugin: string;
  target: string;
  action: PlanEntry['action'];
  /** The outcome a real run would report now; `failed` (with `error`) when the target could not be planned. */
  expected: PlanEntry['expected'];
  reason?: string;
  status?: string;
  requestId: string | null;
  /** Why the target could not be planned (bad batch line, the inspect call failed). */
  error?: RecordError;
  /** Batch input line the target came from. */
  line?: number;
}

export function toPlanRecord(entry: PlanEntry, line?: number, flags?: readonly ParamFlag[]): PlanRecord {
  return {
    plugin: entry.plugin,
    target: entry.target,
    action: entry.action,
    expected: entry.expected,
    ...(entry.reason !== undefined ? { reason: entry.reason } : {}),
    ...(entry.state?.status !== undefined ? { status: entry.state.status } : {}),
    requestId: entry.state?.requestId ?? entry.error?.requestId ?? null,
    ...(entry.error !== undefined ? { error: recordError(entry.error, flags) } : {}),
    ...(line !== undefined ? { line } : {}),
  };
}
