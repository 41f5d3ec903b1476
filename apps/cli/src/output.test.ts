import { SecretRegistry } from '@cancelkit/core/plugin';
import { describe, expect, it } from 'vitest';
import type { CliIo } from './io.js';
import { createResultSink, formatError, Printer, resolveFormat, summaryLine } from './output.js';
import { ProgressBar, renderProgress } from './progress.js';
import { emptySummary, type ResultRecord, summarize } from './records.js';
import { colorEnabled, createStyle, renderTable, visibleLength } from './style.js';

function printer(options: { quiet?: boolean; color?: boolean } = {}) {
  let out = '';
  let err = '';
  const io = {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    env: {},
    cwd: '/',
    onSignal: () => () => {},
  } as unknown as CliIo;
  const secrets = new SecretRegistry();
  secrets.add('super-secret-value');
  return { p: new Printer(io, secrets, createStyle(options.color ?? false), options.quiet ?? false), out: () => out, err: () => err };
}

const rec = (target: string, outcome: ResultRecord['outcome'], extra: Partial<ResultRecord> = {}): ResultRecord => ({
  plugin: 'a.b.c',
  target,
  outcome,
  requestId: 'req-1',
  attempts: 1,
  durationMs: 3,
  ...extra,
});

describe('printer and sinks', () => {
  it('redacts registered secrets on every stream', () => {
    const { p, out, err } = printer();
    p.out('token super-secret-value\n');
    p.err('again super-secret-value\n');
    expect(out()).toBe('token [REDACTED]\n');
    expect(err()).toBe('again [REDACTED]\n');
  });

  it('ndjson streams records then a summary line', () => {
    const { p, out } = printer();
    const sink = createResultSink('ndjson', p);
    sink.write(rec('t1', 'cancelled'));
    expect(out()).toBe(`${JSON.stringify(rec('t1', 'cancelled'))}\n`);
    sink.end(summarize([rec('t1', 'cancelled')]));
    expect(JSON.parse(out().split('\n')[1] as string)).toEqual({ summary: { ...emptySummary(), total: 1, cancelled: 1 } });
  });

  it('json writes one document at the end', () => {
    const { p, out } = printer();
    const sink = createResultSink('json', p);
    sink.write(rec('t1', 'not-found'));
    expect(out()).toBe('');
    sink.end(summarize([rec('t1', 'not-found')]));
    expect(JSON.parse(out())).toMatchObject({ results: [{ target: 't1' }], summary: { notFound: 1 } });
  });

  it('table aligns columns, explains failures and prints nothing with --quiet', () => {
    const { p, out } = printer();
    const sink = createResultSink('table', p);
    sink.write(rec('t1', 'cancelled'));
    sink.write(rec('target-2', 'failed', { requestId: null, error: { code: 'Throttled', providerCode: 'Throttling.User', message: 'slow down' } }));
    sink.end(summarize([rec('t1', 'cancelled'), rec('target-2', 'failed')]), ['a note']);
    const lines = out().split('\n');
    expect(lines[0]).toBe('PLUGIN  TARGET    OUTCOME    REQUEST ID  DETAIL');
    expect(lines[1]).toBe('a.b.c   t1        cancelled  req-1');
    expect(lines[2]).toBe('a.b.c   target-2  failed     -           Throttled Throttling.User: slow down');
    expect(lines[3]).toBe('a note');
    expect(lines[4]).toBe('2 targets: 1 cancelled, 0 already finished, 0 not cancellable, 0 not found, 1 failed');
    const quiet = printer({ quiet: true });
    const q = createResultSink('table', quiet.p);
    q.write(rec('t1', 'cancelled'));
    q.end(emptySummary());
    expect(quiet.out()).toBe('');
  });

  it('summaryLine mentions journal skips', () => {
    expect(summaryLine({ ...emptySummary(), total: 5, cancelled: 5, skipped: 4 }, createStyle(false))).toContain('5 cancelled, 0 already finished');
    expect(summaryLine({ ...emptySummary(), total: 5, cancelled: 5, skipped: 4 }, createStyle(false))).toContain('4 of them skipped (settled in the journal by an earlier run)');
  });

  it('formatError: message, hint, provider references; stack only with debug', () => {
    const error = Object.assign(new Error('boom'), { hint: 'try again', providerCode: 'X.Y', requestId: 'r-1' });
    expect(formatError(error, { debug: false, style: createStyle(false) })).toBe('error: boom\nhint: try again\n(provider code X.Y, request id r-1)\n');
    expect(formatError(error, { debug: true, style: createStyle(false) })).toContain('at ');
  });

  it('resolveFormat: table on a TTY, json otherwise, explicit wins', () => {
    expect(resolveFormat(undefined, { write: () => 0, isTTY: true })).toBe('table');
    expect(resolveFormat(undefined, { write: () => 0 })).toBe('json');
    expect(resolveFormat('ndjson', { write: () => 0, isTTY: true })).toBe('ndjson');
  });
});

describe('style', () => {
  it('colour only on a TTY, never with NO_COLOR or --no-color, forced by FORCE_COLOR', () => {
    const tty = { write: () => 0, isTTY: true };
    const pipe = { write: () => 0 };
    expect(colorEnabled(tty, {}, undefined)).toBe(true);
    expect(colorEnabled(pipe, {}, undefined)).toBe(false);
    expect(colorEnabled(tty, { NO_COLOR: '1' }, undefined)).toBe(false);
    expect(colorEnabled(tty, { NO_COLOR: '' }, undefined)).toBe(true);
    expect(colorEnabled(tty, {}, false)).toBe(false);
    expect(colorEnabled(pipe, { FORCE_COLOR: '1' }, undefined)).toBe(true);
    expect(colorEnabled(tty, { TERM: 'dumb' }, undefined)).toBe(false);
  });

  it('tables align on visible width when cells are coloured', () => {
    const style = createStyle(true);
    const table = renderTable(['A', 'B'], [[style.green('xx'), 'y']], style);
    expect(visibleLength(table.split('\n')[1] as string)).toBe('xx  y'.length);
  });
});

describe('progress', () => {
  it('renders counts per outcome, rate and ETA within the width', () => {
    const counts = { cancelled: 30, 'already-finished': 5, 'not-cancellable': 2, 'not-found': 2, failed: 1 };
    const line = renderProgress({ total: 100, done: 40, counts, elapsedMs: 4000 }, 200, createStyle(false));
    expect(line).toBe('[########------------] 40/100  30 cancelled, 5 finished, 2 not cancellable, 2 not found, 1 failed  10/s  ETA 6s');
    expect(renderProgress({ total: 100, done: 40, counts, elapsedMs: 4000 }, 30, createStyle(false)).length).toBeLessThanOrEqual(30);
    expect(renderProgress({ total: 2, done: 2, counts, elapsedMs: 1000 }, 200, createStyle(false))).toContain('done');
  });
});

describe('a terminal reporting 0 columns', () => {
  it('draws a full progress line and keeps table details (0 means unknown width: 100)', () => {
    let drawn = '';
    const stream = { write: (s: string) => (drawn += s), isTTY: true, columns: 0 };
    const bar = new ProgressBar(stream, createStyle(false), 3);
    bar.update('cancelled');
    bar.draw();
    bar.stop();
    expect(drawn).toContain('[#######-------------] 1/3  1 cancelled');

    const { p, out } = printer();
    Object.assign(p.io.stdout, { isTTY: true, columns: 0 });
    const sink = createResultSink('table', p);
    sink.write(rec('t1', 'failed', { error: { code: 'Transient', message: 'the cloud answered 503 Service Unavailable, twice' } }));
    sink.end(emptySummary());
    expect(out()).toContain('Transient: the cloud answered 503 Service Unavailable, twice');
  });
});

describe('table on a terminal', () => {
  it('shortens long targets in the middle and cuts details to the width', async () => {
    const { renderResultsTable, middleEllipsis } = await import('./output.js');
    expect(middleEllipsis('abcdefghij', 5)).toBe('ab…ij');
    const long = `tisplus@${'x'.repeat(80)}@end`;
    const table = renderResultsTable([rec(long, 'failed', { error: { code: 'Transient', message: 'y'.repeat(200) } })], createStyle(false), 100);
    for (const line of table.trimEnd().split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    expect(table).toContain('tisplus@');
    expect(table).toContain('@end');
    expect(renderResultsTable([rec(long, 'cancelled')], createStyle(false))).toContain(long);
  });
});
