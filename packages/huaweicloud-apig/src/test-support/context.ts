/** A real CallContext (core's got transport, redacting logger) for tests that call a local server. */
import { type CallContext, createCallContext, type EndpointSource, createLogger, type LogRecord, SecretRegistry } from '@cancelkit/core';

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
  /** Host endpoint sources; they need the plugin's provider and service, as the engine passes them. */
  endpointSources?: readonly EndpointSource[];
  provider?: string;
  service?: string;
}): TestContext {
  const secrets = new SecretRegistry();
  const logs: LogRecord[] = [];
  const ctx = createCallContext({
    ...options,
    env: options.env ?? {},
    homeDir: '/nonexistent-home',
    timeoutMs: options.timeoutMs ?? 5_000,
    logger: createLogger({ sink: (r) => logs.push(r), level: 'debug', secrets }),
    secrets,
  });
  return { ctx, logs, secrets, close: () => ctx.close() };
}
