import { describe, expect, it } from 'vitest';
import { NONCE_WINDOW_MS, NonceCache } from './nonce-cache.js';
import { RequestLog, type RequestLogEntry } from './request-log.js';

describe('NonceCache', () => {
  it('refuses a nonce inside the window (at least 15 minutes) and forgets it after', () => {
    const cache = new NonceCache();
    expect(NONCE_WINDOW_MS).toBeGreaterThanOrEqual(15 * 60 * 1000);
    expect(cache.use('a', 0)).toBe(true);
    expect(cache.use('a', 15 * 60 * 1000)).toBe(false);
    expect(cache.use('b', NONCE_WINDOW_MS)).toBe(true);
    expect(cache.size).toBe(1); // 'a' expired and was evicted
    expect(cache.use('a', NONCE_WINDOW_MS)).toBe(true);
  });

  it('is bounded, forgetting the oldest first', () => {
    const cache = new NonceCache(60_000, 3);
    for (const n of ['a', 'b', 'c', 'd']) expect(cache.use(n, 1)).toBe(true);
    expect(cache.size).toBe(3);
    expect(cache.use('b', 2)).toBe(false);
    expect(cache.use('a', 2)).toBe(true);
  });
});

describe('NonceCache snapshot and load (what --state keeps)', () => {
  it('snapshots the nonces inside the window and loads them back, dropping expired ones', () => {
    const cache = new NonceCache(1000);
    cache.use('a', 0);
    cache.use('b', 500);
    expect(cache.snapshot(999)).toEqual([
      ['a', 1000],
      ['b', 1500],
    ]);
    expect(cache.snapshot(1000)).toEqual([['b', 1500]]);

    const restored = new NonceCache(1000);
    expect(restored.load([['b', 1500], ['a', 1000], ['far', 99_999]], 1200)).toBe(1);
    expect(restored.use('b', 1200)).toBe(false);
    expect(restored.use('a', 1200)).toBe(true);
    // An expiry beyond one window (a hand-edited file) is capped to one window from now.
    expect(restored.snapshot(1200)).toEqual([
      ['b', 1500],
      ['far', 2200],
      ['a', 2200],
    ]);
  });
});

describe('RequestLog', () => {
  it('keeps the newest entries, oldest first, within its capacity', () => {
    const log = new RequestLog(3);
    const entry = (n: number): RequestLogEntry => ({ time: '', method: 'GET', path: `/${n}`, status: 200, durationMs: 0 });
    for (let n = 1; n <= 5; n++) log.add(entry(n));
    expect(log.list().map((e) => e.path)).toEqual(['/3', '/4', '/5']);
    log.clear();
    expect(log.list()).toEqual([]);
  });
});
