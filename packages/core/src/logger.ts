/** A small structured logger interface and a redacting wrapper. Secrets never reach a sink. */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export interface LogRecord {
  level: LogLevel;
  message: string;
  fields: Record<string, unknown>;
}

export type LogSink = (record: LogRecord) => void;

/** Field names whose values are always replaced, whatever they contain. */
const SENSITIVE_KEY = /secret|password|token|authorization|signature|credential|^sk$|accesskeysecret|cookie/i;
export const REDACTED = '[REDACTED]';

/** A set of secret strings that grows as credentials are resolved; shared by logger and error output. */
export class SecretRegistry {
  readonly #secrets = new Set<string>();
  /** The secrets longest first, rebuilt when one is added (rare) rather than on every redaction. */
  #longestFirst: string[] = [];

  add(secret: string | undefined): void {
    // Very short strings would redact ordinary words; real secrets are long.
    if (typeof secret !== 'string' || secret.length < 4 || this.#secrets.has(secret)) return;
    this.#secrets.add(secret);
    this.#longestFirst = [...this.#secrets].sort((a, b) => b.length - a.length);
  }

  get size(): number {
    return this.#secrets.size;
  }

  redactString(text: string): string {
    let out = text;
    // Longest first: a shorter secret inside a longer one (a key id that prefixes a token) must not cut
    // the longer one apart and leave the rest of it readable.
    for (const secret of this.#longestFirst) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    return out;
  }

  /** Deep copy with secrets replaced and sensitive keys masked. Cycles are cut. */
  redact(value: unknown, seen = new WeakSet<object>()): unknown {
    if (typeof value === 'string') return this.redactString(value);
    if (typeof value !== 'object' || value === null) return value;
    if (seen.has(value)) return '[Circular]';
    seen.add(value);
    if (value instanceof Error) {
      return { name: value.name, message: this.redactString(value.message) };
    }
    if (Array.isArray(value)) return value.map((v) => this.redact(v, seen));
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      out[key] = SENSITIVE_KEY.test(key) && v !== undefined && v !== null && v !== '' ? REDACTED : this.redact(v, seen);
    }
    return out;
  }
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(options: {
  sink: LogSink;
  level?: LogLevel;
  secrets?: SecretRegistry;
  bindings?: LogFields;
}): Logger {
  const secrets = options.secrets ?? new SecretRegistry();
  const min = LEVELS[options.level ?? 'info'];
  const bindings = options.bindings ?? {};
  const emit = (level: LogLevel) => (message: string, fields?: LogFields) => {
    if (LEVELS[level] < min) return;
    options.sink({
      level,
      message: secrets.redactString(message),
      fields: secrets.redact({ ...bindings, ...fields }) as Record<string, unknown>,
    });
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

export const silentLogger: Logger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
});

/** A sink writing one JSON line per record to a stream (stderr by default). */
export function jsonLineSink(write: (line: string) => void = (l) => process.stderr.write(l)): LogSink {
  return (record) => write(`${JSON.stringify({ level: record.level, msg: record.message, ...record.fields })}\n`);
}
