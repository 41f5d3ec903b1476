/**
 * `createCancelKit`: builds an inversify container from plugins (or plugin ContainerModules) and host
 * services, and returns a typed facade over the engine. Core never imports a plugin: plugins arrive as
 * values.
 */
import 'reflect-metadata';
import { Container, ContainerModule } from 'inversify';
import type { CancelKitConfig } from './config.js';
import { resolveConfig } from './config.js';
import { systemClock } from './clock.js';
import { type CancellablePlugin, type Clock, isCancellablePlugin } from './contract.js';
import type { CredentialSource } from './credentials.js';
import type { EndpointSource } from './endpoints.js';
import type { EngineObserver } from './engine.js';
import { type Logger, SecretRegistry, silentLogger } from './logger.js';
import { TOKENS } from './tokens.js';
import type { HttpClient } from './transport.js';
import { buildKit, type Kit, lazyHttpClient } from './light-kit.js';

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
  /** Extra host modules (bind a Logger, SecretRegistry, CredentialSource, EndpointSource, HttpClientFactory, EngineObserver, …). */
  modules?: readonly ContainerModule[];
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
  /** A parent container whose bindings the kit can see. */
  parent?: Container;
}

/** The kit facade plus the container it was wired from. */
export interface CancelKit extends Kit {
  readonly container: Container;
}

function getAllSafe<T>(container: Container, token: symbol): T[] {
  return container.isBound(token) ? container.getAll<T>(token) : [];
}

export function createCancelKit(options: CreateCancelKitOptions = {}): CancelKit {
  const container = options.parent ? new Container({ parent: options.parent }) : new Container();
  const config = resolveConfig(options.config);
  container.bind(TOKENS.Config).toConstantValue(config);
  for (const m of options.modules ?? []) container.load(m);
  // A registry a host module binds is the one secrets go to (its own output redacts with it); otherwise
  // the kit's own, which also shadows a parent's as before.
  if (!container.isCurrentBound(TOKENS.SecretRegistry)) container.bind(TOKENS.SecretRegistry).toConstantValue(options.secrets ?? new SecretRegistry());
  const secrets = container.get<SecretRegistry>(TOKENS.SecretRegistry);
  if (!container.isBound(TOKENS.Logger)) container.bind(TOKENS.Logger).toConstantValue(options.logger ?? silentLogger);
  if (!container.isBound(TOKENS.Clock)) container.bind(TOKENS.Clock).toConstantValue(options.clock ?? systemClock);
  for (const source of options.credentialSources ?? []) container.bind(TOKENS.CredentialSource).toConstantValue(source);
  for (const source of options.endpointSources ?? []) container.bind(TOKENS.EndpointSource).toConstantValue(source);
  for (const observer of options.observers ?? []) container.bind(TOKENS.EngineObserver).toConstantValue(observer);

  // A host that binds its own transport factory owns it; otherwise the kit creates (and closes) got.
  const own = container.isBound(TOKENS.HttpClientFactory) ? undefined : lazyHttpClient(config);
  if (own) container.bind(TOKENS.HttpClientFactory).toConstantValue(own.factory);
  for (const entry of options.plugins ?? []) {
    if (entry instanceof ContainerModule) container.load(entry);
    else if (isCancellablePlugin(entry)) container.bind(TOKENS.Plugin).toConstantValue(entry);
    else throw new TypeError('createCancelKit: plugins must be plugin objects (definePlugin) or ContainerModules');
  }
  const kit = buildKit({
    config,
    secrets,
    plugins: getAllSafe<unknown>(container, TOKENS.Plugin),
    logger: container.get<Logger>(TOKENS.Logger),
    clock: container.get<Clock>(TOKENS.Clock),
    http: container.get<() => Promise<HttpClient>>(TOKENS.HttpClientFactory),
    ...(own ? { closeHttp: own.close } : {}),
    credentialSources: getAllSafe<CredentialSource<unknown>>(container, TOKENS.CredentialSource),
    endpointSources: getAllSafe<EndpointSource>(container, TOKENS.EndpointSource),
    observers: getAllSafe<EngineObserver>(container, TOKENS.EngineObserver),
  });
  return { ...kit, container };
}
