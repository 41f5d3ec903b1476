/**
 * `createKit`: the kit facade over the engine, built from plain options — no DI container. This module
 * (the `@cancelkit/core/kit` entry) must not import inversify or reflect-metadata: together they cost
 * 126–192 ms at start-up, which a CLI that binds nothing should not pay. `createCancelKit` (main entry)
 * is the container wiring on top of the same `buildKit`.
 */
import { type CancelKitConfig, type ResolvedConfig, resolveConfig } from './config.js';
import { systemClock } from './clock.js';
import { type CancellablePlugin, type Clock, isCancellablePlugin, type OperationState, type PluginManifest } from './contract.js';
import type { CredentialSource } from './credentials.js';
import type { EndpointSource } from './endpoints.js';
import { type BatchItem, type BatchOptions, type CancelOptions, Engine, type EngineObserver, type PlanEntry, type TargetResult } from './engine.js';
import { CancelKitError } from './errors.js';
import { type Logger, SecretRegistry, silentLogger } from './logger.js';
import { createHttpClient } from './http-client.js';
import type { HttpClient } from './transport.js';
import { checkCoreRange } from './compat.js';
import { closeHttpClient } from './context.js';

export type { CancelKitConfig, ResolvedConfig } from './config.js';
export type { BatchItem, BatchOptions, CancelOptions, EngineObserver, PlanEntry, TargetResult } from './engine.js';

/** The kit without its container: what `createKit` returns. */
export interface Kit {
  readonly config: ResolvedConfig;
  readonly secrets: SecretRegistry;
  manifests(): PluginManifest[];
  plugin(id: string): CancellablePlugin<unknown>;
  /** Validate params for a plugin (throws InvalidInput). */
  parse(pluginId: string, input: unknown): unknown;
  inspect(pluginId: string, input: unknown, options?: { signal?: AbortSignal }): Promise<OperationState[]>;
  plan(pluginId: string, input: unknown, options?: { signal?: AbortSignal }): Promise<PlanEntry[]>;
  cancel(pluginId: string, input: unknown, options?: CancelOptions): Promise<TargetResult[]>;
  wait(pluginId: string, input: unknown, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<TargetResult['waited'][]>;
  run(items: Iterable<BatchItem> | AsyncIterable<BatchItem>, options?: BatchOptions): AsyncGenerator<TargetResult>;
  /** Release keep-alive sockets (of the transport the kit created itself). */
  close(): Promise<void>;
}

export interface CreateKitOptions {
  /** Plugin objects (definePlugin). */
  plugins?: readonly CancellablePlugin<unknown>[];
  config?: CancelKitConfig;
  logger?: Logger;
  clock?: Clock;
  /** Host credential sources; each overrides the plugins' default for its provider. */
  credentialSources?: readonly CredentialSource<unknown>[];
  /** Host endpoint sources, one per provider: asked before the provider's own tables (a config endpoint still wins). */
  endpointSources?: readonly EndpointSource[];
  observers?: readonly EngineObserver[];
  /** Share a secret registry with the host's own output (CLI error printing). */
  secrets?: SecretRegistry;
  /** The shared transport; by default a got client created when the first request is sent. */
  http?: () => Promise<HttpClient>;
}

/** The parts `buildKit` assembles, already resolved (by `createKit` from options, or from a container). */
export interface KitParts {
  readonly config: ResolvedConfig;
  readonly secrets: SecretRegistry;
  readonly plugins: Iterable<unknown>;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly http: () => Promise<HttpClient>;
  /** Releases the transport when the kit created it (see `lazyHttpClient`); a host's own is left alone. */
  readonly closeHttp?: () => Promise<void>;
  readonly credentialSources: readonly CredentialSource<unknown>[];
  /** Optional so that hosts assembling parts themselves keep compiling. */
  readonly endpointSources?: readonly EndpointSource[];
  readonly observers: readonly EngineObserver[];
}

/**
 * The default transport: a got client created when the first request is about to be sent (importing got
 * costs ~100 ms, which `plan` errors, `--help` or a bad flag must not pay), and a `close` for its sockets.
 */
export function lazyHttpClient(config: Pick<ResolvedConfig, 'timeoutMs' | 'env'>): { factory: () => Promise<HttpClient>; close: () => Promise<void> } {
  let client: Promise<HttpClient> | undefined;
  return {
    factory: () => {
      client ??= createHttpClient({ timeoutMs: config.timeoutMs, env: config.env });
      return client;
    },
    close: () => closeHttpClient(client),
  };
}

/** Checks the plugins (structure, unique ids, core range) and returns the facade over one engine. */
export function buildKit(parts: KitParts): Kit {
  const { config, secrets } = parts;
  const plugins = new Map<string, CancellablePlugin<unknown>>();
  for (const plugin of parts.plugins) {
    if (!isCancellablePlugin(plugin)) throw new TypeError('A value given as a plugin is not a cancelkit plugin (use definePlugin)');
    const { id } = plugin.manifest;
    if (plugins.has(id)) {
      throw new CancelKitError('InvalidInput', `Two plugins claim the id "${id}".`, { hint: 'Install only one package that provides it.' });
    }
    checkCoreRange(plugin.manifest);
    plugins.set(id, plugin);
  }

  const engine = new Engine({
    config,
    plugins,
    logger: parts.logger,
    clock: parts.clock,
    secrets,
    http: parts.http,
    credentialOverrides: parts.credentialSources,
    endpointSources: parts.endpointSources ?? [],
    observers: parts.observers,
  });

  const signalOf = (o?: { signal?: AbortSignal }) => o?.signal ?? new AbortController().signal;
  return {
    config,
    secrets,
    manifests: () => [...plugins.values()].map((p) => p.manifest),
    plugin: (id) => engine.plugin(id),
    parse: (id, input) => engine.plugin(id).parse(input),
    inspect: (id, input, o) => engine.inspect(id, input, signalOf(o)),
    plan: (id, input, o) => engine.plan(id, input, signalOf(o)),
    cancel: (id, input, o) => engine.cancel(id, input, o),
    wait: (id, input, o) => engine.wait(id, input, o),
    run: (items, o) => engine.run(items, o),
    close: parts.closeHttp ?? (() => Promise.resolve()),
  };
}

/** A kit from plain options: for hosts that bind nothing (the CLI). Throws RangeError for bad config. */
export function createKit(options: CreateKitOptions = {}): Kit {
  const config = resolveConfig(options.config);
  const transport = options.http ? { http: options.http } : ownTransport(config);
  return buildKit({
    config,
    secrets: options.secrets ?? new SecretRegistry(),
    plugins: options.plugins ?? [],
    logger: options.logger ?? silentLogger,
    clock: options.clock ?? systemClock,
    ...transport,
    credentialSources: options.credentialSources ?? [],
    endpointSources: options.endpointSources ?? [],
    observers: options.observers ?? [],
  });
}

function ownTransport(config: ResolvedConfig): Pick<KitParts, 'http' | 'closeHttp'> {
  const { factory, close } = lazyHttpClient(config);
  return { http: factory, closeHttp: close };
}
