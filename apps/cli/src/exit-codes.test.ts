import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXIT_CODE_TABLE, exitCodeForRecord, exitCodeForRecords } from './exit-codes.js';

const ok = { outcome: 'cancelled' };
const done = { outcome: 'already-finished' };
const missing = { outcome: 'not-found' };
const locked = { outcome: 'not-cancellable' };
const failed = (code: string) => ({ outcome: 'failed', error: { code } });

describe('exit codes', () => {
  it('maps each outcome and error class', () => {
    expect([ok, done, missing, locked].map(exitCodeForRecord)).toEqual([0, 0, 5, 6]);
    expect(['InvalidInput', 'Unauthenticated', 'PermissionDenied', 'NotFound', 'NotCancellable', 'Throttled', 'Transient', 'Unknown', 'Weird'].map((c) => exitCodeForRecord(failed(c)))).toEqual([
      2, 3, 4, 5, 6, 7, 8, 1, 1,
    ]);
    expect(exitCodeForRecord({ outcome: 'cancelled', waited: { timedOut: true } })).toBe(10);
    expect(exitCodeForRecord({ outcome: 'cancelled', waited: { timedOut: false, gaveUp: { code: 'PermissionDenied', message: 'no' } } })).toBe(10);
    expect(exitCodeForRecord({ outcome: 'cancelled', waited: { timedOut: false } })).toBe(0);
  });

  it('batches: 0 when all ended well, the shared code when none did, else 9', () => {
    expect(exitCodeForRecords([])).toBe(0);
    expect(exitCodeForRecords([ok, done])).toBe(0);
    expect(exitCodeForRecords([missing, missing])).toBe(5);
    expect(exitCodeForRecords([failed('Unauthenticated'), failed('Unauthenticated')])).toBe(3);
    expect(exitCodeForRecords([ok, missing])).toBe(9);
    expect(exitCodeForRecords([missing, locked])).toBe(9);
  });

  it('documents every code it can return', () => {
    const documented = new Set(EXIT_CODE_TABLE.map(([c]) => c));
    for (const code of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 130, 141]) expect(documented.has(code)).toBe(true);
  });

  it('both READMEs list every exit code --help lists', () => {
    const codesIn = (file: string) => {
      const text = readFileSync(new URL(file, import.meta.url), 'utf8');
      const table = text.slice(text.indexOf('## Exit codes'));
      return new Set([...table.matchAll(/^\| (\d+)(?: \/ (\d+))? \|/gm)].flatMap((m) => [m[1], m[2]].filter(Boolean).map(Number)));
    };
    for (const readme of ['../README.md', '../../../README.md']) {
      const listed = codesIn(readme);
      for (const [code] of EXIT_CODE_TABLE) expect(listed.has(code), `${readme} lacks ${code}`).toBe(true);
      expect(listed.has(143), `${readme} lacks 143`).toBe(true);
    }
  });
});
