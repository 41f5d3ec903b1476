/** A real CallContext for tests: core's got transport, a recording logger and a secret registry. */
import { type CallContext, type CredentialSource, createHttpClient, createLogger, type HttpClient, type LogRecord, SecretRegistry, systemClock } from '@cancelkit/core';

export interface TestContextOptions {
  endpoint?: string;
  allowInsecureHttp?: boolean;
  env?: Record<string, string | undefined>;
  homeDir?: string;
  providerConfig?: Record<string, unknown>;
  profile?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface TestContext {
  ctx: CallContext;
  records: LogRecord[];
  secrets: SecretRegistry;
}

let shared: Promise<HttpClient> | undefined;

export function testContext(options: TestContextOptions = {}): TestContext {
  const records: LogRecord[] = [];
  const secrets = new SecretRegistry();
  const logger = createLogger({ sink: (r) => records.push(r), level: 'debug', secrets });
  const env = options.env ?? {};
  const homeDir = options.homeDir ?? '/nonexistent-home-for-tests';
  const providerConfig = options.providerConfig ?? {};
  const ctx: CallContext = {
    http: () => {
      shared ??= createHttpClient({ timeoutMs: options.timeoutMs ?? 5_000, env: {} });
      return shared;
    },
    async credentials<C>(source: CredentialSource<C>): Promise<C> {
      const credentials = await source.resolve({
        providerConfig,
        env,
        homeDir,
        ...(options.profile !== undefined ? { profile: options.profile } : {}),
      });
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
    homeDir,
    addSecret: (secret) => secrets.add(secret),
  };
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
