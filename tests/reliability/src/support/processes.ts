/**
 * Spawning the real `cancelkit` CLI and `cancelkit-server` binaries (their built `dist/bin.js`) with the
 * same Node that runs the tests, in throwaway working directories, with a clean environment: no real
 * credentials can leak in, and every byte they print is captured for the secret scans.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
export const CLI_BIN = path.join(path.dirname(require.resolve('@cancelkit/cli/package.json')), 'dist', 'bin.js');
export const SERVER_BIN = path.join(path.dirname(require.resolve('@cancelkit/server/package.json')), 'dist', 'bin.js');

/** A working directory removed by `cleanup()`. */
export function workDir(label: string): { dir: string; file(name: string, content?: string | object): string; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), `cancelkit-reliability-${label}-`));
  return {
    dir,
    file(name, content) {
      const full = path.join(dir, name);
      if (content !== undefined) writeFileSync(full, typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`);
      return full;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A minimal environment: no cloud credentials, no proxies, no colours; HOME inside the work dir. */
export function cleanEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, NO_COLOR: '1', LANG: 'C.UTF-8', ...extra };
}

export interface Spawned {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnNode(
  bin: string,
  args: readonly string[],
  options: {
    cwd: string;
    env: NodeJS.ProcessEnv;
    input?: string;
    onStdout?: (chunk: string) => void;
    onStderr?: (chunk: string) => void;
    /** Run as another user (only when the tests run as root). */
    uid?: number;
    gid?: number;
  },
): Spawned {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(options.uid !== undefined ? { uid: options.uid } : {}),
    ...(options.gid !== undefined ? { gid: options.gid } : {}),
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    out += chunk;
    options.onStdout?.(chunk);
  });
  child.stderr?.on('data', (chunk: string) => {
    err += chunk;
    options.onStderr?.(chunk);
  });
  if (options.input !== undefined) child.stdin?.end(options.input);
  else child.stdin?.end();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Runs the CLI to completion. */
export async function runCli(
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; input?: string; onStdout?: (chunk: string) => void },
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const spawned = spawnNode(CLI_BIN, args, options);
  const { code, signal } = await spawned.exited;
  return { code, signal, stdout: spawned.stdout(), stderr: spawned.stderr() };
}

/** Splits NDJSON output into records and the trailing summary. */
export function parseNdjson(stdout: string): { records: Record<string, unknown>[]; summary?: Record<string, unknown> } {
  const records: Record<string, unknown>[] = [];
  let summary: Record<string, unknown> | undefined;
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    const value = JSON.parse(line) as Record<string, unknown>;
    if ('summary' in value && !('target' in value)) summary = value.summary as Record<string, unknown>;
    else records.push(value);
  }
  return summary ? { records, summary } : { records };
}

/** Counts complete NDJSON lines as they stream (for fault schedules and kill points). */
export function lineCounter(): { onChunk(chunk: string): void; readonly count: number } {
  let count = 0;
  return {
    onChunk(chunk) {
      for (const c of chunk) if (c === '\n') count++;
    },
    get count() {
      return count;
    },
  };
}

export interface ServerProcess extends Spawned {
  readonly url: string;
  /** SIGTERM, then wait for the exit. */
  stop(): Promise<void>;
}

/** Starts `cancelkit-server` and waits for its "listening on" banner. */
export async function startServerProcess(args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<ServerProcess> {
  let resolveUrl: (url: string) => void = () => undefined;
  const urlFound = new Promise<string>((resolve) => {
    resolveUrl = resolve;
  });
  let banner = '';
  const spawned = spawnNode(SERVER_BIN, args, {
    ...options,
    onStderr(chunk) {
      banner += chunk;
      const match = /listening on (http:\/\/[^\s]+)/.exec(banner);
      if (match?.[1]) resolveUrl(match[1]);
    },
  });
  const timeoutMs = options.timeoutMs ?? 15_000;
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    urlFound.then((url) => ({ url })),
    spawned.exited.then((exit) => ({ exit })),
    new Promise<{ timeout: true }>((resolve) => {
      timer = setTimeout(() => resolve({ timeout: true }), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (!('url' in outcome)) {
    spawned.child.kill('SIGKILL');
    throw new Error(`cancelkit-server did not start: ${JSON.stringify(outcome)}\nstderr: ${spawned.stderr()}\nstdout: ${spawned.stdout().slice(-2000)}`);
  }
  return {
    ...spawned,
    url: outcome.url,
    async stop() {
      if (spawned.child.exitCode === null && spawned.child.signalCode === null) spawned.child.kill('SIGTERM');
      await spawned.exited;
    },
  };
}
