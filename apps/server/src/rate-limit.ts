/** Request rate limits: a token bucket per key (a token's name, a client address), refilled continuously. */

export interface RateLimitSettings {
  /** Sustained requests per second per key. */
  readonly perSecond: number;
  /** Requests a key may make at once before the sustained rate applies. */
  readonly burst: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class TokenRateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  /**
   * Keys are client addresses for the failed-authentication limit, so anyone can add keys: above this
   * many buckets, the ones that have refilled completely (they hold no information) are dropped.
   */
  readonly #pruneAbove: number;

  constructor(
    readonly settings: RateLimitSettings,
    private readonly now: () => number = Date.now,
    options: { pruneAbove?: number } = {},
  ) {
    this.#pruneAbove = options.pruneAbove ?? 10_000;
  }

  /** Buckets held (tests). */
  get size(): number {
    return this.#buckets.size;
  }

  #refilled(key: string, now: number): Bucket | undefined {
    const bucket = this.#buckets.get(key);
    if (!bucket) return undefined;
    bucket.tokens = Math.min(this.settings.burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.settings.perSecond);
    bucket.updatedAt = now;
    return bucket;
  }

  #waitFor(bucket: Bucket): number {
    return Math.ceil(((1 - bucket.tokens) / this.settings.perSecond) * 1000);
  }

  /** Takes one request from `key`'s bucket; returns 0 when allowed, else the ms until one is available. */
  take(key: string): number {
    const now = this.now();
    let bucket = this.#refilled(key, now);
    if (!bucket) {
      if (this.#buckets.size >= this.#pruneAbove) this.#prune(now);
      bucket = { tokens: this.settings.burst, updatedAt: now };
      this.#buckets.set(key, bucket);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return this.#waitFor(bucket);
  }

  /** Like `take` but spends nothing: 0 when `key` could make a request now, else the ms until it can. */
  peek(key: string): number {
    const bucket = this.#refilled(key, this.now());
    return !bucket || bucket.tokens >= 1 ? 0 : this.#waitFor(bucket);
  }

  #prune(now: number): void {
    for (const key of [...this.#buckets.keys()]) {
      const bucket = this.#refilled(key, now);
      if (bucket && bucket.tokens >= this.settings.burst) this.#buckets.delete(key);
    }
    // Still full (many addresses, all recently limited): memory wins over memory of the oldest keys.
    for (const key of this.#buckets.keys()) {
      if (this.#buckets.size < this.#pruneAbove) break;
      this.#buckets.delete(key);
    }
  }
}
