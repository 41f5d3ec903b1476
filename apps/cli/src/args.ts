/**
 * Argument parsing on `node:util` parseArgs (no CLI framework: see README, start-up cost). Parsing is
 * lenient at the parseArgs level and strict here, so every mistake becomes one usage error naming the
 * flag and the fix, with a "did you mean" when a known flag is close.
 */
import { parseArgs } from 'node:util';
import { CancelKitError } from '@cancelkit/core/plugin';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** Placeholder in help: `--timeout <duration>`. */
  readonly valueName?: string;
  readonly description: string;
  /** Shown as `--no-<name>` in help (booleans that default to on). */
  readonly negated?: boolean;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** Every global flag the CLI knows. Commands pick their subset. */
export const GLOBAL_OPTIONS = {
  help: { type: 'boolean', short: 'h', description: 'Show help for the command.' },
  config: { type: 'string', valueName: 'file', description: 'Config file (default: cancelkit.config.json in the current directory).' },
  profile: { type: 'string', valueName: 'name', description: 'Credential profile, passed to the provider credential chains.' },
  endpoint: {
    type: 'string',
    valueName: 'url',
    description: "Override the service endpoint (a batch: every service's). Plain http only for loopback.",
  },
  'allow-insecure-http': { type: 'boolean', description: 'Allow plain http to a non-loopback --endpoint.' },
  output: { type: 'string', short: 'o', valueName: 'table|json|ndjson', description: 'Output format (default: table on a terminal, json otherwise).' },
  precheck: { type: 'boolean', negated: true, description: 'Skip the pre-check through inspect and send the cancel at once.' },
  wait: {
    type: 'boolean',
    description: 'After cancelling, poll until the operation reaches a terminal state (exit 10 if --timeout passes first, or if its state cannot be read).',
  },
  timeout: { type: 'string', valueName: 'duration', description: 'How long --wait waits (10m, 90s, 1h; default 10m).' },
  concurrency: { type: 'string', valueName: 'n', description: 'Targets in flight at once in a batch (default 8).' },
  qps: { type: 'string', valueName: 'n', description: 'Requests per second, per service (default: each plugin’s own).' },
  from: { type: 'string', valueName: 'file|-', description: 'Batch input: NDJSON ({"plugin","params"} per line) or CSV with a plugin column; - for stdin.' },
  journal: { type: 'string', valueName: 'file', description: 'Append each final result (fsync’d); a re-run skips targets already settled.' },
  params: { type: 'string', valueName: 'json', description: 'Params as a JSON object (merged under the flags).' },
  debug: { type: 'boolean', description: 'JSON debug log lines on stderr (secrets redacted) and stack traces.' },
  quiet: { type: 'boolean', short: 'q', description: 'Print only errors; results only with an explicit --output json|ndjson.' },
  color: { type: 'boolean', negated: true, description: 'Disable colours (NO_COLOR is honoured too).' },
} as const satisfies OptionSpecs;

export type GlobalOptionName = keyof typeof GLOBAL_OPTIONS;

export function pickOptions(names: readonly GlobalOptionName[]): Record<string, OptionSpec> {
  const out: Record<string, OptionSpec> = {};
  for (const name of names) out[name] = GLOBAL_OPTIONS[name];
  return out;
}

export function usageError(message: string, hint?: string): CancelKitError {
  return new CancelKitError('InvalidInput', message, hint === undefined ? {} : { hint });
}

function distance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0] as number;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const temp = dp[j] as number;
      dp[j] = Math.min((dp[j] as number) + 1, (dp[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = temp;
    }
  }
  return dp[b.length] as number;
}

/** The closest candidate, if it is close enough to be a likely typo (or a prefix). */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const score = c.startsWith(input) || input.startsWith(c) ? 1 : distance(input, c);
    if (score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best !== undefined && bestScore <= Math.max(2, Math.floor(input.length / 3)) ? best : undefined;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

export interface ParseContext {
  /** `cancelkit cancel alibaba.ecs.task`: used in messages and hints. */
  readonly commandLine: string;
  /** Where the user can see the valid flags. */
  readonly helpCommand: string;
}

const NEGATIVE_NUMBER = /^-\d+(\.\d+)?$/;

/** Parses with the given options; unknown flags, missing values and stray values are usage errors. */
export function parseStrict(args: readonly string[], options: OptionSpecs, context: ParseContext): ParsedArgs {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(options)) {
    config[name] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) };
  }
  const { values, positionals, tokens } = parseArgs({
    args: [...args],
    options: config,
    strict: false,
    allowPositionals: true,
    allowNegative: true,
    tokens: true,
  });
  const seen = new Set<string>();
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const spec = options[token.name];
    if (!spec) {
      const close = suggest(token.name, Object.keys(options));
      throw usageError(
        `Unknown flag ${token.rawName} for \`${context.commandLine}\`.`,
        close ? `Did you mean --${close}? See \`${context.helpCommand}\`.` : `See \`${context.helpCommand}\` for its flags.`,
      );
    }
    const negated = token.rawName.startsWith('--no-') && !token.rawName.slice(2).startsWith(token.name);
    if (spec.type === 'boolean') {
      if (token.value !== undefined) throw usageError(`${token.rawName} takes no value (got "${token.value}").`, `Write ${token.rawName} on its own.`);
      continue;
    }
    if (negated) throw usageError(`${token.rawName} is not a flag; --${token.name} takes a value.`, `Pass --${token.name} <${spec.valueName ?? 'value'}>.`);
    const value = token.value;
    // `--concurrency -3` is a wrong number, not a missing value: negative numbers are values (no flag is
    // a digit), so the flag's own check can say what it needs.
    if (value === undefined || (!token.inlineValue && value.startsWith('-') && value !== '-' && !NEGATIVE_NUMBER.test(value))) {
      throw usageError(`${token.rawName} needs a value.`, `Pass ${token.rawName} <${spec.valueName ?? 'value'}>.`);
    }
    if (!spec.multiple && seen.has(token.name)) {
      throw usageError(`${token.rawName} was given more than once.`, `Pass ${token.rawName} once.`);
    }
    seen.add(token.name);
  }
  return { values: values as ParsedArgs['values'], positionals };
}

/**
 * Finds the first positional without knowing every flag yet (plugin flags come from the plugin's
 * manifest, which is chosen by that positional). Flags not in `known` are assumed to take a value
 * unless written as `--flag=value`, which holds for every plugin param except booleans.
 */
export function firstPositional(args: readonly string[], known: OptionSpecs): { value: string; index: number } | undefined {
  const shorts = new Map(Object.entries(known).flatMap(([name, spec]) => (spec.short ? [[spec.short, name] as const] : [])));
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') return i + 1 < args.length ? { value: args[i + 1] as string, index: i + 1 } : undefined;
    if (arg === '-' || !arg.startsWith('-')) return { value: arg, index: i };
    if (arg.includes('=')) continue;
    let name: string;
    if (arg.startsWith('--')) name = arg.slice(2);
    else {
      if (arg.length > 2) continue;
      name = shorts.get(arg.slice(1)) ?? '';
    }
    const spec = known[name];
    if (spec?.type === 'boolean' || (!spec && name.startsWith('no-'))) continue;
    if (!spec && (known[name.replace(/^no-/, '')]?.type === 'boolean')) continue;
    i++; // skip the value
  }
  return undefined;
}

/** `10m`, `90s`, `1h30m`, `500ms`, or plain seconds → milliseconds. */
export function parseDuration(text: string, flag = '--timeout'): number {
  const trimmed = text.trim();
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  // Plain seconds (`90`) read as `90s`, so they meet the same checks.
  let rest = /^\d+(\.\d+)?$/.test(trimmed) ? `${trimmed}s` : trimmed;
  const part = /^(\d+(?:\.\d+)?)(ms|s|m|h)/;
  if (rest.length === 0) rest = 'x';
  while (rest.length > 0) {
    const m = part.exec(rest);
    if (!m) throw usageError(`${flag} "${text}" is not a duration.`, `Use a number with a unit, e.g. ${flag} 10m, 90s, 1h30m or 500ms.`);
    total += Number(m[1]) * (units[m[2] as string] as number);
    rest = rest.slice(m[0].length);
  }
  if (Math.round(total) <= 0) throw usageError(`${flag} must be longer than zero.`, `e.g. ${flag} 10m`);
  return Math.round(total);
}

export function parsePositiveInteger(text: string, flag: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n <= 0) {
    throw usageError(`${flag} must be a positive integer (got "${text}").`, `e.g. ${flag} 8`);
  }
  return n;
}

export function parsePositiveNumber(text: string, flag: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) throw usageError(`${flag} must be a positive number (got "${text}").`, `e.g. ${flag} 20`);
  return n;
}

export function stringValue(values: ParsedArgs['values'], name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function booleanValue(values: ParsedArgs['values'], name: string): boolean | undefined {
  const v = values[name];
  return typeof v === 'boolean' ? v : undefined;
}
