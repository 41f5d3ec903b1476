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

  /**
   * After a waiter slept for its token, up to one token more than `burst` may have accrued: timers fire
   * late, and capping at `burst` would lose that time on every wait (at 500 qps a 1 ms late timer costs a
   * third of the rate). Keeping less than one extra token never lets more than `burst + qps` requests into
   * any one second, the same bound as a strict cap.
   */
  #refill(afterWait: boolean): void {
    const now = this.clock.now();
    const cap = afterWait ? this.burst + 0.999 : this.burst;
    this.#tokens = Math.min(cap, this.#tokens + ((now - this.#last) / 1000) * this.qps);
    this.#last = now;
  }

  /** Resolves when a token is available (and takes it). */
  take(signal?: AbortSignal): Promise<void> {
    const turn = this.#queue.then(async () => {
      for (let waited = false; ; waited = true) {
        signal?.throwIfAborted();
        this.#refill(waited);
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

/** A service's limit: `qps` tokens per second, at most `burst` at once. */
export interface RateLimit {
  readonly qps: number;
  readonly burst: number;
}

/**
 * The burst a plugin's own `defaultQps` gets: a fifth of a second's worth, so a short batch starts
 * promptly. A rate the user sets (config `rateLimits`, CLI `--qps`) gets a burst of 1 instead, because
 * it usually mirrors a hard service limit counted over a sliding second (with qps/5 on top, a long batch
 * at exactly that limit is throttled).
 */
export function defaultBurst(qps: number): number {
  return Math.max(1, Math.ceil(qps / 5));
}

/** One bucket per service, created on first use. */
export class RateLimiters {
  readonly #buckets = new Map<string, TokenBucket>();
  constructor(
    private readonly limitFor: (service: string) => RateLimit | undefined,
    private readonly clock: Clock,
  ) {}

  take(service: string, signal?: AbortSignal): Promise<void> {
    let bucket = this.#buckets.get(service);
    if (!bucket) {
      const limit = this.limitFor(service);
      if (limit === undefined || !Number.isFinite(limit.qps)) return Promise.resolve();
      bucket = new TokenBucket(limit.qps, limit.burst, this.clock);
      this.#buckets.set(service, bucket);
    }
    return bucket.take(signal);
  }
}
