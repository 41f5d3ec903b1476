/**
 * Everything `cancelkit-server` does before it listens: find and load the plugins, start the in-process
 * emulator when that is the backend, make a dev token when none is configured, build the app and print
 * a ready-to-paste curl. Kept apart from bin.ts so tests can run it in-process.
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CancelKitConfig,
  type CancellablePlugin,
  discoverPlugins,
  emulatorClientSettings,
  type PluginManifest,
  type ServiceEmulation,
  toCancelKitError,
} from '@cancelkit/core';
import type { RunningEmulator } from '@cancelkit/emulator';
import type { FastifyInstance } from 'fastify';
import type pino from 'pino';
import type { TokenSpec } from './auth.js';
import { ConfigError, type ResolvedServerConfig } from './config.js';
import { buildServer } from './server.js';
import { SERVER_VERSION } from './version.js';

export interface StartedServer {
  readonly app: FastifyInstance;
  /** `http://host:port` the API listens on. */
  readonly url: string;
  readonly plugins: readonly PluginManifest[];
  /** The in-process emulator, when it is the backend. */
  readonly emulator?: RunningEmulator;
  /** The generated token, when none was configured (emulator backend only). */
  readonly devToken?: string;
  /** Graceful stop: the app (finishing or interrupting jobs), then the emulator. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Human-facing lines (banner, warnings); default stderr. */
  print?: (line: string) => void;
  /** Log destination (default stdout). */
  logDestination?: pino.DestinationStream;
  env?: Readonly<Record<string, string | undefined>>;
}

const serverPackageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function loadPlugins(config: ResolvedServerConfig, print: (line: string) => void) {
  const registry = await discoverPlugins({
    resolveFrom: config.baseDir,
    ...(config.plugins !== undefined ? { explicit: config.plugins, explicitOnly: true } : { searchFrom: [config.baseDir, serverPackageDir] }),
  });
  const problems = registry.problems();
  if (config.plugins !== undefined && problems.length > 0) {
    throw new ConfigError(`Some configured plugins cannot be used:\n${problems.map((p) => `  ${p.packageName}: ${p.problem}`).join('\n')}`);
  }
  for (const p of problems) print(`warning: skipping plugin package ${p.packageName}: ${p.problem}`);
  const plugins: CancellablePlugin<unknown>[] = [];
  const emulations: ServiceEmulation[] = [];
  for (const entry of registry.list()) {
    try {
      plugins.push(await entry.load());
    } catch (error) {
      const message = `plugin ${entry.manifest.id} (${entry.packageName}) could not be loaded: ${toCancelKitError(error).message}`;
      if (config.plugins !== undefined) throw new ConfigError(message);
      print(`warning: skipping ${message}`);
      continue;
    }
    if (config.backend === 'emulator') {
      const emulation = await entry.loadEmulation().catch(() => undefined);
      if (emulation && !emulations.some((e) => e.service === emulation.service)) emulations.push(emulation);
    }
  }
  return { plugins, emulations };
}

/** A cancel request a newcomer can paste: one fresh emulator operation, params built from the manifest's example. */
function demoRequest(plugins: readonly CancellablePlugin<unknown>[], emulator: RunningEmulator): { plugin: string; params: Record<string, unknown> } | undefined {
  for (const plugin of [...plugins].sort((a, b) => a.manifest.id.localeCompare(b.manifest.id))) {
    const { manifest } = plugin;
    if (!emulator.services.includes(manifest.service)) continue;
    try {
      const operation = emulator.createOperation(manifest.service, {});
      const example = manifest.examples?.[0] ?? {};
      const params: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(example)) {
        if (key === manifest.targetParam) params[key] = Array.isArray(value) ? [operation.id] : operation.id;
        else params[key] = key in operation ? operation[key] : value;
      }
      if (!(manifest.targetParam in params)) params[manifest.targetParam] = operation.id;
      plugin.parse(params);
      return { plugin: manifest.id, params };
    } catch {
      /* this plugin's example does not fit its emulation: try the next one */
    }
  }
  return undefined;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export async function startServer(config: ResolvedServerConfig, options: StartOptions = {}): Promise<StartedServer> {
  const print = options.print ?? ((line: string) => process.stderr.write(`${line}\n`));
  let tokens: readonly TokenSpec[] = config.tokens;
  let devToken: string | undefined;
  if (tokens.length === 0) {
    if (config.backend !== 'emulator') {
      throw new ConfigError('No API tokens are configured. Add "tokens": [{ "name": "...", "token": "..." }] to the config or set CANCELKIT_SERVER_TOKENS=name:token.');
    }
    devToken = `ckdev_${randomBytes(24).toString('base64url')}`;
    tokens = [{ name: 'dev', token: devToken }];
  }

  const { plugins, emulations } = await loadPlugins(config, print);
  if (plugins.length === 0) print('warning: no plugins found; install cancelkit-plugin packages or list them under "plugins" in the config.');

  let emulator: RunningEmulator | undefined;
  let cancelkit: CancelKitConfig = config.cancelkit;
  if (config.backend === 'emulator') {
    const { startEmulator, DEMO_CREDENTIALS } = await import('@cancelkit/emulator');
    const credential = { accessKeyId: DEMO_CREDENTIALS.accessKeyId, secret: DEMO_CREDENTIALS.accessKeySecret, projectId: DEMO_CREDENTIALS.projectId };
    emulator = await startEmulator({ port: 0, host: '127.0.0.1', credentials: [credential], emulations });
    const { providers: _providers, endpoints: _endpoints, profile: _profile, ...rest } = config.cancelkit;
    // The emulator backend never reaches a real cloud: endpoints, keys and the environment are its own.
    cancelkit = {
      ...rest,
      // Each provider's emulation protocol says how its clients use the emulator's key.
      providers: emulatorClientSettings(emulations, credential).providers,
      endpoints: { '*': emulator.url },
      env: {},
      homeDir: path.join(tmpdir(), 'cancelkit-server-emulator-home'),
    };
  }

  const database = config.database ?? (config.backend === 'emulator' ? ':memory:' : path.resolve(config.baseDir, 'cancelkit-server.db'));
  let app: FastifyInstance | undefined;
  try {
    app = buildServer({
      plugins,
      tokens,
      database,
      cancelkit,
      limits: config.limits,
      log: { level: config.logLevel, ...(options.logDestination ? { destination: options.logDestination } : {}) },
      backend: emulator ? `emulator at ${emulator.url}` : 'cloud',
    });
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    // A server built but not listening (the port is taken) still holds the job database's exclusive lock
    // and the engine: close it, so nothing of this attempt outlives it.
    await app?.close().catch(() => undefined);
    await emulator?.stop();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  app.log.info({ url, backend: config.backend, plugins: plugins.map((p) => p.manifest.id), database }, 'cancelkit-server ready');

  print(`cancelkit-server ${SERVER_VERSION} listening on ${url}`);
  print(emulator ? `backend: in-process emulator at ${emulator.url} (no real cloud is called)` : 'backend: the real clouds');
  print(`plugins: ${plugins.map((p) => p.manifest.id).join(', ') || '(none)'}`);
  print(`database: ${database === ':memory:' ? 'in memory (pass --db FILE to keep the audit trail across restarts)' : database}`);
  if (devToken) {
    print(`dev token (none was configured; valid until this process exits): ${devToken}`);
    print('');
    print('Try it:');
    print(`  curl -s ${url}/v1/plugins -H ${shellQuote(`Authorization: Bearer ${devToken}`)}`);
    const demo = emulator ? demoRequest(plugins, emulator) : undefined;
    if (demo) {
      print(
        `  curl -s ${url}/v1/cancellations -H ${shellQuote(`Authorization: Bearer ${devToken}`)} -H 'Content-Type: application/json' -d ${shellQuote(JSON.stringify(demo))}`,
      );
    }
  }

  let closing: Promise<void> | undefined;
  return {
    app,
    url,
    plugins: plugins.map((p) => p.manifest),
    ...(emulator ? { emulator } : {}),
    ...(devToken ? { devToken } : {}),
    close() {
      closing ??= (async () => {
        await app.close();
        await emulator?.stop();
      })();
      return closing;
    },
  };
}
