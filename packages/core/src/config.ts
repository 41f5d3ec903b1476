import { homedir } from 'node:os';

export interface RetryConfig {
  /** Total attempts including the first (default 4). */
  maxAttempts: number;
  /** Base of the exponential backoff, ms (default 200). */
  baseDelayMs: number;
  /** Cap of one backoff delay, ms (default 10 s). */
  maxDelayMs: number;
}

export interface WaitConfig {
  intervalMs: number;
  timeoutMs: number;
}

export interface CancelKitConfig {
  /** Credential profile name (`--profile`). */
  profile?: string;
  /** Endpoint overrides keyed by plugin id (`alibaba.ecs.task`) or service (`alibaba.ecs`); `*` for all. */
  endpoints?: Record<string, string>;
  /** Allow plain http to non-loopback endpoints. Off by default. */
  allowInsecureHttp?: boolean;
  /** Provider settings (`providers.alibaba.accessKeyId`, `providers.huaweicloud.projectId`, …). */
  providers?: Record<string, Record<string, unknown>>;
  /** Batch concurrency (default 8). */
  concurrency?: number;
  /** Requests per second per service (`alibaba.ecs`: 20); `*` for all. Defaults to the manifest's `defaultQps`. */
  rateLimits?: Record<string, number>;
  retry?: Partial<RetryConfig>;
  /** Per-request timeout in ms (default 15 s). */
  timeoutMs?: number;
  wait?: Partial<WaitConfig>;
  /** Environment for credentials and proxies (default process.env). */
  env?: Record<string, string | undefined>;
  homeDir?: string;
}

export interface ResolvedConfig {
  profile?: string;
  endpoints: Record<string, string>;
  allowInsecureHttp: boolean;
  providers: Record<string, Record<string, unknown>>;
  concurrency: number;
  rateLimits: Record<string, number>;
  retry: RetryConfig;
  timeoutMs: number;
  wait: WaitConfig;
  env: Record<string, string | undefined>;
  homeDir: string;
}

/** The longest delay setTimeout honours (2^31-1 ms); longer ones fire after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

export function resolveConfig(config: CancelKitConfig = {}): ResolvedConfig {
  const positive = (value: number | undefined, fallback: number, name: string): number => {
    if (value === undefined) return fallback;
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`config.${name} must be a positive number, got ${value}`);
    return value;
  };
  // Values that become a setTimeout delay: Node fires a delay above 2^31-1 ms (~24.8 days) after 1 ms, which
  // would turn a long timeout into an instant one and a long backoff into a hot loop.
  const delay = (value: number | undefined, fallback: number, name: string, allowZero: boolean): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0) || value > MAX_TIMER_MS) {
      throw new RangeError(`config.${name} must be a number of milliseconds from ${allowZero ? 0 : 1} to ${MAX_TIMER_MS}, got ${String(value)}`);
    }
    return value;
  };
  const resolved: ResolvedConfig = {
    endpoints: { ...config.endpoints },
    allowInsecureHttp: config.allowInsecureHttp ?? false,
    providers: { ...config.providers },
    concurrency: Math.floor(positive(config.concurrency, 8, 'concurrency')),
    rateLimits: rateLimitsOf(config.rateLimits),
    retry: {
      maxAttempts: Math.floor(positive(config.retry?.maxAttempts, 4, 'retry.maxAttempts')),
      baseDelayMs: delay(config.retry?.baseDelayMs, 200, 'retry.baseDelayMs', true),
      maxDelayMs: delay(config.retry?.maxDelayMs, 10_000, 'retry.maxDelayMs', true),
    },
    timeoutMs: delay(config.timeoutMs, 15_000, 'timeoutMs', false),
    wait: {
      intervalMs: delay(config.wait?.intervalMs, 2_000, 'wait.intervalMs', false),
      timeoutMs: positive(config.wait?.timeoutMs, 600_000, 'wait.timeoutMs'),
    },
    env: config.env ?? process.env,
    homeDir: config.homeDir ?? homedir(),
  };
  if (config.profile !== undefined) resolved.profile = config.profile;
  return resolved;
}

/** A rate of 0, a negative one or NaN would only fail every target later (the token bucket refuses it). */
function rateLimitsOf(rateLimits: Record<string, number> | undefined): Record<string, number> {
  const out: Record<string, number> = { ...rateLimits };
  for (const [key, qps] of Object.entries(out)) {
    if (typeof qps !== 'number' || !(qps > 0)) throw new RangeError(`config.rateLimits[${JSON.stringify(key)}] must be a positive number, got ${String(qps)}`);
  }
  return out;
}
