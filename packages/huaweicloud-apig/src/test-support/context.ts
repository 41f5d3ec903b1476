/** A real CallContext (core's got transport, redacting logger) for tests that call a local server. */
import {
  type CallContext,
  type CredentialSource,
  createHttpClient,
  createLogger,
  type HttpClient,
  type LogRecord,
  SecretRegistry,
  systemClock,
} from '@cancelkit/core';

export interface TestContext {
  readonly ctx: CallContext;
  readonly logs: LogRecord[];
  readonly secrets: SecretRegistry;
  close(): Promise<void>;
}

export function testContext(options: {
  endpoint?: string;
  providerConfig?: Record<string, unknown>;
  env?: Record<string, string>;
  allowInsecureHttp?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}): TestContext {
  const secrets = new SecretRegistry();
  const logs: LogRecord[] = [];
  const logger = createLogger({ sink: (r) => logs.push(r), level: 'debug', secrets });
  let client: Promise<HttpClient> | undefined;
  const providerConfig = options.providerConfig ?? {};
  const env = options.env ?? {};
  const ctx: CallContext = {
    http: () => {
      client ??= createHttpClient({ env: {} });
      return client;
    },
    async credentials<C>(source: CredentialSource<C>): Promise<C> {
      const credentials = await source.resolve({ providerConfig, env, homeDir: '/nonexistent-home' });
      for (const secret of source.secretsOf(credentials)) secrets.add(secret);
      return credentials;
    },
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    allowInsecureHttp: options.allowInsecureHttp ?? false,
    providerConfig,
    logger,
    signal: options.signal ?? new AbortController().signal,
    clock: systemClock,
    timeoutMs: options.timeoutMs ?? 5_000,
    env,
    homeDir: '/nonexistent-home',
    addSecret: (s) => secrets.add(s),
  };
  return {
    ctx,
    logs,
    secrets,
    async close() {
      if (!client) return;
      const got = await client;
      const agents = got.defaults.options.agent as { http?: { destroy(): void }; https?: { destroy(): void } };
      agents.http?.destroy();
      agents.https?.destroy();
    },
  };
}
