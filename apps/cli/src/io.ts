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

export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly stdin: Readable;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Subscribe to SIGINT / SIGTERM; returns an unsubscribe function. */
  onSignal(handler: (signal: SignalName) => void): () => void;
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
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
  };
}

/** Exit status of a process stopped by a signal, the shell convention (128 + signal number). */
export function signalExitCode(signal: SignalName): number {
  return signal === 'SIGINT' ? 130 : 143;
}
