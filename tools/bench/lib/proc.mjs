/**
 * Child processes for the benchmarks: every process started here is tracked and stopped, whatever
 * happens (normal end, an exception, Ctrl-C), and every wait is bounded by a timeout.
 */
import { fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const live = new Set();

function track(child) {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Stops every child still running: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopAllChildren(graceMs = 2_000) {
  const waits = [...live].map(
    (child) =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  );
  await Promise.all(waits);
}

let hooked = false;
/** Makes sure no child outlives the bench, also on Ctrl-C. */
export function installCleanup() {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      stopAllChildren(500).finally(() => process.exit(130));
    });
  }
}

/**
 * Runs a command to completion. Resolves with its exit code, output and wall time (ms, measured from just
 * before spawn to the `exit` event). Kills it and rejects after `timeoutMs`.
 * `onSpawn(child)` lets a caller watch the running process (e.g. poll its /proc status).
 */
export function run(command, args, { cwd, env, timeoutMs = 120_000, input, onSpawn } = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = track(spawn(command, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] }));
    const out = [];
    const err = [];
    let exited;
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => err.push(chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.slice(0, 3).join(' ')} … did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // `exit` marks the end of the process; `close` (all pipes drained) follows and carries the output.
    child.once('exit', () => {
      exited = process.hrtime.bigint();
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const end = exited ?? process.hrtime.bigint();
      resolve({
        code,
        signal,
        pid: child.pid,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        wallMs: Number(end - started) / 1e6,
      });
    });
    onSpawn?.(child);
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/**
 * Forks a Node module with an IPC channel and returns a small RPC client: `call(type, args)` sends
 * `{ id, type, args }` and resolves with the child's `{ id, ok, result | error }`. The child first sends
 * `{ type: 'ready', ...info }`, which `ready` resolves with.
 */
export function forkService(modulePath, { args = [], execArgv = [], env, cwd, readyTimeoutMs = 30_000 } = {}) {
  const child = track(fork(modulePath, args, { execArgv, env, cwd, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const pending = new Map();
  let nextId = 1;
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${modulePath} was not ready within ${readyTimeoutMs} ms`)), readyTimeoutMs);
    child.on('message', (message) => {
      if (message?.type === 'ready') {
        clearTimeout(timer);
        resolve(message);
        return;
      }
      const waiter = pending.get(message?.id);
      if (!waiter) return;
      pending.delete(message.id);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(message.error));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const error = new Error(`${modulePath} exited (${signal ?? code})`);
      reject(error);
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    });
  });
  return {
    child,
    ready,
    call(type, callArgs = {}, timeoutMs = 120_000) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${type} on ${modulePath} timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (value) => {
            clearTimeout(timer);
            resolve(value);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        child.send({ id, type, args: callArgs });
      });
    },
    /** Disconnects (the child then stops its servers and exits); SIGKILL if it has not exited in time. */
    stop(graceMs = 5_000) {
      return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        if (child.connected) child.disconnect();
        else child.kill('SIGTERM');
      });
    },
  };
}

/**
 * Child side of `forkService`: answers RPC calls with `handlers[type](args)`, and runs `onStop` then exits
 * when the parent disconnects (or dies).
 */
export function serveParent(handlers, info, onStop) {
  process.on('message', async (message) => {
    const handler = handlers[message?.type];
    try {
      if (!handler) throw new Error(`unknown call ${message?.type}`);
      const result = await handler(message.args ?? {});
      process.send({ id: message.id, ok: true, result });
    } catch (error) {
      process.send({ id: message.id, ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await onStop?.();
    } finally {
      process.exit(0);
    }
  };
  process.once('disconnect', stop);
  process.once('SIGTERM', stop);
  process.send({ type: 'ready', ...info });
}

/** Peak resident set size of a live process (kB), from /proc; undefined once it has exited or off Linux. */
export function peakRssKb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}
