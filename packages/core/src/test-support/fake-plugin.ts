/**
 * A small in-memory plugin for core's tests: operations live in a Map, and faults can be scripted per
 * call so the engine's promises can be tested under failure.
 */
import { definePlugin } from '../contract.js';
import type { CancellablePlugin, CancelOutcome, Clock, OperationState } from '../contract.js';
import { CancelKitError, type ErrorCode, invalidInput } from '../errors.js';

export interface FakeOperation {
  status: 'running' | 'done' | 'cancelled' | 'locked';
}

export interface FakeParams {
  ids: string[];
}

export type Fault = { code: ErrorCode; ambiguous?: boolean; applyFirst?: boolean; retryAfterMs?: number };

export class FakeCloud {
  readonly ops = new Map<string, FakeOperation>();
  readonly cancelCalls: string[][] = [];
  readonly inspectCalls: string[][] = [];
  /** Faults consumed one per cancel call, in order. */
  cancelFaults: Fault[] = [];
  inspectFaults: Fault[] = [];
  /** Per-id fault: thrown whenever a cancel call includes this id. */
  poisoned = new Map<string, Fault>();
  inFlight = 0;
  maxInFlight = 0;
  delayMs = 0;
  /** Return outcomes for targets twice / skip some (to test the engine's exactly-once guarantee). */
  misbehave: 'none' | 'duplicate' | 'omit' | 'extra' = 'none';

  constructor(readonly clock?: Clock) {}

  add(id: string, status: FakeOperation['status'] = 'running'): void {
    this.ops.set(id, { status });
  }

  #throw(fault: Fault): never {
    throw new CancelKitError(fault.code, `injected ${fault.code}`, {
      ambiguous: fault.ambiguous ?? false,
      providerCode: `Fake.${fault.code}`,
      requestId: 'req-fault',
      ...(fault.retryAfterMs !== undefined ? { retryAfterMs: fault.retryAfterMs } : {}),
    });
  }

  state(id: string): OperationState {
    const op = this.ops.get(id);
    if (!op) return { target: id, found: false, terminal: false, cancelled: false, cancellable: false };
    return {
      target: id,
      found: true,
      status: op.status,
      terminal: op.status === 'done' || op.status === 'cancelled',
      cancelled: op.status === 'cancelled',
      cancellable: op.status === 'running',
      ...(op.status === 'locked' ? { reason: 'locked by maintenance' } : {}),
      requestId: 'req-inspect',
    };
  }

  /** Runs after each inspect answered (to simulate the cloud applying a change late). */
  afterInspect?: () => void;

  async inspect(ids: string[]): Promise<OperationState[]> {
    this.inspectCalls.push(ids);
    const fault = this.inspectFaults.shift();
    if (fault) this.#throw(fault);
    const states = ids.map((id) => this.state(id));
    this.afterInspect?.();
    return states;
  }

  async cancel(ids: string[]): Promise<CancelOutcome[]> {
    this.cancelCalls.push(ids);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
      for (const id of ids) {
        const poison = this.poisoned.get(id);
        if (poison) this.#throw(poison);
      }
      const fault = this.cancelFaults.shift();
      if (fault && !fault.applyFirst) this.#throw(fault);
      const outcomes: CancelOutcome[] = ids.map((id) => {
        const op = this.ops.get(id);
        if (!op) return { target: id, outcome: 'not-found', requestId: 'req-cancel' };
        if (op.status === 'running') {
          op.status = 'cancelled';
          return { target: id, outcome: 'cancelled', requestId: 'req-cancel' };
        }
        if (op.status === 'locked') return { target: id, outcome: 'not-cancellable', reason: 'locked', requestId: 'req-cancel' };
        return { target: id, outcome: 'already-finished', requestId: 'req-cancel' };
      });
      // A fault after the change was applied: the caller cannot tell whether it happened.
      if (fault?.applyFirst) this.#throw(fault);
      if (this.misbehave === 'duplicate') return [...outcomes, ...outcomes];
      if (this.misbehave === 'omit') return outcomes.slice(1);
      if (this.misbehave === 'extra') return [...outcomes, { target: 'stranger', outcome: 'cancelled' }];
      return outcomes;
    } finally {
      this.inFlight--;
    }
  }
}

export function fakePlugin(cloud: FakeCloud, overrides: { id?: string; service?: string; coreRange?: string; inspect?: boolean; defaultQps?: number } = {}): CancellablePlugin<FakeParams> {
  const id = overrides.id ?? 'fake.jobs.job';
  return definePlugin<FakeParams>({
    manifest: {
      id,
      provider: 'fake',
      service: overrides.service ?? 'fake.jobs',
      operation: 'job',
      title: 'Fake job',
      docsUrl: 'https://example.invalid/docs',
      paramsSchema: { type: 'object', properties: { ids: { type: 'array', items: { type: 'string' } } }, required: ['ids'] },
      targetParam: 'ids',
      capabilities: { inspect: overrides.inspect ?? true, batch: true, wait: true },
      coreRange: overrides.coreRange ?? '^0.1.0',
      ...(overrides.defaultQps !== undefined ? { defaultQps: overrides.defaultQps } : {}),
    },
    parse(input: unknown): FakeParams {
      const ids = (input as { ids?: unknown } | undefined)?.ids;
      const list = typeof ids === 'string' ? ids.split(',') : ids;
      if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === 'string' && x.length > 0)) {
        throw invalidInput([{ field: 'ids', message: 'must be one or more ids', hint: 'pass ids: ["a","b"]' }]);
      }
      return { ids: list as string[] };
    },
    targets: (params) => params.ids,
    select: (_params, targets) => ({ ids: [...targets] }),
    ...(overrides.inspect === false ? {} : { inspect: (params: FakeParams) => cloud.inspect(params.ids) }),
    cancel: (params) => cloud.cancel(params.ids),
  });
}

/** A clock whose sleeps complete at once and move time forward: deterministic timing tests. */
export class VirtualClock implements Clock {
  t = 1_000_000;
  readonly sleeps: number[] = [];
  now(): number {
    return this.t;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.sleeps.push(ms);
    this.t += ms;
    await Promise.resolve();
    signal?.throwIfAborted();
  }
}
