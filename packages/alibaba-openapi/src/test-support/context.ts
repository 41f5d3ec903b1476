/** A real CallContext for tests: core's got transport, a recording logger and a secret registry. */
import { type CallContext, type CredentialSource, createCallContext, type EndpointSource, createHttpClient, createLogger, type HttpClient, type LogRecord, SecretRegistry } from '@cancelkit/core';

export interface TestContextOptions {
  endpoint?: string;
  allowInsecureHttp?: boolean;
  env?: Record<string, string | undefined>;
  homeDir?: string;
  providerConfig?: Record<string, unknown>;
  profile?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  credentialOverrides?: readonly CredentialSource<unknown>[];
  /** Host endpoint sources; they need the plugin's provider and service, as the engine passes them. */
  endpointSources?: readonly EndpointSource[];
  provider?: string;
  service?: string;
}

export interface TestContext {
  ctx: CallContext;
  records: LogRecord[];
  secrets: SecretRegistry;
}

// One transport for the whole test file: keep-alive sockets are shared like the engine shares them.
let shared: Promise<HttpClient> | undefined;

export function testContext(options: TestContextOptions = {}): TestContext {
  const records: LogRecord[] = [];
  const secrets = new SecretRegistry();
  const logger = createLogger({ sink: (r) => records.push(r), level: 'debug', secrets });
  const ctx = createCallContext({
    ...options,
    http: () => {
      shared ??= createHttpClient({ timeoutMs: options.timeoutMs ?? 5_000, env: {} });
      return shared;
    },
    env: options.env ?? {},
    homeDir: options.homeDir ?? '/nonexistent-home-for-tests',
    timeoutMs: options.timeoutMs ?? 5_000,
    logger,
    secrets,
  });
  return { ctx, records, secrets };
}

/** Every string reachable from a value through own properties (enumerable or not), including `cause`. */
export function reachableStrings(value: unknown, depth = 0, seen = new WeakSet<object>()): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value !== 'object' || value === null || depth > 6) return [];
  if (seen.has(value)) return [];
  seen.add(value);
  const out: string[] = [];
  for (const key of Object.getOwnPropertyNames(value)) {
    out.push(key);
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    out.push(...reachableStrings(descriptor?.value, depth + 1, seen));
  }
  try {
    out.push(JSON.stringify(value) ?? '');
  } catch {
    // cycles: the walk above already covered every property
  }
  return out;
}
