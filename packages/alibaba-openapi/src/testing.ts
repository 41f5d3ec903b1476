/**
 * Test helpers for Alibaba plugins (`@cancelkit/alibaba-openapi/testing`): a kit wired to a running
 * emulator over real HTTP, and a CallContext for calling a plugin (or callRpc) directly with the real
 * transport. Nothing here mocks the network. Credentials come from config, never from the machine.
 */
import {
  type CancelKit,
  type CancellablePlugin,
  createCallContext,
  createCancelKit,
  createLogger,
  type LogRecord,
  type OwnedCallContext,
  SecretRegistry,
} from '@cancelkit/core';

export const DEMO_KEY = { accessKeyId: 'cancelkit-demo-ak', accessKeySecret: 'cancelkit-demo-sk' } as const;
const NO_HOME = '/nonexistent-cancelkit-test-home';

export interface HarnessOptions {
  accessKeySecret?: string;
  securityToken?: string;
  /** Log records land here (a redacting logger at debug level). */
  logs?: LogRecord[];
  retryAttempts?: number;
}

function providerConfig(options: HarnessOptions): Record<string, unknown> {
  return {
    accessKeyId: DEMO_KEY.accessKeyId,
    accessKeySecret: options.accessKeySecret ?? DEMO_KEY.accessKeySecret,
    ...(options.securityToken ? { securityToken: options.securityToken } : {}),
  };
}

function loggerFor(options: HarnessOptions, secrets: SecretRegistry) {
  const logs = options.logs;
  return logs ? { logger: createLogger({ sink: (r) => logs.push(r), level: 'debug', secrets }) } : {};
}

/** A kit whose only plugin talks to the emulator at `url` for `service`. */
export function kitFor(plugin: CancellablePlugin<unknown>, service: string, url: string, options: HarnessOptions = {}): CancelKit {
  const secrets = new SecretRegistry();
  return createCancelKit({
    plugins: [plugin],
    secrets,
    ...loggerFor(options, secrets),
    config: {
      endpoints: { [service]: url },
      providers: { alibaba: providerConfig(options) },
      env: {},
      homeDir: NO_HOME,
      retry: { maxAttempts: options.retryAttempts ?? 2, baseDelayMs: 1, maxDelayMs: 5 },
      wait: { intervalMs: 10, timeoutMs: 2_000 },
      timeoutMs: 5_000,
    },
  });
}

export type DirectContext = OwnedCallContext;

/** A CallContext like the engine builds, for calling plugin hooks and callRpc/callRoa directly. */
export function directContext(url: string, options: HarnessOptions = {}): DirectContext {
  const secrets = new SecretRegistry();
  return createCallContext({
    endpoint: url,
    providerConfig: providerConfig(options),
    secrets,
    ...loggerFor(options, secrets),
    timeoutMs: 5_000,
    env: {},
    homeDir: NO_HOME,
  });
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
