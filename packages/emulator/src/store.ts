/**
 * Emulator state: operations by service and id, in memory. Handlers receive live objects (they may
 * change `status` in place), so the server marks the state dirty after every state-changing call rather
 * than relying on `put` alone.
 */
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

interface StateFile {
  format: typeof STATE_FORMAT;
  version: 1;
  savedAt: string;
  operations: EmulatedOperation[];
}

/** Reads a state file; a missing file is an empty state, anything unreadable is refused (never wiped). */
export function readStateFile(file: string): EmulatedOperation[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
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
  return parsed.operations.filter(
    (op): op is EmulatedOperation => typeof op === 'object' && op !== null && typeof op.service === 'string' && typeof op.id === 'string',
  );
}

/**
 * Writes the state atomically (temporary file + rename, so a crash never leaves half a file), debounced
 * so a burst of calls costs one write; `flush()` writes anything pending (stop() calls it).
 */
export class StatePersister {
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;
  #dirty = false;
  #sequence = 0;
  /** The last write error, if the latest write failed (reported in the access log). */
  lastError: Error | undefined;

  constructor(
    readonly file: string,
    readonly snapshot: () => EmulatedOperation[],
    readonly now: () => number,
    readonly debounceMs = 25,
    readonly onError?: (error: Error) => void,
  ) {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  }

  markDirty(): void {
    this.#dirty = true;
    if (this.#timer === undefined && this.#writing === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.#writeLoop();
      }, this.debounceMs);
    }
  }

  async flush(): Promise<void> {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#writing) await this.#writing;
    if (this.#dirty) await this.#writeLoop();
  }

  #writeLoop(): Promise<void> {
    this.#writing ??= (async () => {
      try {
        while (this.#dirty) {
          this.#dirty = false;
          await this.#writeOnce();
        }
      } finally {
        this.#writing = undefined;
      }
    })();
    return this.#writing;
  }

  async #writeOnce(): Promise<void> {
    const state: StateFile = {
      format: STATE_FORMAT,
      version: 1,
      savedAt: new Date(this.now()).toISOString(),
      operations: this.snapshot(),
    };
    const temporary = `${this.file}.${process.pid}.${++this.#sequence}.tmp`;
    try {
      await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`, 'utf8');
      await rename(temporary, this.file);
      this.lastError = undefined;
    } catch (error) {
      this.lastError = error as Error;
      await rm(temporary, { force: true }).catch(() => undefined);
      this.onError?.(error as Error);
    }
  }
}
