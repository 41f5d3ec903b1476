/**
 * A live progress line on stderr for batches on a terminal: counts per outcome, rate and ETA. Nothing is
 * drawn when stderr is not a TTY (pipes, CI logs) or with --quiet.
 */
import type { Outcome } from '@cancelkit/core/plugin';
import type { OutputStream } from './io.js';
import { terminalWidth } from './output.js';
import type { Style } from './style.js';

export interface ProgressState {
  readonly total: number;
  readonly done: number;
  readonly counts: Readonly<Record<Outcome, number>>;
  readonly elapsedMs: number;
}

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** One line, at most `width` visible characters. */
export function renderProgress(state: ProgressState, width: number, style: Style): string {
  const { total, done, counts } = state;
  const seconds = state.elapsedMs / 1000;
  const rate = seconds > 0 ? done / seconds : 0;
  const eta = rate > 0 ? (total - done) / rate : Number.POSITIVE_INFINITY;
  const ratio = total > 0 ? Math.min(1, done / total) : 1;
  const barWidth = 20;
  const filled = Math.round(ratio * barWidth);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]`;
  const parts = [
    `${bar} ${done}/${total}`,
    `${counts.cancelled} cancelled, ${counts['already-finished']} finished, ${counts['not-cancellable']} not cancellable, ${counts['not-found']} not found, ${counts.failed} failed`,
    `${rate.toFixed(rate < 10 ? 1 : 0)}/s`,
    done >= total ? 'done' : `ETA ${formatSeconds(eta)}`,
  ];
  let line = parts.join('  ');
  if (line.length > width) line = line.slice(0, Math.max(0, width - 1));
  return counts.failed > 0 ? line.replace(`${counts.failed} failed`, style.red(`${counts.failed} failed`)) : line;
}

export class ProgressBar {
  readonly #stream: OutputStream;
  readonly #style: Style;
  readonly #started: number;
  readonly #counts: Record<Outcome, number> = { cancelled: 0, 'already-finished': 0, 'not-cancellable': 0, 'not-found': 0, failed: 0 };
  readonly #timer: NodeJS.Timeout;
  #done = 0;
  #lastDraw = 0;
  #stopped = false;

  constructor(
    stream: OutputStream,
    style: Style,
    readonly total: number,
    private readonly redact: (text: string) => string = (t) => t,
  ) {
    this.#stream = stream;
    this.#style = style;
    this.#started = Date.now();
    this.#timer = setInterval(() => this.draw(), 500);
    this.#timer.unref();
    this.draw();
  }

  static enabled(stream: OutputStream, quiet: boolean): boolean {
    return stream.isTTY === true && !quiet;
  }

  update(outcome: Outcome): void {
    this.#done++;
    this.#counts[outcome]++;
    const now = Date.now();
    // At most ~12 redraws a second, and always the last one.
    if (now - this.#lastDraw >= 80 || this.#done === this.total) this.draw();
  }

  draw(): void {
    if (this.#stopped) return;
    this.#lastDraw = Date.now();
    const width = terminalWidth(this.#stream) - 1;
    const line = renderProgress({ total: this.total, done: this.#done, counts: this.#counts, elapsedMs: Date.now() - this.#started }, width, this.#style);
    this.#stream.write(`\r\u001b[2K${this.redact(line)}`);
  }

  /** Erases the line for other output (a record on the same terminal); the next `update` draws it again. */
  clear(): void {
    if (this.#stopped) return;
    this.#lastDraw = 0;
    this.#stream.write('\r\u001b[2K');
  }

  /** Clears the line so results and the summary print cleanly. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#stream.write('\r\u001b[2K');
  }
}
