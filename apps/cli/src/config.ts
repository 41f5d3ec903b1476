/**
 * `cancelkit.config.json`: plugins to load, endpoints, provider settings, rate limits… Read from
 * `--config FILE` or the current directory, validated (unknown keys are typos, and typos are errors),
 * then overlaid with command-line flags, which always win.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SecretRegistry } from '@cancelkit/core/plugin';
import { CancelKitError, describeJsonSyntaxError } from '@cancelkit/core/plugin';

export const DEFAULT_CONFIG_FILE = 'cancelkit.config.json';

export interface CliConfigFile {
  /** Plugin packages to load: names (resolved from the config's directory) or paths. */
  plugins?: string[];
  /** Also scan node_modules for packages with the `cancelkit-plugin` keyword (default true). */
  discover?: boolean;
  profile?: string;
  endpoints?: Record<string, string>;
  allowInsecureHttp?: boolean;
  providers?: Record<string, Record<string, unknown>>;
  concurrency?: number;
  rateLimits?: Record<string, number>;
  retry?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  timeoutMs?: number;
  wait?: { intervalMs?: number; timeoutMs?: number };
}

export interface LoadedConfig {
  readonly file?: string;
  /** Directory relative plugin paths are resolved from. */
  readonly dir: string;
  readonly content: CliConfigFile;
}

const KEYS: Record<keyof CliConfigFile, string> = {
  plugins: 'array',
  discover: 'boolean',
  profile: 'string',
  endpoints: 'record:string',
  allowInsecureHttp: 'boolean',
  providers: 'record:object',
  concurrency: 'number',
  rateLimits: 'record:number',
  retry: 'object',
  timeoutMs: 'number',
  wait: 'object',
};

/** The keys of the object-valued settings, and what each value must be. */
const NESTED: Record<'retry' | 'wait', Record<string, 'positive integer' | 'number of 0 or more' | 'positive number'>> = {
  retry: { maxAttempts: 'positive integer', baseDelayMs: 'number of 0 or more', maxDelayMs: 'number of 0 or more' },
  wait: { intervalMs: 'positive number', timeoutMs: 'positive number' },
};

function configError(file: string, message: string, hint?: string): CancelKitError {
  return new CancelKitError('InvalidInput', `${file}: ${message}`, { hint: hint ?? `Fix ${path.basename(file)} (see \`cancelkit --help\`, "Config file").` });
}

function checkShape(file: string, content: unknown): CliConfigFile {
  if (typeof content !== 'object' || content === null || Array.isArray(content)) throw configError(file, 'must hold a JSON object.');
  for (const [key, value] of Object.entries(content)) {
    const expected = KEYS[key as keyof CliConfigFile];
    if (!expected) {
      throw configError(file, `unknown key "${key}".`, `Known keys: ${Object.keys(KEYS).join(', ')}.`);
    }
    const [kind, inner] = expected.split(':');
    const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
    let ok: boolean;
    if (kind === 'array') ok = Array.isArray(value) && value.every((v) => typeof v === 'string');
    else if (kind === 'record') {
      ok =
        isObject(value) &&
        Object.values(value as object).every((v) => (inner === 'object' ? isObject(v) : typeof v === inner && (inner !== 'number' || (Number.isFinite(v) && (v as number) > 0))));
    } else if (kind === 'object') ok = isObject(value);
    else if (kind === 'number') ok = typeof value === 'number' && Number.isFinite(value) && value > 0;
    else ok = typeof value === kind;
    if (!ok) {
      const what = kind === 'array' ? 'an array of strings' : kind === 'record' ? `an object of ${inner === 'number' ? 'positive numbers' : `${inner}s`}` : kind === 'number' ? 'a positive number' : `a ${kind}`;
      throw configError(file, `"${key}" must be ${what}.`);
    }
    if (key === 'retry' || key === 'wait') {
      const known = NESTED[key];
      for (const [inner, v] of Object.entries(value as object)) {
        const need = known[inner];
        if (!need) throw configError(file, `unknown key "${key}.${inner}".`, `Known keys of "${key}": ${Object.keys(known).join(', ')}.`);
        const fits =
          typeof v === 'number' && Number.isFinite(v) && (need === 'number of 0 or more' ? v >= 0 : v > 0 && (need !== 'positive integer' || Number.isInteger(v)));
        if (!fits) throw configError(file, `"${key}.${inner}" must be a ${need}.`);
      }
    }
  }
  return content as CliConfigFile;
}

/** Reads the config file; a missing default file is an empty config, a missing explicit one an error. */
export function loadConfigFile(explicit: string | undefined, cwd: string): LoadedConfig {
  const file = path.resolve(cwd, explicit ?? DEFAULT_CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (explicit === undefined && (error as NodeJS.ErrnoException).code === 'ENOENT') return { dir: cwd, content: {} };
    throw new CancelKitError('InvalidInput', `Cannot read config file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, {
      hint: 'Check the --config path.',
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw configError(file, `is not valid JSON (${describeJsonSyntaxError(error)}).`);
  }
  return { file, dir: path.dirname(file), content: checkShape(file, parsed) };
}

const SECRET_KEY = /secret|token|password|^sk$|credential/i;

/** Registers provider settings that look secret, so they are redacted even before a request is made. */
export function registerConfigSecrets(content: CliConfigFile, secrets: SecretRegistry): void {
  for (const settings of Object.values(content.providers ?? {})) {
    for (const [key, value] of Object.entries(settings)) if (SECRET_KEY.test(key) && typeof value === 'string') secrets.add(value);
  }
}
