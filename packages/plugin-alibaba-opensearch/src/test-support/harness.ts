/**
 * Test harness: a kit wired to a running emulator over real HTTP, and a CallContext for calling a plugin
 * (or callRpc) directly, with the real transport. Nothing here mocks the network.
 */
import {
  type CallContext,
  type CancelKit,
  type CancellablePlugin,
  type CredentialSource,
  createCancelKit,
  createHttpClient,
  createLogger,
  type HttpClient,
  type LogRecord,
  SecretRegistry,
  systemClock,
} from '@cancelkit/core';

export const DEMO_KEY = { accessKeyId: 'cancelkit-demo-ak', accessKeySecret: 'cancelkit-demo-sk' } as const;

export interface HarnessOptions {
  accessKeySecret?: string;
  securityToken?: string;
  /** Log records land here (the kit's redacting logger at debug level). */
  logs?: LogRecord[];
  retryAttempts?: number;
}

/** A kit whose only plugin talks to the emulator at `url`; credentials come from config, never the machine. */
export function kitFor(plugin: CancellablePlugin<unknown>, service: string, url: string, options: HarnessOptions = {}): CancelKit {
  const secrets = new SecretRegistry();
  const logs = options.logs;
  return createCancelKit({
    plugins: [plugin],
    secrets,
    ...(logs ? { logger: createLogger({ sink: (r) => logs.push(r), level: 'debug', secrets }) } : {}),
    config: {
      endpoints: { [service]: url },
      providers: {
        alibaba: {
          accessKeyId: DEMO_KEY.accessKeyId,
          accessKeySecret: options.accessKeySecret ?? DEMO_KEY.accessKeySecret,
          ...(options.securityToken ? { securityToken: options.securityToken } : {}),
        },
      },
      env: {},
      homeDir: '/nonexistent-cancelkit-test-home',
      retry: { maxAttempts: options.retryAttempts ?? 2, baseDelayMs: 1, maxDelayMs: 5 },
      wait: { intervalMs: 10, timeoutMs: 2_000 },
      timeoutMs: 5_000,
    },
  });
}

export interface DirectContext extends CallContext {
  close(): Promise<void>;
}

/** A CallContext like the engine builds, for calling plugin hooks and callRpc/callRoa directly. */
export function directContext(url: string, options: HarnessOptions = {}): DirectContext {
  const secrets = new SecretRegistry();
  const logs = options.logs;
  const providerConfig = {
    accessKeyId: DEMO_KEY.accessKeyId,
    accessKeySecret: options.accessKeySecret ?? DEMO_KEY.accessKeySecret,
    ...(options.securityToken ? { securityToken: options.securityToken } : {}),
  };
  let client: Promise<HttpClient> | undefined;
  return {
    http: () => {
      client ??= createHttpClient({ timeoutMs: 5_000, env: {} });
      return client;
    },
    async credentials<C>(source: CredentialSource<C>): Promise<C> {
      const credentials = await source.resolve({ providerConfig, env: {}, homeDir: '/nonexistent-cancelkit-test-home' });
      for (const secret of source.secretsOf(credentials)) secrets.add(secret);
      return credentials;
    },
    endpoint: url,
    allowInsecureHttp: false,
    providerConfig,
    logger: logs ? createLogger({ sink: (r) => logs.push(r), level: 'debug', secrets }) : createLogger({ sink: () => {}, secrets }),
    signal: new AbortController().signal,
    clock: systemClock,
    timeoutMs: 5_000,
    env: {},
    homeDir: '/nonexistent-cancelkit-test-home',
    addSecret: (secret) => secrets.add(secret),
    async close() {
      if (client) {
        const got = await client;
        const agents = got.defaults.options.agent as { http?: { destroy(): void } };
        agents.http?.destroy();
      }
    },
  };
}

/** Runs `fn` and returns what it threw (failing the test if it did not throw). */
export async function thrownBy(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}
