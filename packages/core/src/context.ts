/**
 * Builds the `CallContext` a plugin hook receives. The engine uses it for every call; embedders and tests
 * use it to call a plugin's hooks (or a provider's client) directly with the real transport.
 */
import { systemClock } from './clock.js';
import type { CallContext, Clock, SendOptions } from './contract.js';
import type { CredentialSource } from './credentials.js';
import { type Logger, SecretRegistry, silentLogger } from './logger.js';
import { createHttpClient } from './http-client.js';
import type { HttpClient } from './transport.js';

export interface CallContextOptions {
  /** The shared transport; by default a got client created on first use (see `close`). */
  http?: () => Promise<HttpClient>;
  endpoint?: string;
  allowInsecureHttp?: boolean;
  providerConfig?: Readonly<Record<string, unknown>>;
  /** Host credential sources; one for the requested provider wins over the plugin's default. */
  credentialOverrides?: readonly CredentialSource<unknown>[];
  profile?: string;
  logger?: Logger;
  secrets?: SecretRegistry;
  signal?: AbortSignal;
  clock?: Clock;
  timeoutMs?: number;
  env?: Readonly<Record<string, string | undefined>>;
  homeDir?: string;
  /** Pacing and read retries for each request (the engine's); by default a request is simply sent. */
  send?: <T>(request: () => Promise<T>, options: SendOptions) => Promise<T>;
}

export interface OwnedCallContext extends CallContext {
  /** Releases the keep-alive sockets of a transport this context created itself. */
  close(): Promise<void>;
}

/** Destroys a got client's keep-alive agents. */
export async function closeHttpClient(client: Promise<HttpClient> | undefined): Promise<void> {
  if (!client) return;
  const got = await client;
  const agents = got.defaults.options.agent as { http?: { destroy(): void }; https?: { destroy(): void } };
  agents.http?.destroy();
  agents.https?.destroy();
}

export function createCallContext(options: CallContextOptions = {}): OwnedCallContext {
  const secrets = options.secrets ?? new SecretRegistry();
  const env = options.env ?? process.env;
  const homeDir = options.homeDir ?? '/';
  const providerConfig = options.providerConfig ?? {};
  const timeoutMs = options.timeoutMs ?? 15_000;
  const overrides = options.credentialOverrides ?? [];
  let own: Promise<HttpClient> | undefined;
  const http =
    options.http ??
    (() => {
      own ??= createHttpClient({ timeoutMs, env });
      return own;
    });
  return {
    http,
    async credentials<C>(source: CredentialSource<C>): Promise<C> {
      const chosen = (overrides.find((o) => o.provider === source.provider) as CredentialSource<C> | undefined) ?? source;
      const credentials = await chosen.resolve({
        providerConfig,
        env,
        homeDir,
        ...(options.profile !== undefined ? { profile: options.profile } : {}),
      });
      for (const secret of chosen.secretsOf(credentials)) secrets.add(secret);
      return credentials;
    },
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    allowInsecureHttp: options.allowInsecureHttp ?? false,
    providerConfig,
    logger: options.logger ?? silentLogger,
    signal: options.signal ?? new AbortController().signal,
    clock: options.clock ?? systemClock,
    timeoutMs,
    env,
    homeDir,
    addSecret: (secret) => secrets.add(secret),
    send: options.send ?? ((request) => request()),
    close: () => closeHttpClient(own),
  };
}
