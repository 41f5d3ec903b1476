/** Small statistics and the figure record every benchmark returns. */

export function median(values) {
  return percentile(values, 50);
}

/** Nearest-rank percentile (p in 0..100) of a list of numbers; NaN for an empty list. */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function mean(values) {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

export function round(value, digits = 2) {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function meets(value, target) {
  if (target.op === '<=') return value <= target.value;
  if (target.op === '>=') return value >= target.value;
  return value === target.value;
}

/**
 * One line of the report. `value` is the measured figure (usually a ratio against a baseline taken in
 * the same run); `target` is `{ op: '<=' | '>=' | '=', value }` or undefined for figures shown for information.
 * `valid: false` (with `note`) when the run did not do what it claims (wrong outcome count, errors):
 * such a figure is marked `invalid`, never `pass`. `detail` is a short human summary of the raw numbers.
 */
export function figure({ id, title, value, unit = 'x', target, valid = true, note, detail, measured = {} }) {
  let mark = 'info';
  if (!valid) mark = 'invalid';
  else if (target) mark = meets(value, target) ? 'pass' : 'short';
  return { id, title, value: round(value, 3), unit, target, mark, ...(detail ? { detail } : {}), ...(note ? { note } : {}), measured };
}

export function formatTarget(target, unit = 'x') {
  return target ? `${target.op} ${target.value}${unit === 'x' ? 'x' : ` ${unit}`}` : '—';
}

export function formatValue(value, unit = 'x') {
  if (!Number.isFinite(value)) return String(value);
  if (unit === 'x') return `${value.toFixed(value < 10 ? 3 : 1)}x`;
  return `${Number.isInteger(value) ? value : value.toFixed(2)} ${unit}`;
}
