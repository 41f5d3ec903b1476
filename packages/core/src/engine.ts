/**
 * The engine around a plugin's `cancel`: pre-check, retries (retryable errors only, full jitter, server
 * hints honoured), reconciliation of ambiguous failures through `inspect`, per-service rate limits,
 * bounded concurrency for batches, `wait`, and a result stream with exactly one final record per target.
 */
import { backoffDelay } from './backoff.js';
import type { ResolvedConfig } from './config.js';
import type {
  CallContext,
  CancellablePlugin,
  CancelOutcome,
  Clock,
  OperationState,
  Outcome,
} from './contract.js';
import { createCallContext } from './context.js';
import type { CredentialSource } from './credentials.js';
import type { EndpointSource } from './endpoints.js';
import { CancelKitError, type CancelKitErrorJSON, type ErrorCode, serializeError, toCancelKitError } from './errors.js';
import type { Logger, SecretRegistry } from './logger.js';
import { defaultBurst, RateLimiters } from './rate-limit.js';
import { checkEndpoint, type HttpClient } from './transport.js';

/** One final record per target. */
export interface TargetResult extends CancelOutcome {
  readonly plugin: string;
  /** Index of the batch item this target came from (0 for single calls). */
  readonly item: number;
  /** Cancel attempts made (0 when nothing was sent). */
  readonly attempts: number;
  readonly durationMs: number;
  /** The last state seen through `inspect`, when there was one. */
  readonly state?: OperationState;
  /**
   * With `wait`: whether the operation reached a terminal state before the timeout. `gaveUp` says why the
   * wait ended early without one: `inspect` was refused in a way polling cannot fix (credentials,
   * permission), so waiting out the timeout would only repeat the refusal.
   */
  readonly waited?: {
    readonly terminal: boolean;
    readonly timedOut: boolean;
    readonly status?: string;
    readonly gaveUp?: { readonly code: ErrorCode; readonly message: string };
  };
}

/** Refusals of `inspect` that no amount of polling clears: `wait` stops at once on them. */
const WAIT_STOPPERS: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['Unauthenticated', 'PermissionDenied', 'InvalidInput']);

export interface CancelOptions {
  /** Inspect first and skip what cannot be cancelled (default true when the plugin can inspect). */
  precheck?: boolean;
  /** After cancelling, poll `inspect` until a terminal state. */
  wait?: boolean;
  waitTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface BatchItem {
  readonly plugin: string;
  readonly params: unknown;
}

export interface BatchOptions extends CancelOptions {
  concurrency?: number;
  /** Skip targets already settled (resume): called with plugin id and target id. */
  skip?: (plugin: string, target: string) => boolean;
}

export interface PlanEntry {
  readonly plugin: string;
  readonly target: string;
  /** What a real run would do now. */
  readonly action: 'cancel' | 'skip';
  /** The outcome a skip would report, or `cancelled` for targets that would be cancelled. */
  readonly expected: Outcome;
  readonly reason?: string;
  readonly state?: OperationState;
  readonly error?: CancelKitErrorJSON;
}

/** Hooks for apps (metrics, progress). All optional, all synchronous. */
export interface EngineObserver {
  onRequest?(event: { plugin: string; kind: 'inspect' | 'cancel'; durationMs: number; ok: boolean }): void;
  onRetry?(event: { plugin: string; attempt: number; delayMs: number; code: string }): void;
  onResult?(result: TargetResult): void;
}

export interface EngineDeps {
  config: ResolvedConfig;
  plugins: ReadonlyMap<string, CancellablePlugin<unknown>>;
  logger: Logger;
  clock: Clock;
  secrets: SecretRegistry;
  http: () => Promise<HttpClient>;
  credentialOverrides: readonly CredentialSource<unknown>[];
  /** Host endpoint sources, one per provider (optional: hosts that build an Engine themselves predate them). */
  endpointSources?: readonly EndpointSource[];
  observers: readonly EngineObserver[];
  random?: () => number;
}

type Decision =
  | { kind: 'cancel' }
  | { kind: 'skip'; outcome: Exclude<Outcome, 'cancelled' | 'failed'>; reason?: string };

/** What a real run does with a target, given what `inspect` saw. Shared by plan and pre-check. */
export function decide(state: OperationState | undefined): Decision {
  if (!state) return { kind: 'cancel' };
  if (!state.found) return { kind: 'skip', outcome: 'not-found', reason: state.reason ?? 'The cloud does not know this target.' };
  if (state.cancelled) return { kind: 'skip', outcome: 'already-finished', reason: state.reason ?? 'Already cancelled.' };
  if (state.terminal) {
    return { kind: 'skip', outcome: 'already-finished', reason: state.reason ?? `Already finished (${state.status ?? 'terminal'}).` };
  }
  if (!state.cancellable) return { kind: 'skip', outcome: 'not-cancellable', reason: state.reason ?? 'The cloud does not allow cancelling it now.' };
  return { kind: 'cancel' };
}

function withReason(reason: string | undefined): { reason?: string } {
  return reason === undefined ? {} : { reason };
}

/** Whether the token the engine took for a call's attempt is still unspent (see `Engine.#send`). */
interface Pacer {
  prepaid: boolean;
}

export class Engine {
  readonly #deps: EngineDeps;
  readonly #limiters: RateLimiters;
  readonly #random: () => number;
  /** Errors of reads that `#send` retried to the limit; the call around them is not retried again. */
  readonly #exhausted = new WeakSet<object>();

  constructor(deps: EngineDeps) {
    this.#deps = deps;
    this.#random = deps.random ?? Math.random;
    const { config, plugins } = deps;
    const serviceQps = new Map<string, number | undefined>();
    for (const plugin of plugins.values()) {
      const { service, defaultQps } = plugin.manifest;
      if (!serviceQps.has(service) || defaultQps !== undefined) serviceQps.set(service, defaultQps);
    }
    this.#limiters = new RateLimiters((service) => {
      const chosen = config.rateLimits[service] ?? config.rateLimits['*'];
      if (chosen !== undefined) return { qps: chosen, burst: 1 };
      const manifestQps = serviceQps.get(service);
      return manifestQps === undefined ? undefined : { qps: manifestQps, burst: defaultBurst(manifestQps) };
    }, deps.clock);
  }

  plugin(id: string): CancellablePlugin<unknown> {
    // Batch items and HTTP bodies reach here untyped: a non-string id is refused before it is ever
    // interpolated (a template literal on { toString: 0 } throws a TypeError, not a useful error).
    if (typeof id !== 'string' || id.length === 0) {
      throw new CancelKitError('InvalidInput', 'The plugin id must be a non-empty string.', {
        issues: [{ field: 'plugin', message: `expected a plugin id string, got ${id === null ? 'null' : typeof id}` }],
        hint: 'Name an installed plugin, e.g. "alibaba.ecs.task"; `cancelkit plugins list` shows them.',
      });
    }
    const plugin = this.#deps.plugins.get(id);
    if (!plugin) {
      const known = [...this.#deps.plugins.keys()].sort();
      // Quoted as JSON and shortened: the id is caller input and may hold control characters or a megabyte.
      const shown = JSON.stringify(id.length > 80 ? `${id.slice(0, 77)}...` : id);
      throw new CancelKitError('InvalidInput', `Unknown plugin ${shown}.`, {
        issues: [{ field: 'plugin', message: `${shown} is not installed` }],
        hint: known.length > 0 ? `Installed plugins: ${known.join(', ')}.` : 'No plugins are installed.',
      });
    }
    return plugin;
  }

  /** Builds the per-call context a plugin sees. */
  context(plugin: CancellablePlugin<unknown>, signal: AbortSignal, pacer: Pacer = { prepaid: false }): CallContext {
    const { config, secrets, logger, clock } = this.#deps;
    const { id, service, provider } = plugin.manifest;
    const endpoint = config.endpoints[id] ?? config.endpoints[service] ?? config.endpoints['*'];
    if (endpoint !== undefined) checkEndpoint(endpoint, config.allowInsecureHttp);
    return createCallContext({
      http: this.#deps.http,
      ...(endpoint !== undefined ? { endpoint } : {}),
      allowInsecureHttp: config.allowInsecureHttp,
      provider,
      service,
      endpointSources: this.#deps.endpointSources,
      providerConfig: config.providers[provider] ?? {},
      credentialOverrides: this.#deps.credentialOverrides,
      ...(config.profile !== undefined ? { profile: config.profile } : {}),
      logger,
      secrets,
      signal,
      clock,
      timeoutMs: config.timeoutMs,
      env: config.env,
      homeDir: config.homeDir,
      send: (request, options) => this.#send(plugin, signal, pacer, request, options.readOnly),
    });
  }

  /**
   * One request of a plugin call. The engine took a token for the call's attempt; the first request spends
   * it and every further one (the next page of a list) takes its own, so the cloud sees the configured rate.
   * A read-only request is retried here on retryable errors — ambiguous ones too, since a read changes
   * nothing; once it gives up, the engine does not retry the whole call around it again.
   */
  async #send<T>(plugin: CancellablePlugin<unknown>, signal: AbortSignal, pacer: Pacer, request: () => Promise<T>, readOnly: boolean): Promise<T> {
    const { retry } = this.#deps.config;
    for (let attempt = 1; ; attempt++) {
      if (pacer.prepaid) pacer.prepaid = false;
      else await this.#limiters.take(plugin.manifest.service, signal);
      try {
        return await request();
      } catch (thrown) {
        const error = toCancelKitError(thrown);
        if (!readOnly || signal.aborted || !error.retryable) throw thrown;
        if (attempt >= retry.maxAttempts) {
          this.#exhausted.add(error);
          throw error;
        }
        await this.#backoff(plugin, attempt, error, signal);
      }
    }
  }

  async #timed<T>(plugin: CancellablePlugin<unknown>, kind: 'inspect' | 'cancel', fn: () => Promise<T>): Promise<T> {
    const start = this.#deps.clock.now();
    let ok = false;
    try {
      const value = await fn();
      ok = true;
      return value;
    } finally {
      const durationMs = this.#deps.clock.now() - start;
      for (const o of this.#deps.observers) o.onRequest?.({ plugin: plugin.manifest.id, kind, durationMs, ok });
    }
  }

  /**
   * Runs `fn` with rate limiting and retries for retryable errors only. Before each retry of an ambiguous
   * failure `beforeRetry` may settle the call (reconciliation).
   */
  async #withRetry<T>(
    plugin: CancellablePlugin<unknown>,
    signal: AbortSignal,
    pacer: Pacer,
    fn: () => Promise<T>,
    options: { firstAttempt?: number; onAttempt?: (attempt: number) => void; retryAmbiguous?: boolean } = {},
  ): Promise<T> {
    const { retry } = this.#deps.config;
    for (let attempt = options.firstAttempt ?? 1; ; attempt++) {
      await this.#limiters.take(plugin.manifest.service, signal);
      // The token pays for the attempt's first request (a plugin that sends without ctx.send pays here).
      pacer.prepaid = true;
      options.onAttempt?.(attempt);
      try {
        return await fn();
      } catch (thrown) {
        const error = toCancelKitError(thrown);
        // An ambiguous failure of a mutating call is not blindly retried: the caller reconciles first.
        if (error.ambiguous && options.retryAmbiguous === false) throw error;
        // A read that ctx.send already retried to the limit is not worth the whole call again.
        if (this.#exhausted.has(error)) throw error;
        if (signal.aborted || !error.retryable || attempt >= retry.maxAttempts) throw error;
        await this.#backoff(plugin, attempt, error, signal);
      }
    }
  }

  async #backoff(plugin: CancellablePlugin<unknown>, attempt: number, error: CancelKitError, signal: AbortSignal): Promise<void> {
    const delayMs = backoffDelay(attempt, this.#deps.config.retry, error.retryAfterMs, this.#random);
    for (const o of this.#deps.observers) o.onRetry?.({ plugin: plugin.manifest.id, attempt, delayMs, code: error.code });
    this.#deps.logger.debug('retrying', { plugin: plugin.manifest.id, attempt, delayMs, code: error.code, providerCode: error.providerCode });
    await this.#deps.clock.sleep(delayMs, signal);
  }

  async inspect(pluginId: string, input: unknown, signal: AbortSignal = new AbortController().signal): Promise<OperationState[]> {
    const plugin = this.plugin(pluginId);
    const params = plugin.parse(input);
    return this.#inspectParsed(plugin, params, signal);
  }

  async #inspectParsed(plugin: CancellablePlugin<unknown>, params: unknown, signal: AbortSignal): Promise<OperationState[]> {
    const inspect = plugin.inspect;
    if (!inspect) {
      throw new CancelKitError('InvalidInput', `Plugin ${plugin.manifest.id} cannot inspect operations.`, {
        hint: 'Run cancel with --no-precheck instead.',
      });
    }
    const pacer: Pacer = { prepaid: false };
    const ctx = this.context(plugin, signal, pacer);
    return this.#withRetry(plugin, signal, pacer, () => this.#timed(plugin, 'inspect', () => inspect.call(plugin, params, ctx)));
  }

  async plan(pluginId: string, input: unknown, signal: AbortSignal = new AbortController().signal): Promise<PlanEntry[]> {
    const plugin = this.plugin(pluginId);
    const params = plugin.parse(input);
    const targets = plugin.targets(params);
    if (!plugin.inspect) {
      return targets.map((target) => ({
        plugin: pluginId,
        target,
        action: 'cancel' as const,
        expected: 'cancelled' as const,
        reason: 'The plugin cannot inspect; a real run would send the cancel request.',
      }));
    }
    const states = await this.#inspectParsed(plugin, params, signal);
    return targets.map((target) => {
      const state = states.find((s) => s.target === target);
      // The pre-check's own decision, a missing state included (it sends the cancel and lets the cloud answer).
      const decision = decide(state);
      const base = { plugin: pluginId, target, ...(state ? { state } : {}) };
      return decision.kind === 'cancel'
        ? {
            ...base,
            action: 'cancel' as const,
            expected: 'cancelled' as const,
            ...(state ? {} : { reason: 'Inspect reported nothing about this target; a real run would send the cancel request.' }),
          }
        : { ...base, action: 'skip' as const, expected: decision.outcome, ...withReason(decision.reason) };
    });
  }

  /** Cancel the targets of one params object; resolves with exactly one result per target. */
  async cancel(pluginId: string, input: unknown, options: CancelOptions = {}): Promise<TargetResult[]> {
    const plugin = this.plugin(pluginId);
    const params = plugin.parse(input);
    return this.#cancelParsed(plugin, params, 0, options);
  }

  async #cancelParsed(
    plugin: CancellablePlugin<unknown>,
    params: unknown,
    item: number,
    options: CancelOptions,
  ): Promise<TargetResult[]> {
    const started = this.#deps.clock.now();
    const signal = options.signal ?? new AbortController().signal;
    const pluginId = plugin.manifest.id;
    const targets = [...new Set(plugin.targets(params))];
    const settled = new Map<string, Omit<TargetResult, 'plugin' | 'item' | 'durationMs' | 'attempts'>>();
    const states = new Map<string, OperationState>();
    let attempts = 0;
    let hadAmbiguous = false;

    const settle = (target: string, outcome: Outcome, extra: Partial<CancelOutcome> = {}) => {
      if (settled.has(target)) return;
      const state = states.get(target);
      settled.set(target, { ...extra, target, outcome, ...(state ? { state } : {}) });
    };
    const failAll = (error: CancelKitError, only?: readonly string[]) => {
      const json = serializeError(error);
      for (const target of only ?? targets) {
        settle(target, 'failed', { error: json, ...(error.requestId ? { requestId: error.requestId } : {}), ...(error.providerCode ? { providerCode: error.providerCode } : {}) });
      }
    };

    try {
      let remaining = targets;
      const canInspect = typeof plugin.inspect === 'function';
      if ((options.precheck ?? true) && canInspect && remaining.length > 0) {
        try {
          const seen = await this.#inspectParsed(plugin, params, signal);
          for (const s of seen) states.set(s.target, s);
          for (const target of remaining) {
            const state = states.get(target);
            const decision = decide(state);
            // The inspect that settled it is the cloud call of record: its request id goes on the record.
            const requestId = state?.requestId ? { requestId: state.requestId } : {};
            if (decision.kind === 'skip') settle(target, decision.outcome, { ...requestId, ...withReason(decision.reason) });
          }
          remaining = remaining.filter((t) => !settled.has(t));
        } catch (thrown) {
          const error = toCancelKitError(thrown);
          // A principal allowed to cancel but not to read must still be able to cancel.
          if (error.code !== 'PermissionDenied') throw error;
          this.#deps.logger.warn('pre-check skipped: no permission to inspect', { plugin: pluginId });
        }
      }

      while (remaining.length > 0) {
        const subset = remaining;
        const callParams = subset.length === targets.length || !plugin.select ? params : plugin.select(params, subset);
        const pacer: Pacer = { prepaid: false };
        const ctx = this.context(plugin, signal, pacer);
        try {
          const outcomes = await this.#withRetry(plugin, signal, pacer, () => this.#timed(plugin, 'cancel', () => plugin.cancel(callParams, ctx)), {
            firstAttempt: attempts + 1,
            retryAmbiguous: false,
            onAttempt: () => {
              attempts++;
            },
          });
          const reported = new Map<string, CancelOutcome>();
          for (const outcome of outcomes) {
            if (!subset.includes(outcome.target)) {
              this.#deps.logger.warn('plugin reported an outcome for a target it was not asked about', { plugin: pluginId, target: outcome.target });
              continue;
            }
            if (reported.has(outcome.target) || settled.has(outcome.target)) {
              this.#deps.logger.warn('plugin reported two outcomes for one target; keeping the first', { plugin: pluginId, target: outcome.target });
              continue;
            }
            reported.set(outcome.target, outcome);
          }
          // After an ambiguous attempt, a refusal now may just mean the earlier attempt was applied late:
          // ask the cloud before reporting anything but `cancelled`.
          const doubtful = hadAmbiguous && canInspect ? [...reported.values()].filter((o) => o.outcome !== 'cancelled').map((o) => o.target) : [];
          const confirmed = doubtful.length > 0 ? await this.#cancelledNow(plugin, params, doubtful, signal) : new Set<string>();
          for (const { target, outcome: kind, ...rest } of reported.values()) {
            if (confirmed.has(target)) settle(target, 'cancelled', { reason: 'Confirmed through inspect: an earlier ambiguous attempt was applied.' });
            else settle(target, kind, rest);
          }
          const missing = subset.filter((t) => !settled.has(t));
          if (missing.length > 0) {
            failAll(new CancelKitError('Unknown', `Plugin ${pluginId} reported no outcome for this target.`), missing);
          }
          remaining = [];
        } catch (thrown) {
          const error = toCancelKitError(thrown);
          if (!signal.aborted && canInspect && (error.ambiguous || hadAmbiguous || error.code === 'NotCancellable' || error.code === 'NotFound')) {
            // Ask the cloud what actually happened instead of guessing.
            hadAmbiguous ||= error.ambiguous;
            const reconciled = await this.#reconcile(plugin, params, subset, signal, error);
            // The refusal inspect explained is still the cloud's answer to our cancel: keep its request id and
            // error beside the reason, so a run without pre-check reports as much as one with it.
            const refusal: Partial<CancelOutcome> = {
              ...(error.requestId ? { requestId: error.requestId } : {}),
              ...(error.providerCode ? { providerCode: error.providerCode } : {}),
              error: serializeError(error),
            };
            for (const [target, decision] of reconciled) {
              if (decision.kind === 'cancelled') {
                // Cancelled after one of our ambiguous attempts: ours. Otherwise someone else's, earlier.
                if (hadAmbiguous) settle(target, 'cancelled', { reason: 'Confirmed through inspect after an ambiguous failure.' });
                else settle(target, 'already-finished', { ...refusal, reason: 'Already cancelled.' });
              } else settle(target, decision.outcome, { ...refusal, ...withReason(decision.reason) });
            }
            const retryable = subset.filter((t) => !settled.has(t));
            if (retryable.length > 0 && error.ambiguous && error.retryable && attempts < this.#deps.config.retry.maxAttempts) {
              await this.#backoff(plugin, attempts, error, signal);
              remaining = retryable;
              continue;
            }
            remaining = retryable;
          }
          if (remaining.length > 0) this.#settleFromError(error, remaining, settle, failAll);
          remaining = [];
        }
      }

      if (options.wait && canInspect) {
        const waitTargets = targets.filter((t) => settled.get(t)?.outcome === 'cancelled');
        if (waitTargets.length > 0) {
          const waited = await this.#wait(plugin, params, waitTargets, signal, options.waitTimeoutMs);
          for (const [target, w] of waited) {
            const previous = settled.get(target);
            if (previous) settled.set(target, { ...previous, waited: w.waited, ...(w.state ? { state: w.state } : {}) });
          }
        }
      }
    } catch (thrown) {
      const error = signal.aborted
        ? new CancelKitError(
            'Transient',
            attempts > 0
              ? 'Aborted before this target was settled; it may or may not have been cancelled.'
              : 'Aborted before this target was settled; no cancel request was sent.',
            {
              ambiguous: attempts > 0,
              cause: thrown,
            },
          )
        : toCancelKitError(thrown);
      failAll(error);
    }

    const durationMs = this.#deps.clock.now() - started;
    return targets.map((target) => {
      const record = settled.get(target) ?? { target, outcome: 'failed' as const, error: serializeError(new CancelKitError('Unknown', 'No outcome was recorded.')) };
      const result: TargetResult = { ...record, plugin: pluginId, item, attempts, durationMs };
      for (const o of this.#deps.observers) o.onResult?.(result);
      return result;
    });
  }

  #settleFromError(
    error: CancelKitError,
    targets: readonly string[],
    settle: (target: string, outcome: Outcome, extra?: Partial<CancelOutcome>) => void,
    failAll: (error: CancelKitError, only?: readonly string[]) => void,
  ): void {
    const extra: Partial<CancelOutcome> = {
      ...(error.requestId ? { requestId: error.requestId } : {}),
      ...(error.providerCode ? { providerCode: error.providerCode } : {}),
      reason: error.providerMessage ?? error.message,
      error: serializeError(error),
    };
    if (error.code === 'NotFound') for (const t of targets) settle(t, 'not-found', extra);
    else if (error.code === 'NotCancellable') for (const t of targets) settle(t, 'not-cancellable', extra);
    else failAll(error, targets);
  }

  /** The targets `inspect` now shows cancelled (none if inspect fails: the plugin's word then stands). */
  async #cancelledNow(plugin: CancellablePlugin<unknown>, params: unknown, targets: readonly string[], signal: AbortSignal): Promise<Set<string>> {
    try {
      const states = await this.#inspectParsed(plugin, params, signal);
      return new Set(states.filter((s) => s.cancelled && targets.includes(s.target)).map((s) => s.target));
    } catch (thrown) {
      this.#deps.logger.warn('confirming outcomes through inspect failed', { plugin: plugin.manifest.id, code: toCancelKitError(thrown).code });
      return new Set();
    }
  }

  async #reconcile(
    plugin: CancellablePlugin<unknown>,
    params: unknown,
    targets: readonly string[],
    signal: AbortSignal,
    cause: CancelKitError,
  ): Promise<Map<string, { kind: 'cancelled' } | Extract<Decision, { kind: 'skip' }>>> {
    const result = new Map<string, { kind: 'cancelled' } | Extract<Decision, { kind: 'skip' }>>();
    try {
      const states = await this.#inspectParsed(plugin, params, signal);
      for (const target of targets) {
        const state = states.find((s) => s.target === target);
        if (!state) continue;
        if (state.cancelled) {
          result.set(target, { kind: 'cancelled' });
          continue;
        }
        // After an ambiguous failure only a confirmed cancel or a definite "cannot" settles the target.
        const decision = decide(state);
        if (decision.kind === 'skip' && !cause.ambiguous) result.set(target, decision);
        else if (decision.kind === 'skip' && (decision.outcome === 'not-found' || decision.outcome === 'already-finished')) {
          result.set(target, decision);
        }
      }
    } catch (thrown) {
      this.#deps.logger.warn('reconciliation through inspect failed', { plugin: plugin.manifest.id, code: toCancelKitError(thrown).code });
    }
    return result;
  }

  async #wait(
    plugin: CancellablePlugin<unknown>,
    params: unknown,
    targets: readonly string[],
    signal: AbortSignal,
    timeoutMs = this.#deps.config.wait.timeoutMs,
  ): Promise<Map<string, { waited: NonNullable<TargetResult['waited']>; state?: OperationState }>> {
    const { clock } = this.#deps;
    const deadline = clock.now() + timeoutMs;
    const pending = new Set(targets);
    const out = new Map<string, { waited: NonNullable<TargetResult['waited']>; state?: OperationState }>();
    const narrowed = plugin.select ? plugin.select(params, targets) : params;
    let last = new Map<string, OperationState>();
    let gaveUp: { code: ErrorCode; message: string } | undefined;
    while (pending.size > 0) {
      try {
        const states = await this.#inspectParsed(plugin, narrowed, signal);
        last = new Map(states.map((s) => [s.target, s]));
        for (const target of [...pending]) {
          const state = last.get(target);
          if (state && (state.terminal || !state.found)) {
            pending.delete(target);
            out.set(target, { waited: { terminal: true, timedOut: false, ...(state.status ? { status: state.status } : {}) }, state });
          }
        }
      } catch (thrown) {
        const error = toCancelKitError(thrown);
        this.#deps.logger.warn('inspect failed while waiting', { plugin: plugin.manifest.id, code: error.code });
        if (WAIT_STOPPERS.has(error.code)) {
          gaveUp = { code: error.code, message: error.message };
          break;
        }
      }
      if (pending.size === 0) break;
      const left = deadline - clock.now();
      if (left <= 0) break;
      await clock.sleep(Math.min(this.#deps.config.wait.intervalMs, left), signal);
    }
    for (const target of pending) {
      const state = last.get(target);
      const waited = gaveUp ? { terminal: false, timedOut: false, gaveUp } : { terminal: false, timedOut: true };
      out.set(target, { waited: { ...waited, ...(state?.status ? { status: state.status } : {}) }, ...(state ? { state } : {}) });
    }
    return out;
  }

  /** Poll until every target is terminal or the timeout passes. */
  async wait(pluginId: string, input: unknown, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<TargetResult['waited'][]> {
    const plugin = this.plugin(pluginId);
    const params = plugin.parse(input);
    const targets = plugin.targets(params);
    const waited = await this.#wait(plugin, params, targets, options.signal ?? new AbortController().signal, options.timeoutMs);
    return targets.map((t) => waited.get(t)?.waited);
  }

  /**
   * A batch: items in, exactly one final record per target out, in completion order. Bad items (unknown
   * plugin, invalid params) yield a `failed` record with the InvalidInput error; nothing is dropped, even
   * on abort (unstarted targets are reported as failed/aborted).
   */
  async *run(items: Iterable<BatchItem> | AsyncIterable<BatchItem>, options: BatchOptions = {}): AsyncGenerator<TargetResult> {
    const concurrency = Math.max(1, Math.floor(options.concurrency ?? this.#deps.config.concurrency));
    const signal = options.signal ?? new AbortController().signal;
    const iterator = (Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : (items as Iterable<BatchItem>)[Symbol.iterator]()) as
      | AsyncIterator<BatchItem>
      | Iterator<BatchItem>;
    const buffered: TargetResult[] = [];
    let wake: (() => void) | undefined;
    let index = 0;
    let exhausted = false;
    let active = 0;
    let failure: unknown;
    // Set when the consumer leaves early (break, throw, return): workers start no further item.
    let closed = false;
    const emit = (results: TargetResult[]) => {
      buffered.push(...results);
      wake?.();
    };
    /** Targets an item of this run has taken on, by plugin and target, with the item and its result to come. */
    const claimed = new Map<string, { item: number; promise: Promise<TargetResult | undefined>; resolve: (r: TargetResult | undefined) => void }>();

    const processItem = async (item: BatchItem, itemIndex: number): Promise<TargetResult[]> => {
      let plugin: CancellablePlugin<unknown> | undefined;
      let params: unknown;
      let targets: string[];
      try {
        plugin = this.plugin(item.plugin);
        params = plugin.parse(item.params);
        targets = plugin.targets(params);
      } catch (thrown) {
        const error = toCancelKitError(thrown);
        return [badItemResult(item, itemIndex, error, plugin?.manifest.targetParam)];
      }
      const pluginId = plugin.manifest.id;
      const unsettled = [...new Set(options.skip ? targets.filter((t) => !options.skip?.(pluginId, t)) : targets)];
      if (unsettled.length === 0) return [];
      // A target an earlier item of this run already addresses (the same line twice in a batch file) is
      // not sent again: it gets its own record, a copy of the first one's result, once that has settled.
      // Claims happen in item order: this part runs synchronously as soon as an item is pulled.
      const todo: string[] = [];
      const copies: Promise<TargetResult>[] = [];
      for (const target of unsettled) {
        const first = claimed.get(claimKey(pluginId, target));
        if (first) copies.push(first.promise.then((result) => duplicateResult(pluginId, target, itemIndex, first.item, result)));
        else {
          claimed.set(claimKey(pluginId, target), { item: itemIndex, ...deferred<TargetResult | undefined>() });
          todo.push(target);
        }
      }
      let results: TargetResult[] = [];
      try {
        if (todo.length === 0) results = [];
        else if (signal.aborted) results = todo.map((target) => abortedResult(pluginId, target, itemIndex));
        else if (todo.length === targets.length || plugin.select) {
          const narrowed = todo.length === targets.length ? params : (plugin.select?.(params, todo) ?? params);
          results = await this.#cancelParsed(plugin, narrowed, itemIndex, { ...options, signal });
        } else {
          // A multi-target plugin without `select` cannot be asked about some targets only: the whole item
          // is sent again, but only the targets not yet settled get a record, so none is reported twice.
          const wanted = new Set(todo);
          results = (await this.#cancelParsed(plugin, params, itemIndex, { ...options, signal })).filter((r) => wanted.has(r.target));
        }
      } finally {
        // Always settled, so a duplicate waiting on it can never hang (undefined: it gets an aborted record).
        for (const target of todo) claimed.get(claimKey(pluginId, target))?.resolve(results.find((r) => r.target === target));
      }
      return copies.length === 0 ? results : [...results, ...(await Promise.all(copies))];
    };

    const worker = async () => {
      for (;;) {
        if (closed) return;
        let next: IteratorResult<BatchItem>;
        try {
          next = await iterator.next();
        } catch (error) {
          failure = error;
          exhausted = true;
          return;
        }
        if (next.done) {
          exhausted = true;
          return;
        }
        if (closed) return;
        const itemIndex = index++;
        emit(await processItem(next.value, itemIndex));
      }
    };

    const workers: Promise<void>[] = [];
    for (let i = 0; i < concurrency; i++) {
      active++;
      workers.push(
        worker().finally(() => {
          active--;
          wake?.();
        }),
      );
    }
    let drained = false;
    try {
      while (active > 0 || buffered.length > 0) {
        if (buffered.length > 0) {
          yield buffered.shift() as TargetResult;
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          if (buffered.length > 0 || active === 0) resolve();
        });
        wake = undefined;
      }
      drained = true;
    } finally {
      if (!drained) {
        // The consumer stopped reading: nothing more is started, and the cancels already sent settle before
        // the stream's return() resolves, so no work goes on unseen behind a closed stream.
        closed = true;
        await Promise.allSettled(workers);
        if (!exhausted) await Promise.resolve(iterator.return?.()).catch(() => undefined);
      }
    }
    await Promise.all(workers);
    if (failure !== undefined) throw failure;
  }
}

/** A record for an item that could not even be parsed: its target is named as well as the input allows. */
function badItemResult(item: BatchItem, itemIndex: number, error: CancelKitError, targetParam?: string): TargetResult {
  const params = item.params as Record<string, unknown> | undefined;
  const raw = params && typeof params === 'object' && targetParam ? params[targetParam] : undefined;
  // Only strings and numbers are spelled out: String() on an arbitrary object can throw ({ toString: 0 })
  // or run the caller's code, and a record for bad input must never fail to be written.
  const scalar = (value: unknown): string | undefined =>
    typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
  const named = Array.isArray(raw)
    ? raw.every((part) => scalar(part) !== undefined)
      ? raw.map(scalar).join(',')
      : undefined
    : scalar(raw);
  const pluginName = typeof item.plugin === 'string' ? item.plugin : `<${item.plugin === null ? 'null' : typeof item.plugin}>`;
  return {
    plugin: pluginName.length <= 256 ? pluginName : `${pluginName.slice(0, 253)}...`,
    target: named && named.length > 0 && named.length <= 256 ? named : `#${itemIndex + 1}`,
    outcome: 'failed',
    error: serializeError(error),
    item: itemIndex,
    attempts: 0,
    durationMs: 0,
  };
}

function claimKey(plugin: string, target: string): string {
  return `${plugin}\n${target}`;
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** The record of a target an earlier item of the same run already cancelled (or tried to): nothing is sent. */
function duplicateResult(plugin: string, target: string, item: number, firstItem: number, first: TargetResult | undefined): TargetResult {
  if (!first) return abortedResult(plugin, target, item);
  const note = `Batch item ${firstItem + 1} addresses the same target: this is its result; nothing was sent again.`;
  return { ...first, item, attempts: 0, durationMs: 0, reason: first.reason ? `${first.reason} (${note})` : note };
}

function abortedResult(plugin: string, target: string, item: number): TargetResult {
  const error = new CancelKitError('Transient', 'Aborted before the cancel was sent; nothing was changed.');
  return { plugin, target, outcome: 'failed', error: serializeError(error), item, attempts: 0, durationMs: 0 };
}
