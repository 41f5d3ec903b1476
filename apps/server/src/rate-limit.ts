/** Per-token request rate limit: a token bucket per principal name, refilled continuously. */

export interface RateLimitSettings {
  /** Sustained requests per second per token. */
  readonly perSecond: number;
  /** Requests a token may make at once before the sustained rate applies. */
  readonly burst: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class TokenRateLimiter {
  readonly #buckets = new Map<string, Bucket>();

  constructor(
    readonly settings: RateLimitSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one request from `key`'s bucket; returns 0 when allowed, else the ms until one is available. */
  take(key: string): number {
    const now = this.now();
    const { perSecond, burst } = this.settings;
    const bucket = this.#buckets.get(key) ?? { tokens: burst, updatedAt: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * perSecond);
    bucket.updatedAt = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) / perSecond) * 1000);
  }
}
