/**
 * `startServer` (what `cancelkit-server` runs before it listens) when it cannot listen: it fails with the
 * listen error and leaves nothing behind — the job database is closed (its exclusive lock released) and
 * the in-process emulator stopped — so the same process can start again on another port.
 */
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resolveServerConfig } from './config.js';
import { type StartedServer, startServer } from './start.js';
import { tempDir } from './test-support/harness.js';

const SERVER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const quiet = { print: () => {}, logDestination: { write: () => {} } };

describe('startServer when the port is taken (emulator backend)', () => {
  it('fails with the listen error and releases the job database, so a start on another port can use it', { timeout: 20_000 }, async () => {
    const temp = tempDir();
    const blocker = createServer();
    let started: StartedServer | undefined;
    try {
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      const port = (blocker.address() as { port: number }).port;
      const database = path.join(temp.dir, 'jobs.db');

      const failed = await startServer(resolveServerConfig({ port, database }, {}, SERVER_DIR), quiet).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failed).toMatchObject({ code: 'EADDRINUSE' });

      // The failed start must not keep the database: one server owns one file, and none is running.
      started = await startServer(resolveServerConfig({ port: 0, database }, {}, SERVER_DIR), quiet);
      const ready = await fetch(`${started.url}/readyz`);
      expect(ready.status).toBe(200);
    } finally {
      await started?.close();
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
      temp.remove();
    }
  });
});

describe('startServer with an empty CANCELKIT_SERVER_HOST', () => {
  it('listens on the loopback default, not on every interface, like every other empty variable', { timeout: 20_000 }, async () => {
    const env = { CANCELKIT_SERVER_HOST: '', CANCELKIT_SERVER_PORT: '0' };
    expect(resolveServerConfig({}, env, SERVER_DIR).host).toBe('127.0.0.1');
    let started: StartedServer | undefined;
    try {
      started = await startServer(resolveServerConfig({}, env, SERVER_DIR), quiet);
      expect((started.app.server.address() as { address: string }).address).toBe('127.0.0.1');
      expect((await fetch(`${started.url}/healthz`)).status).toBe(200);
    } finally {
      await started?.close();
    }
  });
});
