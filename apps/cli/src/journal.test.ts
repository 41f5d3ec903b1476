import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal, readJournalText } from './journal.js';
import type { ResultRecord } from './records.js';

const dirs: string[] = [];
function tempFile(content?: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cancelkit-journal-'));
  dirs.push(dir);
  const file = path.join(dir, 'run.journal');
  if (content !== undefined) writeFileSync(file, content);
  return file;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const record = (target: string, outcome: ResultRecord['outcome']): ResultRecord => ({ plugin: 'a.b.c', target, outcome, requestId: null, attempts: 1, durationMs: 1 });

describe('journal', () => {
  it('appends one line per record and treats everything but failed as settled', () => {
    const file = tempFile();
    const journal = Journal.open(file);
    journal.append(record('t1', 'cancelled'));
    journal.append(record('t2', 'failed'));
    journal.append(record('t3', 'not-found'));
    journal.close();
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(3);
    const again = Journal.open(file);
    expect([again.isSettled('a.b.c', 't1'), again.isSettled('a.b.c', 't2'), again.isSettled('a.b.c', 't3'), again.isSettled('x.y.z', 't1')]).toEqual([
      true,
      false,
      true,
      false,
    ]);
    again.close();
  });

  it('the last line for a target wins (a failure retried and then cancelled)', () => {
    const entries = readJournalText([JSON.stringify(record('t', 'failed')), JSON.stringify(record('t', 'cancelled'))].join('\n'));
    expect(entries.get('a.b.c\u0000t')?.outcome).toBe('cancelled');
  });

  it('a failure journalled after a settled outcome does not unsettle the target', () => {
    const entries = readJournalText([record('t', 'cancelled'), record('t', 'failed')].map((r) => JSON.stringify(r)).join('\n'));
    expect(entries.get('a.b.c\u0000t')?.outcome).toBe('cancelled');
    const file = tempFile();
    const journal = Journal.open(file);
    journal.append(record('t', 'not-found'));
    journal.append(record('t', 'failed'));
    expect(journal.settled('a.b.c', 't')?.outcome).toBe('not-found');
    journal.close();
    expect(Journal.open(file).settled('a.b.c', 't')?.outcome).toBe('not-found');
  });

  it('ignores a torn last line and repairs the file before appending', () => {
    const file = tempFile(`${JSON.stringify(record('t1', 'cancelled'))}\n{"plugin":"a.b.c","tar`);
    const journal = Journal.open(file);
    expect(journal.isSettled('a.b.c', 't1')).toBe(true);
    expect(journal.size).toBe(1);
    journal.append(record('t2', 'cancelled'));
    journal.close();
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(JSON.parse(lines[2] as string)).toMatchObject({ target: 't2' });
    expect(Journal.open(file).isSettled('a.b.c', 't2')).toBe(true);
  });

  it('skips lines that are JSON but not journal records', () => {
    expect(readJournalText('{"summary":{}}\n{"plugin":"a","target":"b","outcome":"maybe"}\n').size).toBe(0);
  });

  it('an unwritable path is an input error with a hint', () => {
    expect(() => Journal.open('/nonexistent-dir/x/run.journal')).toThrow(/Cannot open journal/);
  });
});
