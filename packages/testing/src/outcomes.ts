/**
 * "Exactly one outcome per target, each the one the case says", as plain functions over what a
 * plugin's `cancel` returned or threw.
 */
import { type CancelOutcome, ERROR_CODES, isCancelKitError, type Outcome, OUTCOMES } from '@cancelkit/core';

/** What one `cancel` call produced. */
export type CancelResult = { readonly outcomes: unknown } | { readonly thrown: unknown };

/**
 * The outcome the engine reports for every target when `cancel` throws: NotFound and NotCancellable
 * settle targets; anything else fails them.
 */
export function outcomeOfThrown(error: unknown): Outcome {
  if (!isCancelKitError(error)) return 'failed';
  if (error.code === 'NotFound') return 'not-found';
  if (error.code === 'NotCancellable') return 'not-cancellable';
  return 'failed';
}

function describeThrown(error: unknown): string {
  if (isCancelKitError(error)) return `${error.code}${error.providerCode ? ` (${error.providerCode})` : ''}: ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * Problems with a cancel result for `targets`; `expected` is the outcome every target should get (or a
 * function per target). A thrown error must be a CancelKitError (structural check); it stands for the
 * same outcome for every target, as the engine treats it — unless `reconciled` holds the outcome the
 * engine settles a target with after asking `inspect` (it does so for thrown NotFound / NotCancellable).
 */
export function checkCancelResult(
  targets: readonly string[],
  result: CancelResult,
  expected: Outcome | ((target: string) => Outcome),
  reconciled?: ReadonlyMap<string, Outcome>,
): string[] {
  const expectOf = (target: string) => (typeof expected === 'function' ? expected(target) : expected);
  const problems: string[] = [];
  if ('thrown' in result) {
    const error = result.thrown;
    if (!isCancelKitError(error)) {
      problems.push(`cancel threw something outside the error taxonomy (${describeThrown(error)}): throw a CancelKitError or return outcomes`);
      return problems;
    }
    const thrownOutcome = outcomeOfThrown(error);
    for (const target of targets) {
      const want = expectOf(target);
      const settled = reconciled?.get(target);
      const outcome = settled ?? thrownOutcome;
      if (outcome !== want) {
        const how = settled !== undefined ? `, which the engine reconciles through inspect to "${settled}"` : ` (= "${thrownOutcome}")`;
        problems.push(`target ${target}: expected outcome "${want}", but cancel threw ${describeThrown(error)}${how}`);
      }
    }
    return problems;
  }
  const outcomes = result.outcomes;
  if (!Array.isArray(outcomes)) {
    problems.push(`cancel must resolve to an array of outcomes, got ${outcomes === null ? 'null' : typeof outcomes}`);
    return problems;
  }
  const byTarget = new Map<string, CancelOutcome[]>();
  outcomes.forEach((raw: unknown, index) => {
    const o = raw as Partial<CancelOutcome> | null;
    if (typeof o !== 'object' || o === null || typeof o.target !== 'string') {
      problems.push(`outcome #${index} is not an object with a string "target"`);
      return;
    }
    if (!(OUTCOMES as readonly string[]).includes(o.outcome as string)) {
      problems.push(`outcome #${index} (target ${o.target}) has outcome ${JSON.stringify(o.outcome)}, not one of ${OUTCOMES.join(', ')}`);
    }
    if (o.outcome === 'failed' && !(o.error && (ERROR_CODES as readonly string[]).includes(o.error.code))) {
      problems.push(`outcome #${index} (target ${o.target}) is "failed" without an error in the taxonomy (error.code one of ${ERROR_CODES.join(', ')})`);
    }
    if (!targets.includes(o.target)) {
      problems.push(`outcome #${index} names target "${o.target}", which this call did not address (targets: ${targets.join(', ')})`);
      return;
    }
    const list = byTarget.get(o.target) ?? [];
    list.push(o as CancelOutcome);
    byTarget.set(o.target, list);
  });
  for (const target of targets) {
    const list = byTarget.get(target) ?? [];
    if (list.length === 0) {
      problems.push(`target ${target}: no outcome (exactly one outcome per target is required)`);
      continue;
    }
    if (list.length > 1) {
      problems.push(`target ${target}: ${list.length} outcomes (${list.map((o) => o.outcome).join(', ')}); exactly one outcome per target is required`);
    }
    const want = expectOf(target);
    const got = list[0]?.outcome;
    if (got !== want) {
      const why = list[0]?.error ? ` (${list[0].error.code}: ${list[0].error.message})` : list[0]?.reason ? ` (${list[0].reason})` : '';
      problems.push(`target ${target}: expected outcome "${want}", got "${got}"${why}`);
    }
  }
  return problems;
}
