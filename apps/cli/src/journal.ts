/**
 * The batch journal: one NDJSON line per final result, appended and fsync'd before the next record is
 * reported, so a crash (even SIGKILL) loses at most the line being written. Re-running the same command
 * with the same journal skips every target that a journalled outcome settled (anything but `failed`; a
 * later `failed` line does not undo it). A torn last line is ignored and the file is repaired before appending.
 */
import { closeSync, fdatasyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { Outcome } from '@cancelkit/core/plugin';
import { CancelKitError, OUTCOMES } from '@cancelkit/core/plugin';
import type { ResultRecord } from './records.js';

const key = (plugin: string, target: string) => `${plugin}\u0000${target}`;

export interface JournalEntry {
  plugin: string;
  target: string;
  outcome: Outcome;
  /** `--wait` gave up on it (exit 10): a resumed run's exit code must still say so. */
  timedOut?: true;
}

function entryOf(plugin: string, target: string, outcome: Outcome, waited: unknown): JournalEntry {
  // A wait that gave up (inspect refused) exits 10 like a timeout, so the journal marks it the same way.
  const w = typeof waited === 'object' && waited !== null ? (waited as { timedOut?: unknown; gaveUp?: unknown }) : undefined;
  const timedOut = w !== undefined && (w.timedOut === true || (typeof w.gaveUp === 'object' && w.gaveUp !== null));
  return { plugin, target, outcome, ...(timedOut ? { timedOut: true as const } : {}) };
}

/**
 * Records an entry as the target's latest, except that a failure never replaces a settled outcome: once a
 * run settled a target it stays settled (a later `failed` line for it comes from a bad batch line naming
 * the same target, or from a second line with the same target, and must not make a re-run cancel it again).
 */
function remember(entries: Map<string, JournalEntry>, entry: JournalEntry): void {
  const k = key(entry.plugin, entry.target);
  if (entry.outcome === 'failed' && entries.has(k) && entries.get(k)?.outcome !== 'failed') return;
  entries.set(k, entry);
}

/** Reads journal text: the last outcome per target (settled wins over a later failure). Unparsable lines (a torn write) are skipped. */
export function readJournalText(text: string): Map<string, JournalEntry> {
  const entries = new Map<string, JournalEntry>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    const e = value as Partial<ResultRecord>;
    if (typeof e?.plugin !== 'string' || typeof e.target !== 'string' || !(OUTCOMES as readonly unknown[]).includes(e.outcome)) continue;
    remember(entries, entryOf(e.plugin, e.target, e.outcome as Outcome, e.waited));
  }
  return entries;
}

export class Journal {
  readonly #fd: number;
  readonly #entries: Map<string, JournalEntry>;
  readonly #redact: (text: string) => string;
  #closed = false;

  private constructor(
    readonly file: string,
    fd: number,
    entries: Map<string, JournalEntry>,
    redact: (text: string) => string,
  ) {
    this.#fd = fd;
    this.#entries = entries;
    this.#redact = redact;
  }

  /**
   * `redact` is applied to every line before it is written (the CLI passes its secret registry's), so a
   * credential a cloud echoed in an error message lands in the journal file as `[REDACTED]`, as on screen.
   */
  static open(file: string, redact: (text: string) => string = (text) => text): Journal {
    let fd: number;
    try {
      fd = openSync(file, 'a+');
    } catch (error) {
      throw new CancelKitError('InvalidInput', `Cannot open journal ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, {
        hint: 'Check the --journal path and that its directory exists and is writable.',
      });
    }
    const text = readFileSync(file, 'utf8');
    const journal = new Journal(file, fd, readJournalText(text), redact);
    if (text.length > 0 && !text.endsWith('\n')) {
      // A torn last line (crash mid-write): end it so the next record starts on a line of its own.
      writeSync(fd, '\n');
      fdatasyncSync(fd);
    }
    return journal;
  }

  /** True when the journal already holds a settled outcome for this target. */
  isSettled(plugin: string, target: string): boolean {
    return this.settled(plugin, target) !== undefined;
  }

  /** The settled entry for this target (its outcome from an earlier run), if there is one. */
  settled(plugin: string, target: string): JournalEntry | undefined {
    const entry = this.#entries.get(key(plugin, target));
    return entry !== undefined && entry.outcome !== 'failed' ? entry : undefined;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Appends one record and syncs it to disk before returning. */
  append(record: ResultRecord): void {
    if (this.#closed) throw new Error('journal is closed');
    // writeSync may write fewer bytes than asked (a nearly full disk, some network filesystems): loop, so
    // a line is never torn in the middle of a run with the next one appended onto it.
    const line = Buffer.from(`${this.#redact(JSON.stringify(record))}\n`, 'utf8');
    for (let written = 0; written < line.length; ) written += writeSync(this.#fd, line, written, line.length - written);
    fdatasyncSync(this.#fd);
    remember(this.#entries, entryOf(record.plugin, record.target, record.outcome, record.waited));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
  }
}
