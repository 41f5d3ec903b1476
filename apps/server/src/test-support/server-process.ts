/**
 * A real `cancelkit-server` process (dist/bin.js) for the tests that must kill it, limit it or restart it:
 * started with a config file, resolved once its "ready" log line names the URL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SERVER_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/bin.js');

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the server on `configFile`, in its folder, with a minimal environment (no tokens from ours). */
export async function spawnServer(configFile: string): Promise<ServerProcess> {
  const child = spawn(process.execPath, [SERVER_BIN, '--config', configFile], {
    cwd: path.dirname(configFile),
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: path.dirname(configFile) },
  });
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 15_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const match = /"url":"(http:\/\/127\.0\.0\.1:\d+)".*"msg":"cancelkit-server ready"|"msg":"cancelkit-server ready".*"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve((match[1] ?? match[2]) as string);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    void exited.then(() => reject(new Error(`server exited early:\n${out}`)));
  });
  return { child, url, output: () => out, exited };
}
