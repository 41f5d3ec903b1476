/**
 * `runConformance`: starts `@cancelkit/emulator` with the plugin's emulation, calls the plugin's hooks
 * directly (not through the engine, which would hide a duplicate outcome or a missing one) with the same
 * `CallContext` the engine builds, and evaluates every rule. Returns one result per rule; never throws
 * for a broken plugin.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type CallContext,
  type CancelKitConfig,
  type CancellablePlugin,
  type CredentialSource,
  createHttpClient,
  createLogger,
  decide,
  Engine,
  type ErrorCode,
  type HttpClient,
  isCancelKitError,
  type LogRecord,
  type Outcome,
  resolveConfig,
  SecretRegistry,
  systemClock,
} from '@cancelkit/core';
import type { EmulatedOperation, ServiceEmulation } from '@cancelkit/core/emulation';
import { type FaultSettings, MAX_LATENCY_MS, type RunningEmulator, type StartEmulatorOptions, startEmulator } from '@cancelkit/emulator';
import { hostileInputs, prototypeWasPolluted } from './hostile.js';
import { checkManifest } from './manifest-rules.js';
import { type CancelResult, checkCancelResult } from './outcomes.js';
import { type BuiltInRuleId, RULE_TITLES, type RuleId, type RuleResult, ruleTitle } from './rules.js';
import { findSecretLeaks, redactSecrets, replaceSecrets } from './secrets.js';

/** Admin fields for `POST /_emulator/operations` (minus `service`, which the kit fills in). */
export type AdminFields = Readonly<Record<string, unknown>>;

/** A case that creates operations in the emulator first and builds the plugin's input from them. */
export interface OperationCase {
  /** Admin fields of the one operation to create (`{}` takes the emulation's defaults). */
  readonly operation?: AdminFields;
  /** Several operations (batch plugins); each becomes one target. Wins over `operation`. */
  readonly operations?: readonly AdminFields[];
  /** The plugin input for the created operation(s): `(op) => ({ jobId: op.id })`. */
  readonly params: (operation: EmulatedOperation, all: readonly EmulatedOperation[]) => unknown;
  /** The outcome every target must get; defaults to the case's own (cancelled, not-cancellable, …). */
  readonly expect?: Outcome | ((target: string, operations: readonly EmulatedOperation[]) => Outcome);
}

/** A case for a target the cloud does not know: nothing is created. */
export interface NotFoundCase {
  /** Plugin input naming an unknown target (a value, or a function returning one). */
  readonly params: unknown;
  readonly expect?: Outcome;
}

export interface ConformanceCases {
  /** An operation `cancel` cancels. */
  readonly cancellable: OperationCase;
  /** An operation the cloud refuses to cancel (expect `not-cancellable`, or set `expect: 'already-finished'`). */
  readonly notCancellable: OperationCase;
  readonly notFound: NotFoundCase;
  /** Inputs `parse` must reject (besides the kit's generic hostile ones). */
  readonly invalid: readonly unknown[];
  /** More cancel cases (e.g. a mixed batch), each checked as the rule `cancel-outcomes:<name>`. */
  readonly more?: Readonly<Record<string, OperationCase>>;
}

export interface ConformanceCredentials {
  /**
   * The credentials as the plugin's credential source resolves them (e.g. `{ accessKeyId,
   * accessKeySecret }`); the emulator must accept them. Default: resolved by the plugin's own
   * `credentialSources` entry for its provider, from `config` (`env`, `providers`).
   */
  readonly value?: unknown;
  /** The secret strings inside `value`. Default: the plugin's credential source's `secretsOf(value)`. */
  readonly secrets?: readonly string[];
}

export interface ConformanceOptions {
  /** The plugin's emulation (its package's `./emulation` default export), or several. */
  readonly emulation: ServiceEmulation | readonly ServiceEmulation[];
  readonly cases: ConformanceCases;
  readonly credentials?: ConformanceCredentials;
  /**
   * Kit configuration for the calls (providers, env). The endpoint defaults to the emulator's URL. `env`
   * defaults to `{}` and `homeDir` to an empty temporary directory, so real credentials on the machine
   * are never used. A function receives the emulator's URL.
   */
  readonly config?: CancelKitConfig | ((emulatorUrl: string) => CancelKitConfig);
  /** Extra emulator options: accepted `credentials`, `tokens`, `settings`. */
  readonly emulator?: Omit<StartEmulatorOptions, 'port' | 'host' | 'emulations' | 'plugins' | 'statePath'>;
  /** How long to wait for stray requests after `parse` ran (default 100 ms). */
  readonly settleMs?: number;
  /** Upper bound for one hook call (default 10 s). */
  readonly callTimeoutMs?: number;
}

const DEFAULT_EXPECT = { cancellable: 'cancelled', notCancellable: 'not-cancellable', notFound: 'not-found' } as const;

/** The rule ids a run with these cases reports, in order. */
export function conformanceRuleIds(cases: ConformanceCases): RuleId[] {
  const builtIn = Object.keys(RULE_TITLES) as BuiltInRuleId[];
  const extra = Object.keys(cases.more ?? {}).map((name) => `cancel-outcomes:${name}` as const);
  const secretRule = builtIn.indexOf('no-secret-leak');
  return [...builtIn.slice(0, secretRule), ...extra, ...builtIn.slice(secretRule)];
}

function preview(value: unknown): string {
  let text: string;
  try {
    text = value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

function describeError(error: unknown): string {
  if (isCancelKitError(error)) return `${error.code}${error.providerCode ? ` (${error.providerCode})` : ''}: ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

class CallTimeout extends Error {
  override name = 'CallTimeout';
}

async function withTimeout<T>(work: () => Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CallTimeout(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([Promise.resolve().then(work), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function isThenable(value: unknown): boolean {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

interface Artifact {
  readonly label: string;
  readonly value: unknown;
}

/** Everything a run shares: the emulator, the call contexts, and what the plugin handed back. */
class Harness {
  readonly artifacts: Artifact[] = [];
  readonly readOnly = new Set<string>();

  constructor(
    readonly plugin: CancellablePlugin<unknown>,
    readonly options: ConformanceOptions,
    readonly emulator: RunningEmulator,
    readonly service: string,
    readonly ctx: CallContext,
    readonly wrongCtx: CallContext,
    /** The valid key, but a call timeout of `slowTimeoutMs` (and an HTTP client whose default is the same). */
    readonly slowCtx: CallContext,
    readonly slowTimeoutMs: number,
    readonly secrets: readonly string[],
    readonly callTimeoutMs: number,
    readonly logRecords: readonly LogRecord[],
  ) {
    const emulations = Array.isArray(options.emulation) ? options.emulation : [options.emulation as ServiceEmulation];
    for (const emulation of emulations) {
      for (const route of emulation.routes) if (route.readOnly) this.readOnly.add(`${emulation.service} ${route.action}`);
    }
  }

  record(label: string, value: unknown): void {
    this.artifacts.push({ label, value });
  }

  create(fields: AdminFields | undefined): EmulatedOperation {
    return this.emulator.createOperation(this.service, { ...(fields ?? {}) });
  }

  createFor(kase: OperationCase): EmulatedOperation[] {
    const list = kase.operations ?? [kase.operation ?? {}];
    if (list.length === 0) throw new Error('a case with operations: [] creates nothing; give at least one');
    return list.map((fields) => this.create(fields));
  }

  snapshot(): Map<string, string> {
    return new Map(this.emulator.listOperations().map((op) => [`${op.service}/${op.id}`, JSON.stringify(op)]));
  }

  requestCount(): number {
    return this.emulator.requests().length;
  }

  requestsSince(count: number) {
    return this.emulator.requests().slice(count);
  }

  isReadOnly(entry: { service?: string; action?: string }): boolean {
    if (entry.action === undefined) return false;
    if (entry.service !== undefined) return this.readOnly.has(`${entry.service} ${entry.action}`);
    return [...this.readOnly].some((key) => key.endsWith(` ${entry.action}`));
  }

  async call<T>(what: string, work: () => Promise<T>): Promise<T> {
    return withTimeout(work, this.callTimeoutMs, what);
  }
}

function changedOperations(before: Map<string, string>, after: Map<string, string>): string[] {
  const changes: string[] = [];
  for (const [key, json] of after) {
    const previous = before.get(key);
    if (previous === undefined) changes.push(`operation ${key} appeared`);
    else if (previous !== json) changes.push(`operation ${key} changed from ${previous} to ${json}`);
  }
  for (const key of before.keys()) if (!after.has(key)) changes.push(`operation ${key} disappeared`);
  return changes;
}

function resultOf(rule: RuleId, problems: readonly string[], secrets: readonly string[], note?: string): RuleResult {
  const clean = problems.map((p) => redactSecrets(p, secrets));
  return {
    rule,
    title: ruleTitle(rule),
    status: note !== undefined && clean.length === 0 ? 'not-applicable' : clean.length === 0 ? 'passed' : 'failed',
    problems: clean,
    ...(note !== undefined ? { note } : {}),
  };
}

function namesAField(error: { issues: readonly { field: string }[]; message: string }, input: unknown, field: string | undefined): boolean {
  const fields = error.issues.map((i) => i.field);
  if (field !== undefined) {
    return fields.some((f) => f === field || f.startsWith(`${field}.`)) || error.message.includes(field);
  }
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    return fields.some((f) => f !== '') || Object.keys(input).some((k) => error.message.includes(k));
  }
  // The whole input is wrong (null, an array, a string): an issue for the input itself names it.
  return error.issues.length > 0;
}

async function parseRules(h: Harness): Promise<RuleResult[]> {
  const { plugin, options } = h;
  const problems: string[] = [];
  const before = h.requestCount();
  const baseParams = typeof options.cases.notFound.params === 'function' ? (options.cases.notFound.params as () => unknown)() : options.cases.notFound.params;
  const inputs = [
    ...options.cases.invalid.map((input, i) => ({ label: `cases.invalid[${i}] ${preview(input)}`, input, field: undefined as string | undefined })),
    ...hostileInputs(baseParams).map((h) => ({ label: `hostile input: ${h.label}`, input: h.input, field: h.field })),
  ];
  for (const { label, input, field } of inputs) {
    let returned: unknown;
    try {
      returned = plugin.parse(input);
    } catch (error) {
      h.record(`parse(${label}) error`, error);
      if (!isCancelKitError(error) || error.code !== 'InvalidInput') {
        problems.push(`${label}: parse threw ${describeError(error)}; it must throw InvalidInput`);
      } else if (!namesAField(error, input, field)) {
        problems.push(
          `${label}: the InvalidInput names no field${field ? ` (expected "${field}")` : ''}: issues ${JSON.stringify(error.issues.map((i) => i.field))}, message "${error.message}"`,
        );
      }
      continue;
    }
    if (isThenable(returned)) problems.push(`${label}: parse returned a Promise; parse must be synchronous and decide before any I/O`);
    else problems.push(`${label}: parse accepted it (returned ${preview(returned)}); it must throw InvalidInput`);
  }
  if (prototypeWasPolluted()) {
    delete (Object.prototype as Record<string, unknown>).polluted;
    problems.push('parsing a "__proto__" key polluted Object.prototype');
  }
  await new Promise((resolve) => setTimeout(resolve, options.settleMs ?? 100));
  const stray = h.requestsSince(before);
  const noRequest = stray.map((r) => `parse sent ${r.method} ${r.path}${r.action ? ` (${r.action})` : ''} to the emulator; parse must never send a request`);
  return [resultOf('parse-rejects-invalid', problems, h.secrets), resultOf('parse-sends-no-request', noRequest, h.secrets)];
}

interface PreparedCase {
  readonly name: string;
  readonly operations: readonly EmulatedOperation[];
  readonly params: unknown;
  readonly targets: readonly string[];
  readonly expect: (target: string) => Outcome;
}

function prepareCase(h: Harness, name: string, kase: OperationCase | NotFoundCase, fallback: Outcome): PreparedCase {
  let operations: EmulatedOperation[] = [];
  let input: unknown;
  if (name === 'notFound') {
    input = typeof kase.params === 'function' ? (kase.params as () => unknown)() : kase.params;
  } else {
    const operationCase = kase as OperationCase;
    if (typeof operationCase.params !== 'function') throw new Error(`cases.${name}.params must be a function (operation) => plugin input`);
    operations = h.createFor(operationCase);
    input = operationCase.params(operations[0] as EmulatedOperation, operations);
  }
  let params: unknown;
  try {
    params = h.plugin.parse(input);
  } catch (error) {
    throw new Error(`parse rejected the ${name} case's params ${preview(input)}: ${describeError(error)}`);
  }
  const targets = h.plugin.targets(params);
  const expect = kase.expect;
  return {
    name,
    operations,
    params,
    targets,
    expect: (target) => (typeof expect === 'function' ? expect(target, operations) : (expect ?? fallback)),
  };
}

function caseList(cases: ConformanceCases): Array<{ name: string; rule: RuleId; kase: OperationCase | NotFoundCase; fallback: Outcome }> {
  return [
    { name: 'cancellable', rule: 'cancel-outcomes:cancellable', kase: cases.cancellable, fallback: DEFAULT_EXPECT.cancellable },
    { name: 'notCancellable', rule: 'cancel-outcomes:not-cancellable', kase: cases.notCancellable, fallback: DEFAULT_EXPECT.notCancellable },
    { name: 'notFound', rule: 'cancel-outcomes:not-found', kase: cases.notFound, fallback: DEFAULT_EXPECT.notFound },
    ...Object.entries(cases.more ?? {}).map(([name, kase]) => ({ name, rule: `cancel-outcomes:${name}` as RuleId, kase, fallback: 'cancelled' as Outcome })),
  ];
}

function summarizeState(state: { found?: unknown; cancellable?: unknown; terminal?: unknown; cancelled?: unknown; status?: unknown }): string {
  return `found=${String(state.found)} cancellable=${String(state.cancellable)} terminal=${String(state.terminal)} cancelled=${String(state.cancelled)}${state.status !== undefined ? ` status=${String(state.status)}` : ''}`;
}

async function inspectRules(h: Harness): Promise<RuleResult[]> {
  const { plugin } = h;
  const inspect = plugin.inspect;
  if (typeof inspect !== 'function') {
    const note = 'the plugin has no inspect hook';
    return [resultOf('inspect-read-only', [], h.secrets, note), resultOf('inspect-states', [], h.secrets, note)];
  }
  const readOnly: string[] = [];
  const states: string[] = [];
  for (const { name, kase, fallback } of caseList(h.options.cases)) {
    let prepared: PreparedCase;
    try {
      prepared = prepareCase(h, name, kase, fallback);
    } catch (error) {
      states.push(`${name}: ${(error as Error).message}`);
      continue;
    }
    const before = h.snapshot();
    const requestsBefore = h.requestCount();
    let result: unknown;
    try {
      result = await h.call(`inspect (${name})`, () => inspect.call(plugin, prepared.params, h.ctx));
      h.record(`inspect(${name}) states`, result);
    } catch (error) {
      h.record(`inspect(${name}) error`, error);
      states.push(`${name}: inspect threw ${describeError(error)}; it must return a state per target (found: false for an unknown one)`);
    }
    for (const change of changedOperations(before, h.snapshot())) readOnly.push(`${name}: inspect changed the emulator's state: ${change}`);
    for (const entry of h.requestsSince(requestsBefore)) {
      if (!h.isReadOnly(entry)) {
        readOnly.push(`${name}: inspect sent ${entry.method} ${entry.path} (${entry.action ?? 'unroutable'}), which is not a read-only call of ${h.service}`);
      }
    }
    if (result === undefined) continue;
    if (!Array.isArray(result)) {
      states.push(`${name}: inspect must resolve to an array of states, got ${preview(result)}`);
      continue;
    }
    for (const target of prepared.targets) {
      const matching = result.filter((s: { target?: unknown }) => s?.target === target);
      if (matching.length !== 1) {
        states.push(`${name}: target ${target} has ${matching.length} states; inspect must return exactly one per target`);
        continue;
      }
      const state = matching[0];
      const decision = decide(state);
      const planned: Outcome = decision.kind === 'cancel' ? 'cancelled' : decision.outcome;
      const wanted = prepared.expect(target);
      if (wanted !== 'failed' && planned !== wanted) {
        states.push(`${name}: target ${target}: inspect says ${summarizeState(state)}, so a dry run plans "${planned}", but the case expects "${wanted}"`);
      }
    }
  }
  return [resultOf('inspect-read-only', readOnly, h.secrets), resultOf('inspect-states', states, h.secrets)];
}

async function cancelOnce(h: Harness, label: string, params: unknown, ctx: CallContext): Promise<CancelResult> {
  try {
    const outcomes = await h.call(`cancel (${label})`, () => h.plugin.cancel(params, ctx));
    h.record(`cancel(${label}) outcomes`, outcomes);
    return { outcomes };
  } catch (error) {
    h.record(`cancel(${label}) error`, error);
    return { thrown: error };
  }
}

/**
 * The engine answers a thrown NotFound / NotCancellable by asking `inspect` what is true now (a task
 * that ended is "already-finished", not "not-cancellable"); the kit settles such targets the same way.
 */
async function reconcile(
  h: Harness,
  name: string,
  prepared: PreparedCase,
  result: CancelResult,
  problems: string[],
): Promise<Map<string, Outcome> | undefined> {
  const inspect = h.plugin.inspect;
  if (!('thrown' in result) || typeof inspect !== 'function' || !isCancelKitError(result.thrown)) return undefined;
  if (result.thrown.code !== 'NotFound' && result.thrown.code !== 'NotCancellable') return undefined;
  let states: unknown;
  try {
    states = await h.call(`inspect (reconciling ${name})`, () => inspect.call(h.plugin, prepared.params, h.ctx));
    h.record(`inspect(reconciling ${name}) states`, states);
  } catch (error) {
    h.record(`inspect(reconciling ${name}) error`, error);
    // The engine shrugs off a failed reconciliation (the refusal stands), but not an error outside the taxonomy.
    if (!isCancelKitError(error) && !(error instanceof CallTimeout)) {
      problems.push(`inspect, asked (as the engine does) to settle the refusal cancel threw, threw a non-taxonomy error (${describeError(error)}); throw a CancelKitError`);
    }
    return undefined;
  }
  if (!Array.isArray(states)) return undefined;
  const settled = new Map<string, Outcome>();
  for (const target of prepared.targets) {
    const state = states.find((s: { target?: unknown }) => s?.target === target);
    if (!state) continue;
    if (state.cancelled === true) settled.set(target, 'already-finished');
    else {
      const decision = decide(state);
      if (decision.kind === 'skip') settled.set(target, decision.outcome);
    }
  }
  return settled;
}

async function cancelRules(h: Harness): Promise<RuleResult[]> {
  const results: RuleResult[] = [];
  for (const { name, rule, kase, fallback } of caseList(h.options.cases)) {
    const problems: string[] = [];
    let prepared: PreparedCase;
    try {
      prepared = prepareCase(h, name, kase, fallback);
    } catch (error) {
      results.push(resultOf(rule, [(error as Error).message], h.secrets));
      continue;
    }
    const before = h.snapshot();
    const requestsBefore = h.requestCount();
    const result = await cancelOnce(h, name, prepared.params, h.ctx);
    const reconciled = await reconcile(h, name, prepared, result, problems);
    problems.push(...checkCancelResult(prepared.targets, result, prepared.expect, reconciled));
    const expectsCancel = prepared.targets.some((t) => prepared.expect(t) === 'cancelled');
    if (expectsCancel) {
      const mutating = h.requestsSince(requestsBefore).filter((r) => !h.isReadOnly(r) && r.status >= 200 && r.status < 300);
      if (mutating.length === 0) problems.push('no successful state-changing call reached the emulator, yet the case expects "cancelled"');
      const changes = changedOperations(before, h.snapshot());
      const unchanged = prepared.operations.filter((op) => !changes.some((c) => c.startsWith(`operation ${op.service}/${op.id} `)));
      const allCancelled = prepared.targets.every((t) => prepared.expect(t) === 'cancelled');
      // Each created operation must change when every target should be cancelled; in a mixed batch at least one.
      if (allCancelled ? unchanged.length > 0 : unchanged.length === prepared.operations.length) {
        problems.push(`operation(s) ${unchanged.map((op) => op.id).join(', ')} did not change in the emulator after cancel`);
      }
      if ('outcomes' in result && Array.isArray(result.outcomes)) {
        // The ids the emulator answered with while cancel (and any reconciling inspect) ran.
        const issued = new Set(h.requestsSince(requestsBefore).flatMap((r) => (r.requestId ? [r.requestId] : [])));
        for (const o of result.outcomes as Array<{ target?: string; outcome?: string; requestId?: unknown }>) {
          if (o?.outcome !== 'cancelled') continue;
          if (typeof o.requestId !== 'string' || o.requestId === '') {
            problems.push(`target ${o.target}: the "cancelled" outcome carries no requestId; pass on the cloud's request id`);
          } else if (!issued.has(o.requestId)) {
            problems.push(
              `target ${o.target}: the "cancelled" outcome carries requestId "${o.requestId}", which the emulator never issued while cancel ran; pass on the cloud's request id from its answer, not one of your own`,
            );
          }
        }
      }
    }
    results.push(resultOf(rule, problems, h.secrets));
  }
  return results;
}

/** The code a call's result stands for: the thrown error's, or the one code all failed outcomes share. */
function errorCodeOf(result: CancelResult, targets: readonly string[]): string {
  if ('thrown' in result) return isCancelKitError(result.thrown) ? result.thrown.code : `a non-taxonomy error (${describeError(result.thrown)})`;
  const outcomes = Array.isArray(result.outcomes) ? (result.outcomes as Array<{ target?: string; outcome?: string; error?: { code?: string } }>) : [];
  const codes = new Set(targets.map((t) => {
    const o = outcomes.find((x) => x?.target === t);
    return o ? (o.outcome === 'failed' ? (o.error?.code ?? 'failed without error') : `outcome "${o.outcome}"`) : 'no outcome';
  }));
  return [...codes].join(', ');
}

/** How short the call timeout is in the slow-response scenario of `errors:transient` (or the configured one, if shorter). */
export const SLOW_CALL_TIMEOUT_MS = 250;
/** How much longer than that timeout the emulator takes to answer in that scenario. */
const SLOW_RESPONSE_EXTRA_MS = 1_500;
/**
 * Seeds of the emulator's PRNG under which the first call meets a reset before the handler ran
 * (nothing changed), and one after it applied the change (changed, but the client never hears). The rule
 * reads the request log for what actually happened, so it stays right if the PRNG ever changes.
 */
const RESET_SEEDS = [1, 5] as const;

interface ErrorScenario {
  readonly rule: RuleId;
  readonly code: ErrorCode;
  /** "the emulator's <label>" in messages. */
  readonly label: string;
  readonly faults?: FaultSettings;
  /** Which call context: the valid key, a wrong secret, or a short call timeout. */
  readonly ctx?: 'wrong' | 'slow';
  /**
   * The request may have been applied: `cancel` must throw the error marked `ambiguous`, because the
   * engine asks `inspect` what happened only then (a returned "failed" outcome is final).
   */
  readonly ambiguous?: boolean;
  /** With the fault lifted, `inspect` must tell whether the interrupted cancel was applied. */
  readonly truth?: boolean;
}

/** Why a call that must throw an ambiguous Transient did not; empty if it did. */
function ambiguityProblems(result: CancelResult, targets: readonly string[], label: string): string[] {
  if (!('thrown' in result)) {
    return [
      `cancel, answered with the emulator's ${label}, returned outcomes (${errorCodeOf(result, targets)}); it must throw a Transient CancelKitError marked ambiguous: true, so that the engine asks inspect whether the cancel was applied before it retries or reports (a returned "failed" outcome is final)`,
    ];
  }
  const error = result.thrown;
  if (!isCancelKitError(error)) return [`cancel, answered with the emulator's ${label}, threw a non-taxonomy error (${describeError(error)}); expected Transient marked ambiguous: true (core's transportError does that)`];
  if (error.code !== 'Transient') return [`cancel, answered with the emulator's ${label}, threw ${error.code}; expected Transient marked ambiguous: true`];
  if (error.ambiguous !== true) {
    return [`cancel, answered with the emulator's ${label}, threw Transient without ambiguous: true; the request may have been applied, and only an ambiguous error makes the engine check through inspect before it retries`];
  }
  return [];
}

/**
 * After an ambiguous failure the engine settles a target from `inspect` alone: "cancelled" only if the
 * state says `cancelled: true`, another attempt if it still looks cancellable. So with the fault lifted,
 * inspect must show exactly what the interrupted call did to the emulator's operations.
 */
async function truthProblems(h: Harness, prepared: PreparedCase, before: Map<string, string>, cancelFaults: readonly string[], label: string): Promise<string[]> {
  const inspect = h.plugin.inspect;
  if (typeof inspect !== 'function') return [];
  const changes = changedOperations(before, h.snapshot());
  const changed = (op: EmulatedOperation) => changes.some((c) => c.startsWith(`operation ${op.service}/${op.id} `));
  const applied = prepared.operations.filter(changed);
  // Some changed, some not (a plugin that calls once per target met the reset midway): no single truth to hold inspect to.
  if (applied.length > 0 && applied.length < prepared.operations.length) return [];
  const what = `${label} (${cancelFaults.join(', ') || 'no fault logged'}) that ${applied.length > 0 ? 'came after the cancel was applied' : 'left the operation unchanged'}`;
  let states: unknown;
  try {
    states = await h.call(`inspect (after a ${label})`, () => inspect.call(h.plugin, prepared.params, h.ctx));
    h.record(`inspect(after a ${label}) states`, states);
  } catch (error) {
    h.record(`inspect(after a ${label}) error`, error);
    return [`after a ${what}, inspect threw ${describeError(error)}; the engine reconciles ambiguous failures through it`];
  }
  if (!Array.isArray(states)) return [`after a ${what}, inspect resolved to ${preview(states)}, not an array of states`];
  const problems: string[] = [];
  for (const target of prepared.targets) {
    const state = states.find((s: { target?: unknown }) => s?.target === target);
    if (!state) {
      problems.push(`after a ${what}, inspect returned no state for target ${target}`);
      continue;
    }
    if (applied.length > 0 && state.cancelled !== true) {
      problems.push(`after a ${what}, inspect says ${summarizeState(state)} for target ${target}; it must say cancelled: true, the only state from which the engine reports the cancel that happened`);
    } else if (applied.length === 0 && decide(state).kind !== 'cancel') {
      problems.push(`after a ${what}, inspect says ${summarizeState(state)} for target ${target}; the operation is still cancellable, so the engine would give up instead of retrying`);
    }
  }
  return problems;
}

async function errorScenario(h: Harness, scenario: ErrorScenario, seed: number): Promise<string[]> {
  const { plugin } = h;
  const inspect = plugin.inspect;
  const prepared = prepareCase(h, 'cancellable', h.options.cases.cancellable, 'cancelled');
  const ctx = scenario.ctx === 'wrong' ? h.wrongCtx : scenario.ctx === 'slow' ? h.slowCtx : h.ctx;
  const problems: string[] = [];
  const before = h.snapshot();
  const requestsBefore = h.requestCount();
  /** The faults the emulator logged for the cancel call's requests, to say which kind of reset it met. */
  let cancelFaults: string[] = [];
  if (scenario.faults) h.emulator.setFaults({ ...scenario.faults, seed });
  try {
    const cancelled = await cancelOnce(h, `with a ${scenario.label}`, prepared.params, ctx);
    cancelFaults = [...new Set(h.requestsSince(requestsBefore).flatMap((r) => (r.fault ? [r.fault] : [])))];
    if (scenario.ambiguous) problems.push(...ambiguityProblems(cancelled, prepared.targets, scenario.label));
    else {
      const code = errorCodeOf(cancelled, prepared.targets);
      if (code !== scenario.code) problems.push(`cancel, answered with the emulator's ${scenario.label}, gave ${code}; expected ${scenario.code}`);
    }
    if (typeof inspect === 'function') {
      try {
        const states = await h.call(`inspect with a ${scenario.label}`, () => inspect.call(plugin, prepared.params, ctx));
        h.record(`inspect(with a ${scenario.label}) states`, states);
        problems.push(`inspect, answered with the emulator's ${scenario.label}, resolved (${preview(states)}); expected it to throw ${scenario.code}`);
      } catch (error) {
        h.record(`inspect(with a ${scenario.label}) error`, error);
        const code = isCancelKitError(error) ? error.code : `a non-taxonomy error (${describeError(error)})`;
        if (code !== scenario.code) problems.push(`inspect, answered with the emulator's ${scenario.label}, threw ${code}; expected ${scenario.code}`);
      }
    }
  } finally {
    if (scenario.faults) h.emulator.clearFaults();
  }
  if (scenario.ctx === 'wrong') {
    for (const change of changedOperations(before, h.snapshot())) problems.push(`a call with a wrong secret changed the emulator's state: ${change}`);
  }
  if (scenario.truth) problems.push(...(await truthProblems(h, prepared, before, cancelFaults, scenario.label)));
  return problems;
}

async function errorRules(h: Harness): Promise<RuleResult[]> {
  const slowLatency = Math.min(h.slowTimeoutMs + SLOW_RESPONSE_EXTRA_MS, MAX_LATENCY_MS);
  const scenarios: Array<ErrorScenario & { seeds?: readonly number[] }> = [
    { rule: 'errors:throttled', code: 'Throttled', label: 'throttling error', faults: { throttle: 1 } },
    { rule: 'errors:transient', code: 'Transient', label: 'server error (5xx)', faults: { serverError: 1 } },
    { rule: 'errors:unauthenticated', code: 'Unauthenticated', label: 'wrong secret', ctx: 'wrong' },
    // The emulator's `deny` fault answers with the protocol's own refusal (Forbidden.RAM, APIGW.0302) or,
    // for a protocol without one, a plain 403 Forbidden.
    { rule: 'errors:permission-denied', code: 'PermissionDenied', label: 'permission refusal', faults: { deny: ['*'] } },
    { rule: 'errors:transient', code: 'Transient', label: 'connection reset', faults: { reset: 1 }, ambiguous: true, truth: true, seeds: RESET_SEEDS },
    // Last: the emulator answers the slow calls only after the kit has moved on (and drops them when it
    // stops), so a late cancel cannot change an operation another scenario is watching.
    {
      rule: 'errors:transient',
      code: 'Transient',
      label: `response slower than the ${h.slowTimeoutMs} ms call timeout`,
      faults: { latencyMs: slowLatency },
      ctx: 'slow',
      ambiguous: true,
    },
  ];
  // Several scenarios may check one rule (every network failure is Transient); each problem names its fault.
  const problemsOf = new Map<RuleId, string[]>();
  for (const scenario of scenarios) {
    const problems = problemsOf.get(scenario.rule) ?? [];
    problemsOf.set(scenario.rule, problems);
    for (const seed of scenario.seeds ?? [1]) {
      try {
        for (const problem of await errorScenario(h, scenario, seed)) if (!problems.includes(problem)) problems.push(problem);
      } catch (error) {
        problems.push((error as Error).message);
        break;
      }
    }
  }
  return [...problemsOf].map(([rule, problems]) => resultOf(rule, problems, h.secrets));
}

function secretRule(h: Harness): RuleResult {
  const problems: string[] = [];
  for (const { label, value } of h.artifacts) {
    for (const where of findSecretLeaks(value, h.secrets, label)) problems.push(`${where} contains a credential secret`);
  }
  h.logRecords.forEach((record, i) => {
    for (const where of findSecretLeaks(record, h.secrets, `log record #${i} ("${record.message}")`)) problems.push(`${where} contains a credential secret`);
  });
  return resultOf('no-secret-leak', problems, h.secrets);
}

function overrideSource(provider: string, value: unknown, secrets: readonly string[]): CredentialSource<unknown> {
  return {
    provider,
    description: 'credentials given to the conformance kit',
    resolve: async () => value,
    secretsOf: () => [...secrets],
  };
}

/**
 * Runs every conformance rule against `plugin` and resolves with one result per rule (see
 * `conformanceRuleIds`). Setup problems (the emulator does not start, credentials cannot be resolved)
 * fail every rule that needs the emulator, with the reason.
 */
export async function runConformance<P>(plugin: CancellablePlugin<P>, options: ConformanceOptions): Promise<RuleResult[]> {
  const anyPlugin = plugin as CancellablePlugin<unknown>;
  const results: RuleResult[] = [resultOf('manifest', checkManifest(anyPlugin.manifest, { plugin: anyPlugin }), [])];
  const rules = conformanceRuleIds(options.cases).filter((r) => r !== 'manifest');
  const homeDir = mkdtempSync(path.join(tmpdir(), 'cancelkit-conformance-'));
  let emulator: RunningEmulator | undefined;
  const clients: Promise<HttpClient>[] = [];
  let secrets: string[] = [];
  try {
    const emulations = Array.isArray(options.emulation) ? [...options.emulation] : [options.emulation as ServiceEmulation];
    const service = (emulations.find((e) => e.service === anyPlugin.manifest.service) ?? emulations[0])?.service;
    if (service === undefined) throw new Error('options.emulation is empty: pass the plugin package\'s "./emulation" default export');
    emulator = await startEmulator({ ...options.emulator, port: 0, host: '127.0.0.1', emulations });
    const given = typeof options.config === 'function' ? options.config(emulator.url) : (options.config ?? {});
    const config = resolveConfig({
      timeoutMs: 5_000,
      ...given,
      endpoints: { '*': emulator.url, ...given.endpoints },
      env: given.env ?? {},
      homeDir: given.homeDir ?? homeDir,
    });
    const provider = anyPlugin.manifest.provider;
    const source = anyPlugin.credentialSources?.find((s) => s.provider === provider) ?? anyPlugin.credentialSources?.[0];
    let value = options.credentials?.value;
    if (value === undefined) {
      if (!source) {
        throw new Error(`the plugin declares no credentialSources for provider "${provider}": pass credentials: { value, secrets }`);
      }
      try {
        value = await source.resolve({
          providerConfig: config.providers[provider] ?? {},
          env: config.env,
          homeDir: config.homeDir,
          ...(config.profile !== undefined ? { profile: config.profile } : {}),
        });
      } catch (error) {
        throw new Error(`could not resolve credentials through ${source.description}: ${describeError(error)}; pass config.env / config.providers or credentials.value`);
      }
    }
    const validSecrets = [...(options.credentials?.secrets ?? source?.secretsOf(value) ?? [])];
    if (validSecrets.length === 0) throw new Error('no secret is known for the credentials: pass credentials.secrets');
    const wrongOf = new Map(validSecrets.map((s) => [s, `wrong-${randomUUID()}`]));
    const wrongValue = replaceSecrets(value, validSecrets, (s) => wrongOf.get(s) ?? 'wrong');
    secrets = [...validSecrets, ...wrongOf.values()];

    const logRecords: LogRecord[] = [];
    // Key-name masking (authorization, secret, …) applies as in production, but no secret values are
    // registered: a plugin that puts a secret in a message or an innocently named field is caught.
    const logger = createLogger({ sink: (record) => logRecords.push(record), level: 'debug', secrets: new SecretRegistry() });
    // One lazy client per timeout, as a host has: its default timeout is the configured one, so a plugin
    // that forgets to pass ctx.timeoutMs still times out as it would in production.
    const httpWith = (timeoutMs: number) => {
      let client: Promise<HttpClient> | undefined;
      return () => {
        if (!client) {
          client = createHttpClient({ timeoutMs, env: {} });
          clients.push(client);
        }
        return client;
      };
    };
    const http = httpWith(config.timeoutMs);
    const slowTimeoutMs = Math.min(SLOW_CALL_TIMEOUT_MS, config.timeoutMs);
    const engineFor = (credentials: unknown, credentialSecrets: readonly string[], timeouts?: { timeoutMs: number; http: () => Promise<HttpClient> }) =>
      new Engine({
        config: timeouts ? { ...config, timeoutMs: timeouts.timeoutMs } : config,
        plugins: new Map([[anyPlugin.manifest.id, anyPlugin]]),
        logger,
        clock: systemClock,
        secrets: new SecretRegistry(),
        http: timeouts?.http ?? http,
        credentialOverrides: [overrideSource(provider, credentials, credentialSecrets)],
        observers: [],
      });
    const signal = new AbortController().signal;
    const ctx = engineFor(value, validSecrets).context(anyPlugin, signal);
    const wrongCtx = engineFor(wrongValue, [...wrongOf.values()]).context(anyPlugin, signal);
    const slowCtx = engineFor(value, validSecrets, { timeoutMs: slowTimeoutMs, http: httpWith(slowTimeoutMs) }).context(anyPlugin, signal);
    const h = new Harness(anyPlugin, options, emulator, service, ctx, wrongCtx, slowCtx, slowTimeoutMs, secrets, options.callTimeoutMs ?? 10_000, logRecords);
    const guard = async (fn: () => Promise<RuleResult[]>, rulesOf: RuleId[]): Promise<RuleResult[]> => {
      try {
        return await fn();
      } catch (error) {
        return rulesOf.map((rule) => resultOf(rule, [`the kit could not evaluate this rule: ${describeError(error)}`], secrets));
      }
    };
    results.push(...(await guard(() => parseRules(h), ['parse-rejects-invalid', 'parse-sends-no-request'])));
    results.push(...(await guard(() => inspectRules(h), ['inspect-read-only', 'inspect-states'])));
    results.push(...(await guard(() => cancelRules(h), caseList(options.cases).map((c) => c.rule))));
    results.push(...(await guard(() => errorRules(h), ['errors:throttled', 'errors:transient', 'errors:unauthenticated', 'errors:permission-denied'])));
    results.push(secretRule(h));
  } catch (error) {
    const reason = `setup failed: ${error instanceof Error ? error.message : String(error)}`;
    for (const rule of rules) if (!results.some((r) => r.rule === rule)) results.push(resultOf(rule, [reason], secrets));
  } finally {
    for (const client of clients) {
      const got = await client;
      const agents = got.defaults.options.agent as { http?: { destroy(): void }; https?: { destroy(): void } };
      agents.http?.destroy();
      agents.https?.destroy();
    }
    await emulator?.stop();
    rmSync(homeDir, { recursive: true, force: true });
  }
  const order = conformanceRuleIds(options.cases);
  return results.sort((a, b) => order.indexOf(a.rule) - order.indexOf(b.rule));
}
