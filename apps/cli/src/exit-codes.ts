/**
 * Exit codes. Single-target commands map the target's outcome or error class; batches report 0 when
 * every target ended well, the one shared code when no target ended well and all failed the same way,
 * and 9 (partial failure) otherwise.
 */
import type { ErrorCode } from '@cancelkit/core/plugin';
import { ERROR_TRAITS, EXIT_OK, EXIT_PARTIAL_FAILURE } from '@cancelkit/core/plugin';
import { EXIT_OUTPUT_CLOSED } from './io.js';

export const EXIT = Object.freeze({
  ok: EXIT_OK,
  internal: 1,
  usage: ERROR_TRAITS.InvalidInput.exitCode,
  unauthenticated: ERROR_TRAITS.Unauthenticated.exitCode,
  permissionDenied: ERROR_TRAITS.PermissionDenied.exitCode,
  notFound: ERROR_TRAITS.NotFound.exitCode,
  notCancellable: ERROR_TRAITS.NotCancellable.exitCode,
  throttled: ERROR_TRAITS.Throttled.exitCode,
  transient: ERROR_TRAITS.Transient.exitCode,
  partial: EXIT_PARTIAL_FAILURE,
  /** `--wait` gave up before the operation reached a terminal state. */
  waitTimeout: 10,
  interrupted: 130,
  terminated: 143,
  /** stdout closed before everything was written (`… | head -1`); see io.ts. */
  outputClosed: EXIT_OUTPUT_CLOSED,
});

/** The table printed by `--help` and the README. */
export const EXIT_CODE_TABLE: ReadonlyArray<readonly [number, string]> = [
  [EXIT.ok, 'every target was cancelled or had already finished'],
  [EXIT.internal, 'internal or unclassified error'],
  [EXIT.usage, 'usage error or invalid input (nothing was sent)'],
  [EXIT.unauthenticated, 'unauthenticated (missing or rejected credentials)'],
  [EXIT.permissionDenied, 'permission denied'],
  [EXIT.notFound, 'not found'],
  [EXIT.notCancellable, 'not cancellable in its current state'],
  [EXIT.throttled, 'throttled, still after retries'],
  [EXIT.transient, 'transient failure (network, 5xx), still after retries'],
  [EXIT.partial, 'batch: some targets ended well and others did not, or they failed in different ways'],
  [EXIT.waitTimeout, '--wait: cancelled, but not seen finished (--timeout passed, or its state could not be read)'],
  [EXIT.interrupted, 'interrupted (Ctrl-C); 143 for SIGTERM'],
  [EXIT.outputClosed, 'stdout was closed early (e.g. piped to head): output stopped, a batch started no new targets'],
];

export function exitCodeForError(code: string | undefined): number {
  if (code !== undefined && code in ERROR_TRAITS) return ERROR_TRAITS[code as ErrorCode].exitCode;
  return EXIT.internal;
}

/** The minimum a record needs for its exit code. */
export interface ExitRelevant {
  readonly outcome: string;
  readonly error?: { readonly code?: string } | undefined;
  readonly waited?: { readonly timedOut: boolean; readonly gaveUp?: unknown } | undefined;
}

export function exitCodeForRecord(record: ExitRelevant): number {
  switch (record.outcome) {
    case 'cancelled':
      return record.waited?.timedOut || record.waited?.gaveUp ? EXIT.waitTimeout : EXIT.ok;
    case 'already-finished':
      return EXIT.ok;
    case 'not-found':
      return EXIT.notFound;
    case 'not-cancellable':
      return EXIT.notCancellable;
    default:
      return exitCodeForError(record.error?.code);
  }
}

/** One exit code for any number of records (see the module comment). */
export function exitCodeForRecords(records: readonly ExitRelevant[]): number {
  const codes = records.map(exitCodeForRecord);
  const bad = codes.filter((c) => c !== EXIT.ok);
  if (bad.length === 0) return EXIT.ok;
  const first = bad[0] as number;
  if (bad.length === codes.length && bad.every((c) => c === first)) return first;
  return EXIT.partial;
}
