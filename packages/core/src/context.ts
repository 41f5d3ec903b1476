/**
 * Builds the `CallContext` a plugin hook receives. The engine uses it for every call; embedders and tests
 * use it to call a plugin's hooks (or a provider's client) directly with the real transport.
 */
import { systemClock } from './clock.js';
import type { CallContext, Clock, SendOptions } from './contract.js';
import type { CredentialSource } from './credentials.js';
import type { EndpointForRequest, EndpointSource } from './endpoints.js';
import { CancelKitError } from './errors.js';
import { type Logger, SecretRegistry, silentLogger } from './logger.js';
import { createHttpClient } from './http-client.js';
import { checkEndpoint, type HttpClient } from './transport.js';

export interface CallContextOptions {
  /** The shared transport; by default a got client created on first use (see `close`). */
  http?: () => Promise<HttpClient>;
  /** The config / `--endpoint` override; the caller validates it (the engine does, with `checkEndpoint`). */
  endpoint?: string;
  allowInsecureHttp?: boolean;
  /** The calling plugin's provider and service (its manifest's): which endpoint source applies, and what it is told. */
  provider?: string;
  service?: string;
  /** Host endpoint sources; the one for `provider` is asked by `endpointFor` when there is no `endpoint`. */
  endpointSources?: readonly EndpointSource[];
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
  endpointFor(request: EndpointForRequest): string | undefined;
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
  const endpointFor = endpointResolver(options);
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
    endpointFor,
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

/** `endpointFor` of a context with neither an override nor a source: shared, so such contexts allocate nothing for it. */
const noEndpoint = (): undefined => undefined;

/**
 * `CallContext.endpointFor`, built once per context: the source is picked here, so each request costs one
 * `resolve` call (and one URL check when the answer changed), and nothing more without a source.
 */
function endpointResolver(options: CallContextOptions): (request: EndpointForRequest) => string | undefined {
  const { endpoint, provider, service } = options;
  const allowInsecureHttp = options.allowInsecureHttp ?? false;
  const sources = options.endpointSources ?? [];
  if (sources.length > 0 && (provider === undefined || service === undefined)) {
    // Without them no source can be matched, and silently ignoring the host's sources would send elsewhere.
    throw new TypeError("createCallContext: endpointSources need the plugin's provider and service options");
  }
  if (endpoint !== undefined) return () => endpoint;
  const source = sources.find((s) => s.provider === provider);
  if (source === undefined || provider === undefined || service === undefined) return noEndpoint;
  const field = `endpoint from ${source.description ?? `the host's ${provider} endpoint source`}`;
  // The last URL that passed: a source answering the same string for every page is checked once.
  let checked: string | undefined;
  return (request) => {
    const url: unknown = source.resolve({ provider, service, product: request.product, region: request.region });
    // null too: a JavaScript host's `map.get(key) ?? null` means "no opinion" as plainly as undefined.
    if (url === undefined || url === null) return undefined;
    if (url === checked) return checked;
    if (typeof url !== 'string') {
      throw new CancelKitError('InvalidInput', `${field}: is not a URL string`, {
        issues: [{ field, message: 'is not a URL string', hint: 'return https://host[:port], or undefined for the default' }],
      });
    }
    // A host's source is trusted no more than the user's config: the same rules (http only to loopback).
    checkEndpoint(url, allowInsecureHttp, field);
    checked = url;
    return url;
  };
}
