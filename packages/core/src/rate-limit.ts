import type { Clock } from './contract.js';

/**
 * A token bucket: `qps` tokens per second, holding at most `burst`. Waiters are served in order, so a
 * batch cannot starve one target.
 */
export class TokenBucket {
  #tokens: number;
  #last: number;
  #queue: Promise<void> = Promise.resolve();

  constructor(
    readonly qps: number,
    readonly burst: number,
    private readonly clock: Clock,
  ) {
    if (!(qps > 0)) throw new RangeError(`qps must be > 0, got ${qps}`);
    if (!(burst >= 1)) throw new RangeError(`burst must be >= 1, got ${burst}`);
    this.#tokens = burst;
    this.#last = clock.now();
  }

  #refill(): void {
    const now = this.clock.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.qps);
    this.#last = now;
  }

  /** Resolves when a token is available (and takes it). */
  take(signal?: AbortSignal): Promise<void> {
    const turn = this.#queue.then(async () => {
      for (;;) {
        signal?.throwIfAborted();
        this.#refill();
        if (this.#tokens >= 1) {
          this.#tokens -= 1;
          return;
        }
        const waitMs = Math.ceil(((1 - this.#tokens) / this.qps) * 1000);
        await this.clock.sleep(Math.max(1, waitMs), signal);
      }
    });
    // The chain must survive a waiter's abort.
    this.#queue = turn.catch(() => undefined);
    return turn;
  }
}

/** One bucket per service, created on first use. */
export class RateLimiters {
  readonly #buckets = new Map<string, TokenBucket>();
  constructor(
    private readonly qpsFor: (service: string) => number | undefined,
    private readonly clock: Clock,
  ) {}

  take(service: string, signal?: AbortSignal): Promise<void> {
    let bucket = this.#buckets.get(service);
    if (!bucket) {
      const qps = this.qpsFor(service);
      if (qps === undefined || !Number.isFinite(qps)) return Promise.resolve();
      bucket = new TokenBucket(qps, Math.max(1, Math.ceil(qps / 5)), this.clock);
      this.#buckets.set(service, bucket);
    }
    return bucket.take(signal);
  }
}
