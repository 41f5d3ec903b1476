/**
 * Options of `startEmulator`, their defaults, their validation and the `CANCELKIT_EMULATOR_*`
 * environment variables (the CLI's `cancelkit emulator` command reads them through
 * `emulatorOptionsFromEnv`).
 */
import { type InputIssue, invalidInput } from '@cancelkit/core/plugin';
import { type EmulatorCredential, isServiceEmulation, type ServiceEmulation } from '@cancelkit/core/emulation';

/** The demo key every example and test uses; it is public and grants access to nothing but the emulator. */
export const DEMO_CREDENTIALS: { readonly accessKeyId: string; readonly accessKeySecret: string; readonly projectId: string } =
  Object.freeze({
    accessKeyId: 'cancelkit-demo-ak',
    accessKeySecret: 'cancelkit-demo-sk',
    projectId: 'cancelkit-demo-project',
  });

export const DEFAULT_PORT = 8787;
export const DEFAULT_HOST = '127.0.0.1';
/** Requests with a larger body are refused with 413 before any protocol sees them. */
export const MAX_BODY_BYTES = 1024 * 1024;

export const EMULATOR_ENV = Object.freeze({
  accessKeyId: 'CANCELKIT_EMULATOR_ACCESS_KEY_ID',
  accessKeySecret: 'CANCELKIT_EMULATOR_ACCESS_KEY_SECRET',
  projectId: 'CANCELKIT_EMULATOR_PROJECT_ID',
  port: 'CANCELKIT_EMULATOR_PORT',
  host: 'CANCELKIT_EMULATOR_HOST',
  statePath: 'CANCELKIT_EMULATOR_STATE',
});

export interface StartEmulatorOptions {
  /** Default 8787; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Keys the emulator accepts; default the demo key (`DEMO_CREDENTIALS`). */
  credentials?: EmulatorCredential[];
  /** IAM tokens accepted in `X-Auth-Token`, each standing for a credential; default none. */
  tokens?: Record<string, EmulatorCredential>;
  /** The services to play; if omitted (and `plugins` too), discovered from installed plugin packages. */
  emulations?: ServiceEmulation[];
  /** Plugin package names or directories to load emulations from (`--plugin`). */
  plugins?: string[];
  /** Where plugin names are resolved from and discovery starts (default the current directory). */
  resolveFrom?: string;
  /** Persist operations as JSON in this file across restarts (`--state FILE`). */
  statePath?: string;
  /** Passed to every handler as `call.settings` (e.g. DDS error codes). */
  settings?: Record<string, unknown>;
  /** Clock in ms since epoch (tests). */
  now?: () => number;
  /** Access-log sink: one line per request, and problems found while loading plugins. */
  log?: (line: string) => void;
}

export function defaultCredential(): EmulatorCredential {
  return {
    accessKeyId: DEMO_CREDENTIALS.accessKeyId,
    secret: DEMO_CREDENTIALS.accessKeySecret,
    projectId: DEMO_CREDENTIALS.projectId,
  };
}

/**
 * Options from `CANCELKIT_EMULATOR_*` variables. Each credential variable overrides one field of the demo
 * credential; unset variables are left out so explicit options (flags) can be layered on top.
 */
export function emulatorOptionsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): StartEmulatorOptions {
  const options: StartEmulatorOptions = {};
  const issues: InputIssue[] = [];
  const value = (name: string): string | undefined => {
    const raw = env[name];
    return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
  };
  const accessKeyId = value(EMULATOR_ENV.accessKeyId);
  const secret = env[EMULATOR_ENV.accessKeySecret] === '' ? undefined : env[EMULATOR_ENV.accessKeySecret];
  const projectId = value(EMULATOR_ENV.projectId);
  if (accessKeyId !== undefined || secret !== undefined || projectId !== undefined) {
    const demo = defaultCredential();
    options.credentials = [
      {
        accessKeyId: accessKeyId ?? demo.accessKeyId,
        secret: secret ?? demo.secret,
        projectId: projectId ?? demo.projectId ?? '',
      },
    ];
  }
  const port = value(EMULATOR_ENV.port);
  if (port !== undefined) {
    const parsed = /^\d+$/.test(port) ? Number(port) : Number.NaN;
    if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) {
      issues.push({ field: EMULATOR_ENV.port, message: `"${port}" is not a port number`, hint: 'use an integer from 0 to 65535 (0 picks a free port)' });
    } else options.port = parsed;
  }
  const host = value(EMULATOR_ENV.host);
  if (host !== undefined) options.host = host;
  const statePath = value(EMULATOR_ENV.statePath);
  if (statePath !== undefined) options.statePath = statePath;
  if (issues.length > 0) throw invalidInput(issues, 'environment');
  return options;
}

export interface ResolvedOptions {
  port: number;
  host: string;
  credentials: EmulatorCredential[];
  tokens: Record<string, EmulatorCredential>;
  statePath?: string;
  settings: Record<string, unknown>;
  now: () => number;
  log?: (line: string) => void;
}

/** Validates options, naming every bad field; no server is started when this throws. */
export function resolveOptions(options: StartEmulatorOptions): ResolvedOptions {
  const issues: InputIssue[] = [];
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    issues.push({ field: 'port', message: `${String(port)} is not a port number`, hint: 'use an integer from 0 to 65535 (0 picks a free port)' });
  }
  const host = options.host ?? DEFAULT_HOST;
  if (typeof host !== 'string' || host.trim() === '') issues.push({ field: 'host', message: 'must be a host name or IP address' });
  const credentials = options.credentials ?? [defaultCredential()];
  if (!Array.isArray(credentials) || credentials.length === 0) {
    issues.push({ field: 'credentials', message: 'must list at least one credential', hint: 'omit it to accept the demo key' });
  } else {
    credentials.forEach((credential, index) => {
      if (typeof credential?.accessKeyId !== 'string' || credential.accessKeyId === '') {
        issues.push({ field: `credentials.${index}.accessKeyId`, message: 'must be a non-empty string' });
      }
      if (typeof credential?.secret !== 'string' || credential.secret === '') {
        issues.push({ field: `credentials.${index}.secret`, message: 'must be a non-empty string' });
      }
    });
  }
  const tokens = options.tokens ?? {};
  for (const [token, credential] of Object.entries(tokens)) {
    if (token === '' || typeof credential?.accessKeyId !== 'string' || credential.accessKeyId === '') {
      issues.push({ field: 'tokens', message: 'each token must be a non-empty string mapped to a credential with an accessKeyId' });
      break;
    }
  }
  if (options.emulations !== undefined) {
    if (!Array.isArray(options.emulations)) issues.push({ field: 'emulations', message: 'must be an array of ServiceEmulation' });
    else
      options.emulations.forEach((emulation, index) => {
        if (!isServiceEmulation(emulation)) {
          issues.push({ field: `emulations.${index}`, message: 'is not a ServiceEmulation', hint: "build it with defineEmulation() from '@cancelkit/core/emulation'" });
        }
      });
  }
  if (options.plugins !== undefined && (!Array.isArray(options.plugins) || options.plugins.some((p) => typeof p !== 'string' || p === ''))) {
    issues.push({ field: 'plugins', message: 'must be an array of package names or directories' });
  }
  if (options.statePath !== undefined && (typeof options.statePath !== 'string' || options.statePath === '')) {
    issues.push({ field: 'statePath', message: 'must be a file path' });
  }
  if (options.now !== undefined && typeof options.now !== 'function') issues.push({ field: 'now', message: 'must be a function returning ms since epoch' });
  if (options.log !== undefined && typeof options.log !== 'function') issues.push({ field: 'log', message: 'must be a function taking one line' });
  if (issues.length > 0) throw invalidInput(issues, 'emulator options');
  const resolved: ResolvedOptions = {
    port,
    host: host.trim(),
    credentials: credentials.map((c) => ({ ...c })),
    tokens: { ...tokens },
    settings: { ...(options.settings ?? {}) },
    now: options.now ?? Date.now,
  };
  if (options.statePath !== undefined) resolved.statePath = options.statePath;
  if (options.log !== undefined) resolved.log = options.log;
  return resolved;
}
