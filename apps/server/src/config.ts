/**
 * The server's configuration: a JSON file (`--config` / `CANCELKIT_SERVER_CONFIG`), then environment
 * variables, then flags, each overriding the one before. Validated with zod so a typo is a startup error
 * naming the key, not a silently ignored setting.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { CancelKitConfig } from '@cancelkit/core';
import { describeJsonSyntaxError } from '@cancelkit/core/plugin';
import { z } from 'zod';
import { parseTokensEnv, type TokenSpec } from './auth.js';
import type { ServerLimits } from './server.js';

const positiveInt = z.int().positive();

const TokenSchema = z.strictObject({
  name: z.string().min(1),
  token: z.string().optional(),
  sha256: z.string().optional(),
  plugins: z.array(z.string().min(1)).optional(),
});

export const ServerConfigSchema = z.strictObject({
  host: z.string().min(1).optional(),
  port: z.int().min(0).max(65535).optional(),
  /** SQLite file; relative paths are relative to the config file. */
  database: z.string().min(1).optional(),
  /** `emulator`: an in-process emulator plays every cloud. `cloud`: the real clouds. */
  backend: z.enum(['emulator', 'cloud']).optional(),
  tokens: z.array(TokenSchema).optional(),
  /** Plugin packages (names or directories). Absent: every installed package with the `cancelkit-plugin` keyword. */
  plugins: z.array(z.string().min(1)).optional(),
  limits: z
    .strictObject({
      bodyBytes: positiveInt.optional(),
      maxTargets: positiveInt.optional(),
      requestTimeoutMs: positiveInt.optional(),
      syncWaitMs: z.int().min(0).optional(),
      maxConcurrentJobs: positiveInt.optional(),
      shutdownGraceMs: z.int().min(0).optional(),
      idempotencyTtlMs: positiveInt.optional(),
      rateLimit: z.strictObject({ perSecond: z.number().positive().optional(), burst: positiveInt.optional() }).optional(),
      authFailureRateLimit: z.strictObject({ perSecond: z.number().positive().optional(), burst: positiveInt.optional() }).optional(),
    })
    .optional(),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).optional(),
  // Core settings, passed to createCancelKit as they are.
  providers: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  endpoints: z.record(z.string(), z.string()).optional(),
  allowInsecureHttp: z.boolean().optional(),
  concurrency: positiveInt.optional(),
  rateLimits: z.record(z.string(), z.number().positive()).optional(),
  retry: z.strictObject({ maxAttempts: positiveInt.optional(), baseDelayMs: z.number().min(0).optional(), maxDelayMs: z.number().min(0).optional() }).optional(),
  timeoutMs: positiveInt.optional(),
  wait: z.strictObject({ intervalMs: positiveInt.optional(), timeoutMs: positiveInt.optional() }).optional(),
  profile: z.string().optional(),
});

export type ServerConfigFile = z.infer<typeof ServerConfigSchema>;

export interface ResolvedServerConfig {
  readonly host: string;
  readonly port: number;
  /** Undefined: the default for the backend (in-memory for the emulator, ./cancelkit-server.db for the cloud). */
  readonly database: string | undefined;
  readonly backend: 'emulator' | 'cloud';
  readonly tokens: readonly TokenSpec[];
  readonly plugins: readonly string[] | undefined;
  /** Where plugin names are resolved from (the config file's directory, or the working directory). */
  readonly baseDir: string;
  readonly limits: Partial<Omit<ServerLimits, 'rateLimit' | 'authFailureRateLimit'>> & {
    rateLimit?: Partial<ServerLimits['rateLimit']>;
    authFailureRateLimit?: Partial<ServerLimits['authFailureRateLimit']>;
  };
  readonly logLevel: NonNullable<ServerConfigFile['logLevel']>;
  readonly cancelkit: CancelKitConfig;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface CliFlags {
  config?: string;
  host?: string;
  port?: number;
  database?: string;
  backend?: 'emulator' | 'cloud';
  logLevel?: ResolvedServerConfig['logLevel'];
  help?: boolean;
  version?: boolean;
}

export const USAGE = `Usage: cancelkit-server [options]

Options:
  --config <file>     JSON config file (env CANCELKIT_SERVER_CONFIG)
  --emulator          Serve against an in-process emulator (the default when no cloud config is given)
  --cloud             Serve against the real clouds (credentials from the config or the environment)
  --host <host>       Listen address (env CANCELKIT_SERVER_HOST, default 127.0.0.1)
  --port <port>       Listen port (env CANCELKIT_SERVER_PORT, default 8080; 0 picks a free one)
  --db <file>         SQLite job database (env CANCELKIT_SERVER_DB)
  --log-level <level> trace|debug|info|warn|error|silent (env CANCELKIT_SERVER_LOG_LEVEL)
  -h, --help          Show this help
  -v, --version       Show the version

Environment:
  CANCELKIT_SERVER_TOKENS  name:token[:plugin1,plugin2] entries separated by ';' (added to the config's tokens)
`;

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

function portOf(value: string, where: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`${where}: "${value}" is not a port number (0-65535).`);
  return port;
}

function levelOf(value: string, where: string): ResolvedServerConfig['logLevel'] {
  if (!(LOG_LEVELS as readonly string[]).includes(value)) throw new ConfigError(`${where}: "${value}" is not one of ${LOG_LEVELS.join(', ')}.`);
  return value as ResolvedServerConfig['logLevel'];
}

export function parseFlags(argv: readonly string[]): CliFlags {
  const flags: CliFlags = {};
  const value = (i: number, name: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v === '' || v.startsWith('--')) throw new ConfigError(`${name} needs a value.`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const take = (): string => {
      // An empty value (`--host ''`, `--host=`) is no value: an empty host would listen on every interface.
      if (inline === '') throw new ConfigError(`${name} needs a value.`);
      if (inline !== undefined) return inline;
      const v = value(i, name);
      i++;
      return v;
    };
    switch (name) {
      case '--config':
        flags.config = take();
        break;
      case '--host':
        flags.host = take();
        break;
      case '--port':
        flags.port = portOf(take(), '--port');
        break;
      case '--db':
      case '--database':
        flags.database = take();
        break;
      case '--emulator':
        flags.backend = 'emulator';
        break;
      case '--cloud':
        flags.backend = 'cloud';
        break;
      case '--log-level':
        flags.logLevel = levelOf(take(), '--log-level');
        break;
      case '-h':
      case '--help':
        flags.help = true;
        break;
      case '-v':
      case '--version':
        flags.version = true;
        break;
      default:
        throw new ConfigError(`Unknown option "${arg}". Run cancelkit-server --help.`);
    }
  }
  return flags;
}

function readConfigFile(file: string): ServerConfigFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read the config file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`The config file ${file} is not valid JSON: ${describeJsonSyntaxError(error)}.`);
  }
  const parsed = ServerConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const at = issue.path.map(String).join('.');
      return issue.code === 'unrecognized_keys' ? `  ${[at, ...issue.keys].filter(Boolean).join('.')}: unknown key` : `  ${at || '(root)'}: ${issue.message}`;
    });
    throw new ConfigError(`The config file ${file} is invalid:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** The project file the CLI reads too; the server takes only its `plugins` list from it. */
export const PROJECT_CONFIG_FILE = 'cancelkit.config.json';

/**
 * The explicit `plugins` list of `cancelkit.config.json` in `dir`, if that file exists and has one. One list
 * serves a project's CLI and server alike; a server config file's own `plugins` wins over it.
 */
export function projectPlugins(dir: string): string[] | undefined {
  const file = path.join(dir, PROJECT_CONFIG_FILE);
  if (!existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${file} is not valid JSON (${describeJsonSyntaxError(error)}).`);
  }
  const plugins = typeof parsed === 'object' && parsed !== null ? (parsed as { plugins?: unknown }).plugins : undefined;
  if (plugins === undefined) return undefined;
  if (!Array.isArray(plugins) || !plugins.every((p): p is string => typeof p === 'string' && p !== '')) {
    throw new ConfigError(`${file}: "plugins" must be a list of package names or paths, such as ["@cancelkit/plugin-alibaba-ecs"].`);
  }
  return plugins;
}

/** File, then environment, then flags. */
export function resolveServerConfig(flags: CliFlags, env: Readonly<Record<string, string | undefined>>, cwd: string): ResolvedServerConfig {
  const configPath = flags.config ?? env['CANCELKIT_SERVER_CONFIG'];
  const file = configPath ? readConfigFile(path.resolve(cwd, configPath)) : {};
  const baseDir = configPath ? path.dirname(path.resolve(cwd, configPath)) : cwd;

  const envTokens = env['CANCELKIT_SERVER_TOKENS'] ? parseTokensEnv(env['CANCELKIT_SERVER_TOKENS']) : [];
  const envBackend = env['CANCELKIT_SERVER_BACKEND'];
  if (envBackend !== undefined && envBackend !== 'emulator' && envBackend !== 'cloud') {
    throw new ConfigError(`CANCELKIT_SERVER_BACKEND: "${envBackend}" must be "emulator" or "cloud".`);
  }
  const hasCloudConfig = file.providers !== undefined || file.endpoints !== undefined;
  const backend = flags.backend ?? (envBackend as 'emulator' | 'cloud' | undefined) ?? file.backend ?? (hasCloudConfig ? 'cloud' : 'emulator');

  const envDb = env['CANCELKIT_SERVER_DB'];
  // `:memory:` means SQLite's in-memory database wherever it is given (flag, variable or file), never a
  // file of that name in the working directory.
  const located = (value: string, from: string) => (value === ':memory:' ? ':memory:' : path.resolve(from, value));
  const database = flags.database ? located(flags.database, cwd) : envDb ? located(envDb, cwd) : file.database ? located(file.database, baseDir) : undefined;

  const cancelkit: CancelKitConfig = {};
  const copy = <K extends keyof CancelKitConfig & keyof ServerConfigFile>(key: K) => {
    if (file[key] !== undefined) (cancelkit as Record<string, unknown>)[key] = file[key];
  };
  for (const key of ['providers', 'endpoints', 'allowInsecureHttp', 'concurrency', 'rateLimits', 'retry', 'timeoutMs', 'wait', 'profile'] as const) copy(key);

  return {
    // An empty variable is unset, as for every other variable here (an empty host would listen on every interface).
    host: flags.host ?? (env['CANCELKIT_SERVER_HOST'] || undefined) ?? file.host ?? '127.0.0.1',
    port: flags.port ?? (env['CANCELKIT_SERVER_PORT'] ? portOf(env['CANCELKIT_SERVER_PORT'], 'CANCELKIT_SERVER_PORT') : (file.port ?? 8080)),
    database,
    backend,
    tokens: [...(file.tokens ?? []), ...envTokens],
    plugins: file.plugins ?? projectPlugins(baseDir),
    baseDir,
    limits: file.limits ?? {},
    logLevel: flags.logLevel ?? (env['CANCELKIT_SERVER_LOG_LEVEL'] ? levelOf(env['CANCELKIT_SERVER_LOG_LEVEL'], 'CANCELKIT_SERVER_LOG_LEVEL') : (file.logLevel ?? 'info')),
    cancelkit,
  };
}
