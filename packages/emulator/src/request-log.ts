/**
 * The log of cloud requests the emulator received, newest last. Bounded (a ring) so a load test does not
 * grow memory without limit. Entries never hold headers, query strings or bodies: those carry signatures
 * and security tokens.
 */
export interface SignatureVerdict {
  /** The scheme the protocol recognised (`ACS3-HMAC-SHA256`, `SDK-HMAC-SHA256`, `token`, …). */
  readonly scheme: string;
  readonly ok: boolean;
  /** The cloud's error code when the check failed. */
  readonly code?: string;
}

export interface RequestLogEntry {
  /** When the request arrived (ISO 8601, emulator clock). */
  readonly time: string;
  readonly method: string;
  /** Path as received, without the query string. */
  readonly path: string;
  readonly action?: string;
  readonly service?: string;
  readonly protocol?: string;
  /** Absent when the request was never authenticated (unroutable, or refused before). */
  readonly signature?: SignatureVerdict;
  /** HTTP status answered; 0 when the connection was reset instead. */
  readonly status: number;
  readonly accessKeyId?: string;
  readonly requestId?: string;
  /** The fault injected, if any: `deny`, `throttle`, `maxQps`, `serverError`, `reset-before`, `reset-after`. */
  readonly fault?: string;
  /** Why the emulator failed internally (handler bug), if it did. */
  readonly error?: string;
  readonly durationMs: number;
}

export const REQUEST_LOG_CAPACITY = 10_000;

export class RequestLog {
  #entries: RequestLogEntry[] = [];
  #start = 0;

  constructor(readonly capacity: number = REQUEST_LOG_CAPACITY) {}

  add(entry: RequestLogEntry): void {
    if (this.#entries.length < this.capacity) {
      this.#entries.push(entry);
      return;
    }
    this.#entries[this.#start] = entry;
    this.#start = (this.#start + 1) % this.capacity;
  }

  list(): RequestLogEntry[] {
    return [...this.#entries.slice(this.#start), ...this.#entries.slice(0, this.#start)];
  }

  clear(): void {
    this.#entries = [];
    this.#start = 0;
  }
}

/** One access-log line; no query string (it may hold a security token). */
export function formatAccessLine(entry: RequestLogEntry): string {
  const verdict = entry.signature ? `${entry.signature.scheme}:${entry.signature.ok ? 'ok' : (entry.signature.code ?? 'failed')}` : '-';
  const parts = [
    entry.time,
    entry.method,
    entry.path,
    entry.action ?? '-',
    entry.service ?? '-',
    entry.status === 0 ? 'RESET' : String(entry.status),
    verdict,
    `${entry.durationMs.toFixed(1)}ms`,
  ];
  if (entry.fault) parts.push(`fault=${entry.fault}`);
  if (entry.error) parts.push(`error=${JSON.stringify(entry.error)}`);
  return parts.join(' ');
}
