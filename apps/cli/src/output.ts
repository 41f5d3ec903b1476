/**
 * Everything the CLI prints goes through a `Printer`, which redacts every registered secret before a
 * byte reaches stdout or stderr. Result sinks turn records into the three output formats.
 */
import type { CancelKitError, Outcome, SecretRegistry } from '@cancelkit/core/plugin';
import type { CliIo, OutputStream } from './io.js';
import type { PlanRecord, ResultRecord, Summary } from './records.js';
import { createStyle, renderTable, type Style, visibleLength } from './style.js';

export type OutputFormat = 'table' | 'json' | 'ndjson';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'ndjson'];

export class Printer {
  constructor(
    readonly io: CliIo,
    readonly secrets: SecretRegistry,
    readonly style: Style,
    readonly quiet = false,
  ) {}

  /** Machine or requested output on stdout. */
  out(text: string): void {
    this.io.stdout.write(this.secrets.redactString(text));
  }

  /** Diagnostics on stderr (errors are printed even with --quiet). */
  err(text: string): void {
    this.io.stderr.write(this.secrets.redactString(text));
  }

  /** Informational lines for humans; silent with --quiet. */
  info(text: string): void {
    if (!this.quiet) this.err(text);
  }

  get stderr(): OutputStream {
    return this.io.stderr;
  }
}

/** `error: <message>` plus the hint, one line each; the stack only with --debug (redacted by the printer). */
export function formatError(error: CancelKitError | Error, options: { debug: boolean; style: Style }): string {
  const { style } = options;
  const lines = [`${style.red('error:')} ${error.message}`];
  const hint = (error as { hint?: string }).hint;
  if (hint) lines.push(`${style.dim('hint:')} ${hint}`);
  const known = error as Partial<CancelKitError>;
  const refs = [known.providerCode ? `provider code ${known.providerCode}` : '', known.requestId ? `request id ${known.requestId}` : '']
    .filter(Boolean)
    .join(', ');
  if (refs) lines.push(style.dim(`(${refs})`));
  if (options.debug && error.stack) lines.push(style.dim(error.stack));
  return lines.join('\n') + '\n';
}

/**
 * The format when none is requested: table on a terminal, json otherwise. With --quiet only an explicit
 * `--output json|ndjson` is written, so an unrequested format is the table, which --quiet silences.
 */
export function resolveFormat(requested: string | undefined, stdout: OutputStream, quiet = false): OutputFormat {
  if (requested === undefined) return stdout.isTTY || quiet ? 'table' : 'json';
  return requested as OutputFormat;
}

/**
 * The width of a terminal. Some terminals (serial consoles, a few CI runners with a pseudo-TTY) report
 * 0 columns, which would leave no room at all: 0 and unknown both mean the common 100.
 */
export function terminalWidth(stream: OutputStream): number {
  const columns = stream.columns;
  return columns !== undefined && Number.isFinite(columns) && columns > 0 ? columns : 100;
}

export interface ResultSink {
  write(record: ResultRecord): void;
  /** `notes` are extra human lines for the table format (e.g. how many targets never started). */
  end(summary: Summary, notes?: readonly string[]): void;
}

export function outcomeStyle(outcome: Outcome, style: Style): (text: string) => string {
  switch (outcome) {
    case 'cancelled':
      return style.green;
    case 'already-finished':
      return style.cyan;
    case 'not-cancellable':
      return style.yellow;
    case 'not-found':
      return style.magenta;
    default:
      return style.red;
  }
}

function explanation(record: ResultRecord): string {
  const parts: string[] = [];
  if (record.error) {
    parts.push(record.error.providerCode ? `${record.error.code} ${record.error.providerCode}: ${record.error.message}` : `${record.error.code}: ${record.error.message}`);
  } else if (record.reason) parts.push(record.reason);
  if (record.waited?.timedOut) parts.push('still running when --timeout passed');
  if (record.waited?.gaveUp) parts.push(`stopped waiting: its state could not be read (${record.waited.gaveUp.code}: ${record.waited.gaveUp.message})`);
  return parts.join('; ').replace(/\s+/g, ' ');
}

export function summaryLine(summary: Summary, style: Style): string {
  const parts = [
    style.green(`${summary.cancelled} cancelled`),
    style.cyan(`${summary.alreadyFinished} already finished`),
    style.yellow(`${summary.notCancellable} not cancellable`),
    style.magenta(`${summary.notFound} not found`),
    summary.failed > 0 ? style.red(`${summary.failed} failed`) : `${summary.failed} failed`,
  ];
  const skipped = summary.skipped ? `; ${summary.skipped} of them skipped (settled in the journal by an earlier run)` : '';
  return `${summary.total} target${summary.total === 1 ? '' : 's'}: ${parts.join(', ')}${skipped}`;
}

/** `abcdef…uvwxyz`: keeps both ends of long ids (FSM ids carry their meaning at both ends). */
export function middleEllipsis(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.ceil((max - 1) / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (max - 1 - head))}`;
}

/**
 * With `width` (a terminal), long targets are shortened in the middle and details cut to fit the line;
 * json/ndjson always carry the full values.
 */
export function renderResultsTable(records: readonly ResultRecord[], style: Style, width?: number): string {
  const withLine = records.some((r) => r.line !== undefined);
  const fit = (text: string, max: number) => (width === undefined ? text : middleEllipsis(text, max));
  const header = [...(withLine ? ['LINE'] : []), 'PLUGIN', 'TARGET', 'OUTCOME', 'REQUEST ID', 'DETAIL'];
  const rows = records.map((r) => [
    ...(withLine ? [r.line === undefined ? '' : String(r.line)] : []),
    r.plugin,
    fit(r.target, 40),
    outcomeStyle(r.outcome, style)(r.outcome),
    r.requestId ?? style.dim('-'),
    explanation(r),
  ]);
  if (width !== undefined) {
    // Cut only the last column (details) so the fixed columns stay aligned.
    const fixed = header.slice(0, -1).map((h, i) => Math.max(h.length, ...rows.map((row) => visibleLength(row[i] ?? ''))) + 2);
    const room = Math.max(20, width - fixed.reduce((a, b) => a + b, 0) - 1);
    for (const row of rows) {
      const last = row.length - 1;
      const detail = row[last] ?? '';
      if (detail.length > room) row[last] = `${detail.slice(0, room - 1)}…`;
    }
  }
  return renderTable(header, rows, style);
}

/**
 * The three output formats for records of one kind: ndjson streams each record as it comes; json and table
 * keep them for the end (the table in input order, since batches complete out of order).
 */
function createSink<R extends { readonly line?: number }>(
  format: OutputFormat,
  printer: Printer,
  table: (ordered: readonly R[]) => string,
  closing: (summary: Summary) => string,
): { write(record: R): void; end(summary: Summary, notes?: readonly string[]): void } {
  if (format === 'ndjson') {
    return {
      write: (record) => printer.out(`${JSON.stringify(record)}\n`),
      end: (summary) => printer.out(`${JSON.stringify({ summary })}\n`),
    };
  }
  const records: R[] = [];
  if (format === 'json') {
    return {
      write: (record) => records.push(record),
      end: (summary) => printer.out(`${JSON.stringify({ results: records, summary }, null, 2)}\n`),
    };
  }
  return {
    write: (record) => records.push(record),
    end: (summary, notes = []) => {
      if (printer.quiet) return;
      const ordered = records.map((r, i) => ({ r, i })).sort((a, b) => (a.r.line ?? 0) - (b.r.line ?? 0) || a.i - b.i).map((x) => x.r);
      if (ordered.length > 0) printer.out(table(ordered));
      for (const note of notes) printer.out(`${note}\n`);
      printer.out(`${closing(summary)}\n`);
    },
  };
}

export function createResultSink(format: OutputFormat, printer: Printer): ResultSink {
  const width = printer.io.stdout.isTTY ? terminalWidth(printer.io.stdout) : undefined;
  return createSink<ResultRecord>(
    format,
    printer,
    (ordered) => renderResultsTable(ordered, printer.style, width),
    (summary) => summaryLine(summary, printer.style),
  );
}

export function renderPlanTable(records: readonly PlanRecord[], style: Style): string {
  const withLine = records.some((r) => r.line !== undefined);
  const action = (r: PlanRecord) => (r.error ? style.red('cannot plan') : r.action === 'cancel' ? style.green('would cancel') : style.yellow('would skip'));
  const detail = (r: PlanRecord) => (r.error ? `${r.error.code}${r.error.providerCode ? ` ${r.error.providerCode}` : ''}: ${r.error.message}` : (r.reason ?? '')).replace(/\s+/g, ' ');
  const rows = records.map((r) => [...(withLine ? [r.line === undefined ? '' : String(r.line)] : []), r.plugin, r.target, action(r), r.expected, r.status ?? '-', detail(r)]);
  return renderTable([...(withLine ? ['LINE'] : []), 'PLUGIN', 'TARGET', 'ACTION', 'EXPECTED', 'STATUS', 'REASON'], rows, style);
}

export interface PlanSink {
  write(record: PlanRecord): void;
  end(summary: Summary, notes?: readonly string[]): void;
}

/** `plan` output in the three formats; ndjson streams each record as it is planned. */
export function createPlanSink(format: OutputFormat, printer: Printer): PlanSink {
  return createSink<PlanRecord>(
    format,
    printer,
    (ordered) => renderPlanTable(ordered, printer.style),
    (summary) => `plan (nothing was sent): ${summaryLine(summary, printer.style)}`,
  );
}

export function plainStyle(): Style {
  return createStyle(false);
}
