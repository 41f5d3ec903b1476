/**
 * Remembers signature nonces for a window (the clouds refuse a reused nonce within 15 minutes). The window
 * is 31 minutes from first sight, not 15: a request is accepted with its timestamp up to 15 minutes either
 * side of the clock, so one signed 15 minutes ahead stays acceptable until 30 minutes after it arrived,
 * and its nonce must be remembered that long or the replay would pass. Entries
 * are kept in insertion order, so expiry is a cheap pop from the front; the size cap bounds memory at
 * thousands of requests per second (the oldest nonces are forgotten first).
 */
export const NONCE_WINDOW_MS = 31 * 60 * 1000;
export const NONCE_CACHE_MAX = 1_000_000;

export class NonceCache {
  readonly #expiries = new Map<string, number>();

  constructor(
    readonly windowMs: number = NONCE_WINDOW_MS,
    readonly maxEntries: number = NONCE_CACHE_MAX,
  ) {}

  /** Records `nonce`; false when it was already used inside the window (a replay). */
  use(nonce: string, now: number): boolean {
    this.#evictExpired(now);
    const expiry = this.#expiries.get(nonce);
    if (expiry !== undefined && expiry > now) return false;
    // Delete first so a re-used expired nonce moves to the back of the insertion order.
    this.#expiries.delete(nonce);
    this.#expiries.set(nonce, now + this.windowMs);
    if (this.#expiries.size > this.maxEntries) {
      const oldest = this.#expiries.keys().next();
      if (!oldest.done) this.#expiries.delete(oldest.value);
    }
    return true;
  }

  /**
   * The nonces still inside their window, oldest first, as `[nonce, expiresAt]` pairs (what `--state`
   * saves, so a request captured before a restart cannot be replayed after it).
   */
  snapshot(now: number): [string, number][] {
    this.#evictExpired(now);
    return [...this.#expiries];
  }

  /**
   * Adds saved `[nonce, expiresAt]` pairs, dropping the expired ones (and any expiry further away than one
   * window, which no honest file holds). Returns how many were dropped.
   */
  load(entries: readonly (readonly [string, number])[], now: number): number {
    let dropped = 0;
    const sorted = [...entries].sort((a, b) => a[1] - b[1]);
    for (const [nonce, expiresAt] of sorted) {
      if (expiresAt <= now) {
        dropped++;
        continue;
      }
      const expiry = Math.min(expiresAt, now + this.windowMs);
      const known = this.#expiries.get(nonce);
      if (known !== undefined && known >= expiry) continue;
      this.#expiries.delete(nonce);
      this.#expiries.set(nonce, expiry);
    }
    while (this.#expiries.size > this.maxEntries) {
      const oldest = this.#expiries.keys().next();
      if (oldest.done) break;
      this.#expiries.delete(oldest.value);
    }
    return dropped;
  }

  get size(): number {
    return this.#expiries.size;
  }

  clear(): void {
    this.#expiries.clear();
  }

  #evictExpired(now: number): void {
    for (const [nonce, expiry] of this.#expiries) {
      if (expiry > now) return;
      this.#expiries.delete(nonce);
    }
  }
}
