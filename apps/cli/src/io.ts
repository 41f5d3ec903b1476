/**
 * The process as the CLI sees it. Commands never touch `process` directly, so the whole CLI can run
 * in-process in unit tests with captured output, and every printed line passes through one redaction
 * point.
 */
import type { Readable } from 'node:stream';

export interface OutputStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export type SignalName = 'SIGINT' | 'SIGTERM';

/** Why a run stopped early: a signal, or stdout closed under it (EPIPE: the reader, e.g. `head`, exited). */
export type StopReason = SignalName | 'EPIPE';

export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly stdin: Readable;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Subscribe to SIGINT / SIGTERM; returns an unsubscribe function. */
  onSignal(handler: (signal: SignalName) => void): () => void;
  /**
   * Subscribe to stdout closing under the CLI (EPIPE); called at most once. Returns an unsubscribe
   * function. Optional so that hosts embedding `main` with their own streams need not implement it.
   */
  onStdoutClosed?(handler: () => void): () => void;
  /** True once stdout has closed (see `onStdoutClosed`); writes after that are dropped. */
  stdoutClosed?(): boolean;
}

/** Exit status when stdout closed early: the shell's 128 + SIGPIPE, what `yes | head -1` reports. */
export const EXIT_OUTPUT_CLOSED = 141;

export function processIo(): CliIo {
  let closed = false;
  const closedHandlers = new Set<() => void>();
  // Node ignores SIGPIPE, so a reader that goes away (`cancelkit … | head -1`) surfaces as an 'error'
  // event on stdout, which crashes the process with a stack trace when nobody listens. Listening turns it
  // into a quiet stop: later writes are dropped, batches start no new targets, and the exit status is
  // set here too because the event can arrive after the command has already returned its code.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (closed) return;
    closed = true;
    process.exitCode = EXIT_OUTPUT_CLOSED;
    if (error.code !== 'EPIPE') process.stderr.write(`error: cannot write to stdout (${error.code ?? error.message}); stopping.\n`);
    for (const handler of [...closedHandlers]) handler();
  });
  // Nothing can be reported once stderr itself is gone (`2>&1 | head`): drop its writes silently.
  let stderrClosed = false;
  process.stderr.on('error', () => {
    stderrClosed = true;
  });
  return {
    stdout: {
      write: (chunk: string) => (closed ? false : process.stdout.write(chunk)),
      get isTTY() {
        return process.stdout.isTTY;
      },
      get columns() {
        return process.stdout.columns;
      },
    },
    stderr: {
      write: (chunk: string) => (stderrClosed ? false : process.stderr.write(chunk)),
      get isTTY() {
        return process.stderr.isTTY;
      },
      get columns() {
        return process.stderr.columns;
      },
    },
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    onSignal(handler) {
      const onInt = () => handler('SIGINT');
      const onTerm = () => handler('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      return () => {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
      };
    },
    onStdoutClosed(handler) {
      if (closed) {
        queueMicrotask(handler);
        return () => undefined;
      }
      closedHandlers.add(handler);
      return () => closedHandlers.delete(handler);
    },
    stdoutClosed: () => closed,
  };
}

/** Exit status of a process stopped by a signal, the shell convention (128 + signal number). */
export function signalExitCode(signal: SignalName): number {
  return signal === 'SIGINT' ? 130 : 143;
}

/** Exit status of a run stopped early by a signal or by stdout closing. */
export function stopExitCode(reason: StopReason): number {
  return reason === 'EPIPE' ? EXIT_OUTPUT_CLOSED : signalExitCode(reason);
}
