#!/usr/bin/env node
/**
 * `cancelkit-server`: reads the config (file, environment, flags), starts the server and stops it
 * gracefully on SIGTERM / SIGINT (a second signal exits at once).
 */
import module from 'node:module';

module.enableCompileCache?.();

const { parseFlags, resolveServerConfig, USAGE } = await import('./config.js');
const { SERVER_VERSION } = await import('./version.js');

function fail(error: unknown): never {
  const e = error as { name?: string; message?: string; hint?: string };
  const known = ['ConfigError', 'StoreError', 'StoreWriteError', 'TokenConfigError'].includes(e.name ?? '') || typeof (error as { code?: unknown }).code === 'string';
  process.stderr.write(`cancelkit-server: ${known ? (e.message ?? String(error)) : String((error as Error)?.stack ?? error)}${e.hint ? `\n  hint: ${e.hint}` : ''}\n`);
  process.exit(1);
}

try {
  const flags = parseFlags(process.argv.slice(2));
  if (flags.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (flags.version) {
    process.stdout.write(`${SERVER_VERSION}\n`);
    process.exit(0);
  }
  const config = resolveServerConfig(flags, process.env, process.cwd());
  const { startServer } = await import('./start.js');
  const server = await startServer(config);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      process.stderr.write(`cancelkit-server: ${signal} again, exiting now\n`);
      process.exit(1);
    }
    stopping = true;
    process.stderr.write(`cancelkit-server: ${signal} received, finishing running jobs…\n`);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => fail(error),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
} catch (error) {
  fail(error);
}
