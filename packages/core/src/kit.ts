/**
 * `createCancelKit`: builds an inversify container from plugins (or plugin ContainerModules) and host
 * services, and returns a typed facade over the engine. Core never imports a plugin: plugins arrive as
 * values.
 */
import 'reflect-metadata';
import { Container, ContainerModule } from 'inversify';
import { type CancelKitConfig, type ResolvedConfig, resolveConfig } from './config.js';
import { systemClock } from './clock.js';
import { type CancellablePlugin, type Clock, isCancellablePlugin, type OperationState, type PluginManifest } from './contract.js';
import type { CredentialSource } from './credentials.js';
import { type BatchItem, type BatchOptions, type CancelOptions, Engine, type EngineObserver, type PlanEntry, type TargetResult } from './engine.js';
import { CancelKitError } from './errors.js';
import { type Logger, SecretRegistry, silentLogger } from './logger.js';
import { TOKENS } from './tokens.js';
import { createHttpClient } from './http-client.js';
import type { HttpClient } from './transport.js';
import { checkCoreRange } from './compat.js';
import { closeHttpClient } from './context.js';

/** Binds a plugin under the multi-bound plugin token. This is what a plugin package exports. */
export function createPluginModule(plugin: CancellablePlugin<unknown> | readonly CancellablePlugin<unknown>[]): ContainerModule {
  const plugins = Array.isArray(plugin) ? plugin : [plugin];
  return new ContainerModule(({ bind }) => {
    for (const p of plugins) bind<CancellablePlugin<unknown>>(TOKENS.Plugin).toConstantValue(p as CancellablePlugin<unknown>);
  });
}

export interface CreateCancelKitOptions {
  /** Plugin objects or plugin ContainerModules. */
  plugins?: ReadonlyArray<CancellablePlugin<unknown> | ContainerModule>;
  /** Extra host modules (bind a Logger, CredentialSource, HttpClientFactory, EngineObserver, …). */
  modules?: readonly ContainerModule[];
  config?: CancelKitConfig;
  logger?: Logger;
  clock?: Clock;
  /** Host credential sources; each overrides the plugins' default for its provider. */
  credentialSources?: readonly CredentialSource<unknown>[];
  observers?: readonly EngineObserver[];
  /** Share a secret registry with the host's own output (CLI error printing). */
  secrets?: SecretRegistry;
  /** A parent container whose bindings the kit can see. */
  parent?: Container;
}

export interface CancelKit {
  readonly container: Container;
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
  /** Release keep-alive sockets. */
  close(): Promise<void>;
}

function getAllSafe<T>(container: Container, token: symbol): T[] {
  return container.isBound(token) ? container.getAll<T>(token) : [];
}

export function createCancelKit(options: CreateCancelKitOptions = {}): CancelKit {
  const container = options.parent ? new Container({ parent: options.parent }) : new Container();
  const config = resolveConfig(options.config);
  const secrets = options.secrets ?? new SecretRegistry();
  container.bind(TOKENS.Config).toConstantValue(config);
  container.bind(TOKENS.SecretRegistry).toConstantValue(secrets);
  for (const m of options.modules ?? []) container.load(m);
  if (!container.isBound(TOKENS.Logger)) container.bind(TOKENS.Logger).toConstantValue(options.logger ?? silentLogger);
  if (!container.isBound(TOKENS.Clock)) container.bind(TOKENS.Clock).toConstantValue(options.clock ?? systemClock);
  for (const source of options.credentialSources ?? []) container.bind(TOKENS.CredentialSource).toConstantValue(source);
  for (const observer of options.observers ?? []) container.bind(TOKENS.EngineObserver).toConstantValue(observer);

  let client: Promise<HttpClient> | undefined;
  if (!container.isBound(TOKENS.HttpClientFactory)) {
    const factory = () => {
      client ??= createHttpClient({ timeoutMs: config.timeoutMs, env: config.env });
      return client;
    };
    container.bind(TOKENS.HttpClientFactory).toConstantValue(factory);
  }
  for (const entry of options.plugins ?? []) {
    if (entry instanceof ContainerModule) container.load(entry);
    else if (isCancellablePlugin(entry)) container.bind(TOKENS.Plugin).toConstantValue(entry);
    else throw new TypeError('createCancelKit: plugins must be plugin objects (definePlugin) or ContainerModules');
  }

  const plugins = new Map<string, CancellablePlugin<unknown>>();
  for (const plugin of getAllSafe<CancellablePlugin<unknown>>(container, TOKENS.Plugin)) {
    if (!isCancellablePlugin(plugin)) throw new TypeError('A value bound to TOKENS.Plugin is not a cancelkit plugin');
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
    logger: container.get<Logger>(TOKENS.Logger),
    clock: container.get<Clock>(TOKENS.Clock),
    secrets,
    http: container.get<() => Promise<HttpClient>>(TOKENS.HttpClientFactory),
    credentialOverrides: getAllSafe<CredentialSource<unknown>>(container, TOKENS.CredentialSource),
    observers: getAllSafe<EngineObserver>(container, TOKENS.EngineObserver),
  });

  const signalOf = (o?: { signal?: AbortSignal }) => o?.signal ?? new AbortController().signal;
  return {
    container,
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
    close: () => closeHttpClient(client),
  };
}
