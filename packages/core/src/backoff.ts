import type { RetryConfig } from './config.js';

/**
 * Exponential backoff with full jitter (AWS architecture blog): delay = random(0, min(cap, base·2^n)).
 * A server's retry hint wins when it is longer.
 */
export function backoffDelay(
  attempt: number,
  retry: RetryConfig,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.floor(random() * ceiling);
  return retryAfterMs !== undefined && retryAfterMs > jittered ? Math.min(retryAfterMs, 60_000) : jittered;
}
