/**
 * Emulator state: operations by service and id, in memory. Handlers receive live objects (they may
 * change `status` in place), so the server marks the state dirty after every state-changing call rather
 * than relying on `put` alone.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { invalidInput } from '@cancelkit/core/plugin';
import type { EmulatedOperation, EmulationStore } from '@cancelkit/core/emulation';

export class OperationStore implements EmulationStore {
  readonly #byService = new Map<string, Map<string, EmulatedOperation>>();
  /** Called after every `put` (persistence hooks in here). */
  onChange: (() => void) | undefined;

  list(service: string): EmulatedOperation[] {
    const operations = this.#byService.get(service);
    return operations ? [...operations.values()] : [];
  }

  get(service: string, id: string): EmulatedOperation | undefined {
    return this.#byService.get(service)?.get(id);
  }

  put(operation: EmulatedOperation): void {
    if (typeof operation?.service !== 'string' || operation.service === '' || typeof operation.id !== 'string' || operation.id === '') {
      throw new TypeError('An emulated operation needs a non-empty string "service" and "id".');
    }
    let operations = this.#byService.get(operation.service);
    if (!operations) {
      operations = new Map();
      this.#byService.set(operation.service, operations);
    }
    operations.set(operation.id, operation);
    this.onChange?.();
  }

  /** Every operation of every service, in insertion order. */
  all(): EmulatedOperation[] {
    const out: EmulatedOperation[] = [];
    for (const operations of this.#byService.values()) out.push(...operations.values());
    return out;
  }

  clear(): void {
    this.#byService.clear();
    this.onChange?.();
  }
}

const STATE_FORMAT = 'cancelkit-emulator-state';
/** How long after a failed state write it is tried again (each failure is logged once per try). */
export const RETRY_DELAY_MS = 5_000;

interface StateFile {
  format: typeof STATE_FORMAT;
  version: 1;
  savedAt: string;
  operations: EmulatedOperation[];
  /**
   * Signature nonces still inside the replay window, `[nonce, expiresAt ms]`, so a request captured
   * before a restart is still refused after it. Optional: files written before it existed load as none.
   */
  nonces?: [string, number][];
}

/** What a state file holds. */
export interface SavedState {
  operations: EmulatedOperation[];
  nonces: [string, number][];
}

/** Reads a state file; a missing file is an empty state, anything unreadable is refused (never wiped). */
export function readStateFile(file: string): SavedState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { operations: [], nonces: [] };
    throw invalidInput([{ field: 'statePath', message: `cannot read ${file}: ${(error as Error).message}` }], 'emulator options');
  }
  let parsed: Partial<StateFile>;
  try {
    parsed = JSON.parse(text) as Partial<StateFile>;
  } catch (error) {
    throw invalidInput(
      [{ field: 'statePath', message: `${file} is not JSON (${(error as Error).message})`, hint: 'delete it or pass another --state file' }],
      'emulator options',
    );
  }
  if (parsed?.format !== STATE_FORMAT || !Array.isArray(parsed.operations)) {
    throw invalidInput(
      [{ field: 'statePath', message: `${file} is not a cancelkit emulator state file`, hint: 'delete it or pass another --state file' }],
      'emulator options',
    );
  }
  const operations = parsed.operations.filter(
    (op): op is EmulatedOperation => typeof op === 'object' && op !== null && typeof op.service === 'string' && typeof op.id === 'string',
  );
  const nonces = (Array.isArray(parsed.nonces) ? parsed.nonces : []).filter(
    (entry): entry is [string, number] =>
      Array.isArray(entry) && entry.length === 2 && typeof entry[0] === 'string' && entry[0] !== '' && Number.isFinite(entry[1]),
  );
  return { operations, nonces };
}

/**
 * Writes the state atomically (temporary file + rename, so a crash never leaves half a file), debounced
 * so a burst of calls costs one write; `flush()` writes anything pending (stop() calls it).
 */
export class StatePersister {
  #timer: NodeJS.Timeout | undefined;
  /** When the pending timer fires (Date.now() ms, the clock setTimeout runs on). */
  #dueAt = 0;
  #writing: Promise<void> | undefined;
  #dirty = false;
  /** The shortest delay asked for since the last write began. */
  #pendingDelay = Number.POSITIVE_INFINITY;
  #sequence = 0;
  readonly #writerId = randomBytes(4).toString('hex');
  /** The last write error, if the latest write failed (reported in the access log). */
  lastError: Error | undefined;

  constructor(
    readonly file: string,
    readonly snapshot: () => SavedState,
    readonly now: () => number,
    readonly debounceMs = 25,
    readonly onError?: (error: Error) => void,
    readonly retryDelayMs = RETRY_DELAY_MS,
  ) {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  }

  /**
   * Schedules a write within `delayMs` (default the debounce). A longer delay suits changes that only
   * matter across a restart (used nonces; `stop()` flushes them), so a stream of signed calls costs at
   * most one write per that delay; a shorter delay moves a pending write earlier, never later.
   */
  markDirty(delayMs: number = this.debounceMs): void {
    this.#dirty = true;
    this.#pendingDelay = Math.min(this.#pendingDelay, delayMs);
    if (this.#writing === undefined) this.#schedule(delayMs);
  }

  /**
   * Writes what is pending now. A write that fails leaves the state dirty (and retried on a timer while
   * running); `flush` tries once more and then rejects with the error, so a stop says the state file is
   * behind instead of returning as if it were saved.
   */
  async flush(): Promise<void> {
    this.#cancelTimer();
    if (this.#writing) await this.#writing;
    this.#cancelTimer(); // the write that just ended may have scheduled the next one
    if (this.#dirty) await this.#write();
    this.#cancelTimer();
    if (this.#dirty && this.lastError) throw this.lastError;
  }

  #cancelTimer(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #schedule(delayMs: number): void {
    const dueAt = Date.now() + delayMs;
    if (this.#timer !== undefined) {
      if (this.#dueAt <= dueAt) return;
      clearTimeout(this.#timer);
    }
    this.#dueAt = dueAt;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#write();
    }, delayMs);
  }

  /**
   * One write; changes made meanwhile are scheduled with the delay they asked for. A failed write keeps
   * the state dirty and is tried again after `retryDelayMs` (a full disk or a permission fixed later must
   * not leave the file behind until some unrelated change happens to come along).
   */
  #write(): Promise<void> {
    this.#writing ??= (async () => {
      let failed = false;
      try {
        this.#dirty = false;
        this.#pendingDelay = Number.POSITIVE_INFINITY;
        failed = !(await this.#writeOnce());
      } finally {
        this.#writing = undefined;
        if (failed) {
          this.#dirty = true;
          this.#schedule(Math.max(this.#pendingDelay === Number.POSITIVE_INFINITY ? 0 : this.#pendingDelay, this.retryDelayMs));
        } else if (this.#dirty) this.#schedule(this.#pendingDelay === Number.POSITIVE_INFINITY ? this.debounceMs : this.#pendingDelay);
      }
    })();
    return this.#writing;
  }

  /** Writes the whole state to a temporary file and renames it over the file; false (reported) on failure. */
  async #writeOnce(): Promise<boolean> {
    // Unique per writer, not only per process: two emulators in one process may share a state file.
    const temporary = `${this.file}.${process.pid}.${this.#writerId}.${++this.#sequence}.tmp`;
    try {
      const { operations, nonces } = this.snapshot();
      const state: Omit<StateFile, 'nonces'> = {
        format: STATE_FORMAT,
        version: 1,
        savedAt: new Date(this.now()).toISOString(),
        operations,
      };
      // Operations pretty-printed for people; the nonces (up to a million) one compact array. Inside the
      // try: an operation a plugin's emulation made unserialisable (a BigInt, a cycle) is a reported
      // write failure, not an unhandled rejection from a timer.
      const text = `${JSON.stringify(state, null, 2).slice(0, -2)},\n  "nonces": ${JSON.stringify(nonces)}\n}\n`;
      await writeFile(temporary, text, 'utf8');
      await rename(temporary, this.file);
      this.lastError = undefined;
      return true;
    } catch (error) {
      this.lastError = error as Error;
      await rm(temporary, { force: true }).catch(() => undefined);
      this.onError?.(error as Error);
      return false;
    }
  }
}
