/**
 * DI tokens. Symbols created with `Symbol.for` so that two copies of core (a plugin's and the app's) still
 * share them — the same reason every type check here is structural.
 */
import type { CancellablePlugin, Clock } from './contract.js';
import type { CredentialSource } from './credentials.js';
import type { EndpointSource } from './endpoints.js';
import type { Logger, SecretRegistry } from './logger.js';
import type { HttpClient } from './transport.js';
import type { ResolvedConfig } from './config.js';

export const TOKENS = Object.freeze({
  /** Multi-bound: every plugin of the kit. */
  Plugin: Symbol.for('cancelkit.Plugin') as symbol & { __type?: CancellablePlugin<unknown> },
  /** The resolved configuration. */
  Config: Symbol.for('cancelkit.Config') as symbol & { __type?: ResolvedConfig },
  Logger: Symbol.for('cancelkit.Logger') as symbol & { __type?: Logger },
  Clock: Symbol.for('cancelkit.Clock') as symbol & { __type?: Clock },
  /** Multi-bound: host overrides of credential sources, one per provider. */
  CredentialSource: Symbol.for('cancelkit.CredentialSource') as symbol & { __type?: CredentialSource<unknown> },
  /** Multi-bound: host endpoint sources, one per provider, asked before the provider's own tables. */
  EndpointSource: Symbol.for('cancelkit.EndpointSource') as symbol & { __type?: EndpointSource },
  /** `() => Promise<HttpClient>`: the shared transport. */
  HttpClientFactory: Symbol.for('cancelkit.HttpClientFactory') as symbol & { __type?: () => Promise<HttpClient> },
  SecretRegistry: Symbol.for('cancelkit.SecretRegistry') as symbol & { __type?: SecretRegistry },
  /** Engine events (metrics hooks for apps: retries, cloud latency). */
  EngineObserver: Symbol.for('cancelkit.EngineObserver') as symbol & { __type?: unknown },
});
