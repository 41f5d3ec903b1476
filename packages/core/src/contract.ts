/**
 * The contract between cancelkit and a plugin. A plugin is a plain object made by `definePlugin`
 * (Vite/Rollup-sized: a manifest and three hooks), tagged so hosts can check it structurally.
 */
import type { CancelKitErrorJSON } from './errors.js';
import type { CredentialSource } from './credentials.js';
import type { EndpointForRequest } from './endpoints.js';
import type { HttpClient } from './transport.js';
import type { Logger } from './logger.js';

/** A JSON Schema object (draft 2020-12), as emitted by the plugin's schema library. */
export type JsonSchema = { readonly [key: string]: unknown };

export interface PluginCapabilities {
  /** The plugin implements `inspect` (dry runs, pre-checks, `--wait`, reconciliation). */
  readonly inspect: boolean;
  /** One `cancel` call can carry several targets (e.g. Tair's comma-separated Ids). */
  readonly batch: boolean;
  /** `inspect` can tell when the operation has reached a terminal state. */
  readonly wait: boolean;
}

export interface PluginManifest {
  /** `<provider>.<service>.<operation>`, lower-case, dot-separated: `alibaba.ecs.task`. */
  readonly id: string;
  readonly provider: string;
  /** Service key shared by every plugin of one cloud service, e.g. `alibaba.ecs`; rate limits apply per service. */
  readonly service: string;
  readonly operation: string;
  readonly title: string;
  readonly description?: string;
  readonly docsUrl: string;
  /** JSON Schema of the params object. Property names are camelCase; the CLI turns them into kebab-case flags. */
  readonly paramsSchema: JsonSchema;
  /** Name of the param that holds the target id(s). */
  readonly targetParam: string;
  readonly capabilities: PluginCapabilities;
  /** semver range of `@cancelkit/core` this plugin works with. */
  readonly coreRange: string;
  /** A sensible default rate limit for the service, in requests per second. */
  readonly defaultQps?: number;
  /** Examples for `--help`: params objects. */
  readonly examples?: readonly Readonly<Record<string, unknown>>[];
}

/** What `inspect` found about one target. Facts, not booleans-for-everything. */
export interface OperationState {
  readonly target: string;
  /** False when the cloud does not know the target. */
  readonly found: boolean;
  /** The provider's own status text (`Processing`, `3`, `Pending`, …). */
  readonly status?: string;
  /** Nothing more will happen to this operation (finished, failed, cancelled). */
  readonly terminal: boolean;
  /** Terminal because it was cancelled. */
  readonly cancelled: boolean;
  /** A cancel call now would be accepted. */
  readonly cancellable: boolean;
  /** Why it cannot be cancelled, in the cloud's terms. */
  readonly reason?: string;
  readonly requestId?: string;
  /** Extra provider details worth showing (start time, task action, …). Never secrets. */
  readonly details?: Readonly<Record<string, unknown>>;
}

export const OUTCOMES = ['cancelled', 'already-finished', 'not-cancellable', 'not-found', 'failed'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** The final fact about one target. */
export interface CancelOutcome {
  readonly target: string;
  readonly outcome: Outcome;
  readonly requestId?: string;
  /** Why: the cloud's reason for not-cancellable / already-finished. */
  readonly reason?: string;
  readonly providerCode?: string;
  /** Set for `failed` (and carried for others when an error explained the outcome). */
  readonly error?: CancelKitErrorJSON;
}

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Everything the core injects into a plugin call. */
export interface CallContext {
  /** The shared HTTP client (got), created lazily on first use. */
  http(): Promise<HttpClient>;
  /**
   * Resolve credentials for the plugin's provider. `source` is the provider package's default; the host
   * may have bound an override for the same provider, which wins.
   */
  credentials<C>(source: CredentialSource<C>): Promise<C>;
  /** Endpoint override for this plugin's service (from config or `--endpoint`), if any. */
  readonly endpoint?: string;
  /**
   * The endpoint to send one request to, before the provider's own default: the config / `--endpoint`
   * override (`endpoint`, as is), else what the host's `EndpointSource` for this plugin's provider returns
   * (checked with `checkEndpoint`; a bad URL is an InvalidInput naming the source), else `undefined` — then
   * use your service's default. Call it per request and pass the result to `checkEndpoint` for a URL.
   * Optional only because contexts built by hand or by an older core (core is a peer dependency) lack it:
   * write `ctx.endpointFor?.(request) ?? ctx.endpoint`.
   */
  endpointFor?(request: EndpointForRequest): string | undefined;
  /** Allow plain http to a non-loopback endpoint (explicitly forced by the user). */
  readonly allowInsecureHttp: boolean;
  /** Provider settings from config (`config.providers[provider]`), e.g. default region, profile. */
  readonly providerConfig: Readonly<Record<string, unknown>>;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly clock: Clock;
  /** Per-request timeout the plugin should pass to the transport, in ms. */
  readonly timeoutMs: number;
  /** The process environment as the host sees it (tests pass their own). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Home directory for credential files. */
  readonly homeDir: string;
  /** Register a secret so the logger and error output redact it. */
  addSecret(secret: string | undefined): void;
  /**
   * Sends one HTTP request through the host's pacing: every request takes its own token from the service's
   * rate limit (a paging inspect is several requests, and the cloud counts each), and a read-only request is
   * retried on retryable errors with the engine's backoff — reads are safe to repeat, so a throttled third
   * page does not cost the whole inspect. Mutating requests are sent once: their retries and the
   * reconciliation of ambiguous failures stay with the engine. Provider clients call it around each request.
   */
  send<T>(request: () => Promise<T>, options: SendOptions): Promise<T>;
}

export interface SendOptions {
  /** The request changes nothing (a describe / list / get call), so repeating it is harmless. */
  readonly readOnly: boolean;
}

export interface CancellablePlugin<P = unknown> {
  readonly $$type: 'cancelkit.plugin';
  readonly version: 'v1';
  readonly manifest: PluginManifest;
  /** Validate raw input; throws InvalidInput naming every problem. Never sends a request. */
  parse(input: unknown): P;
  /** The target ids a params object addresses (one for most plugins, several for batch plugins). */
  targets(params: P): string[];
  /** Read-only: the state of each target. */
  inspect?(params: P, ctx: CallContext): Promise<OperationState[]>;
  /** Cancel; one outcome per target id. May throw a CancelKitError for failures that hit every target. */
  cancel(params: P, ctx: CallContext): Promise<CancelOutcome[]>;
  /** Narrow a batch params object to some of its targets (batch plugins; used for retries of a remainder). */
  select?(params: P, targets: readonly string[]): P;
  /** Default credential sources this plugin needs (the host may override per provider). */
  readonly credentialSources?: readonly CredentialSource<unknown>[];
}

export type PluginDefinition<P> = Omit<CancellablePlugin<P>, '$$type' | 'version'>;

/** The plugin author's entry point: returns a tagged plain object. */
export function definePlugin<P>(definition: PluginDefinition<P>): CancellablePlugin<P> {
  const plugin: CancellablePlugin<P> = { ...definition, $$type: 'cancelkit.plugin', version: 'v1' };
  return Object.freeze(plugin);
}

export function isCancellablePlugin(value: unknown): value is CancellablePlugin<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<CancellablePlugin<unknown>>;
  return (
    v.$$type === 'cancelkit.plugin' &&
    v.version === 'v1' &&
    typeof v.manifest === 'object' &&
    v.manifest !== null &&
    typeof v.parse === 'function' &&
    typeof v.cancel === 'function' &&
    typeof v.targets === 'function'
  );
}

/** Plugin ids: lower-case words joined by dots, at least provider.service.operation. */
export const PLUGIN_ID_PATTERN = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*){2,}$/;
