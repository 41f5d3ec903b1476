/**
 * `buildServer`: the fastify app. It holds no cloud knowledge: plugins arrive as values, everything about
 * a plugin comes from its manifest and its own `parse`, and every cloud call goes through the core engine.
 */
import { createServer as createHttpServer } from 'node:http';
import { createHash, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import {
  type CancelKitConfig,
  type CancellablePlugin,
  type CredentialSource,
  createCancelKit,
  createLogger,
  type InputIssue,
  invalidInput,
  type LogLevel,
  type PlanEntry,
  SecretRegistry,
  serializeError,
  toCancelKitError,
} from '@cancelkit/core';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import pino from 'pino';
import type { z } from 'zod';
import { BatchRequestSchema, ListQuerySchema, SingleRequestSchema, UNKNOWN_KEY_HINT, undeclaredParams, zodIssues } from './api-schemas.js';
import { mayUse, type Principal, TokenAuthenticator, type TokenSpec } from './auth.js';
import { JobRunner } from './jobs.js';
import { ServerMetrics } from './metrics.js';
import { buildOpenApi } from './openapi.js';
import { HttpProblem, PROBLEM_CONTENT_TYPE, retryAfterSeconds, toProblem } from './problem.js';
import { type RateLimitSettings, TokenRateLimiter } from './rate-limit.js';
import { isStoreWriteError, type JobItem, type JobRecord, JobStore, type NewTarget, type TargetRecord, type TargetStatus } from './store.js';
import { SERVER_VERSION } from './version.js';

export interface ServerLimits {
  /** Largest accepted request body, bytes (default 256 KiB). */
  bodyBytes: number;
  /** Most targets in one request (default 1000). */
  maxTargets: number;
  /** Longest a request may take before a 503 (default 30 s). SSE streams are exempt. */
  requestTimeoutMs: number;
  /** How long a single-target request waits for its result before answering 202 (default 10 s). */
  syncWaitMs: number;
  /** Jobs running at once; more are queued (default 4). */
  maxConcurrentJobs: number;
  /** On shutdown, how long running jobs may finish before they are aborted (default 10 s). */
  shutdownGraceMs: number;
  /** Per-token request rate (default 10/s, bursts of 60). */
  rateLimit: RateLimitSettings;
  /**
   * Failed authentications allowed per client address (default 1/s, bursts of 100). Past it, every
   * request from that address answers 429 before its token is even looked at, so guessing cannot go on.
   */
  authFailureRateLimit: RateLimitSettings;
  /** How long an Idempotency-Key is remembered (default 24 h). */
  idempotencyTtlMs: number;
}

export const DEFAULT_LIMITS: Readonly<ServerLimits> = Object.freeze({
  bodyBytes: 256 * 1024,
  maxTargets: 1000,
  requestTimeoutMs: 30_000,
  syncWaitMs: 10_000,
  maxConcurrentJobs: 4,
  shutdownGraceMs: 10_000,
  rateLimit: { perSecond: 10, burst: 60 },
  authFailureRateLimit: { perSecond: 1, burst: 100 },
  idempotencyTtlMs: 24 * 60 * 60 * 1000,
});

export interface ServerLogOptions {
  /** pino level (default `info`); `silent` for none. */
  level?: pino.LevelWithSilent;
  /** Where log lines go (default stdout). */
  destination?: pino.DestinationStream;
}

export interface BuildServerOptions {
  /** The plugins to serve (loaded by the caller: discovery, an explicit list, or in-process objects). */
  plugins: readonly CancellablePlugin<unknown>[];
  /** Who may call the API. At least one. */
  tokens: readonly TokenSpec[];
  /** SQLite file for jobs and the audit trail (`:memory:` for a throwaway store). */
  database: string;
  /** Core configuration: providers (credentials, regions), endpoints, retries, rate limits, timeouts. */
  cancelkit?: CancelKitConfig;
  /** Host credential sources (each overrides the plugins' default for its provider). */
  credentialSources?: readonly CredentialSource<unknown>[];
  limits?: Partial<Omit<ServerLimits, 'rateLimit' | 'authFailureRateLimit'>> & {
    rateLimit?: Partial<RateLimitSettings>;
    authFailureRateLimit?: Partial<RateLimitSettings>;
  };
  log?: ServerLogOptions;
  /** Process metrics (CPU, memory, event loop) on /metrics (default true). */
  defaultMetrics?: boolean;
  /** A short description of where cloud calls go, for /readyz (`emulator at http://…`, `cloud`). */
  backend?: string;
  /** Clock for timestamps (tests). */
  now?: () => number;
}

/** What `/v1/plugins` shows of a plugin. */
function describePlugin(plugin: CancellablePlugin<unknown>): Record<string, unknown> {
  return { ...plugin.manifest };
}

/** Config keys whose values are secrets: registered for redaction in logs. */
const SECRET_KEY = /secret|password|token|^sk$|credential/i;

function collectSecrets(value: unknown, secrets: SecretRegistry, key = ''): void {
  if (typeof value === 'string') {
    if (SECRET_KEY.test(key)) secrets.add(value);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [k, v] of Object.entries(value)) collectSecrets(v, secrets, k);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jobView(job: JobRecord): Record<string, unknown> {
  const self = `/v1/cancellations/${job.id}`;
  return { ...job, links: { self, events: `${self}/events` } };
}

function summaryView(job: JobRecord): Record<string, unknown> {
  const { targets: _targets, items: _items, ...rest } = job;
  return rest;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.authorization',
  '*.Authorization',
  '*.accessKeySecret',
  '*.secret',
  '*.sk',
  '*.token',
  '*.password',
  '*.securityToken',
];

function createServerLogger(options: ServerLogOptions | undefined, secrets: SecretRegistry): pino.Logger {
  const pinoOptions: pino.LoggerOptions = {
    level: options?.level ?? 'info',
    base: { service: 'cancelkit-server' },
    redact: { paths: LOG_REDACT_PATHS, censor: '[REDACTED]' },
    hooks: {
      // Value-based redaction on top of pino's path-based one: any known secret inside a message or a
      // plain field is replaced, wherever it turns up.
      logMethod(args, method) {
        const cleaned = args.map((arg) => {
          if (typeof arg === 'string') return secrets.redactString(arg);
          if (isPlainObject(arg) && Object.getPrototypeOf(arg) === Object.prototype) {
            const out: Record<string, unknown> = {};
            for (const [k, v] of Object.entries(arg)) {
              out[k] = typeof v === 'string' ? secrets.redactString(v) : isPlainObject(v) && Object.getPrototypeOf(v) === Object.prototype ? secrets.redact(v) : v;
            }
            return out;
          }
          return arg;
        });
        method.apply(this, cleaned as Parameters<typeof method>);
      },
    },
  };
  return options?.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}

/** Adapts pino to core's Logger, through core's redacting wrapper. */
function coreLoggerOver(log: pino.Logger, secrets: SecretRegistry) {
  const level = (log.level === 'silent' ? 'error' : log.level) as LogLevel | 'trace' | 'fatal';
  const coreLevel: LogLevel = level === 'trace' ? 'debug' : level === 'fatal' ? 'error' : level;
  const engineLog = log.child({ component: 'engine' });
  return createLogger({
    level: coreLevel,
    secrets,
    sink: (record) => engineLog[record.level](record.fields, record.message),
  });
}

export function buildServer(options: BuildServerOptions): FastifyInstance {
  const now = options.now ?? Date.now;
  const limits: ServerLimits = {
    ...DEFAULT_LIMITS,
    ...options.limits,
    rateLimit: { ...DEFAULT_LIMITS.rateLimit, ...options.limits?.rateLimit },
    authFailureRateLimit: { ...DEFAULT_LIMITS.authFailureRateLimit, ...options.limits?.authFailureRateLimit },
  };
  const secrets = new SecretRegistry();
  collectSecrets(options.cancelkit?.providers, secrets);
  for (const spec of options.tokens) secrets.add(spec.token);
  const auth = new TokenAuthenticator(options.tokens);
  if (auth.size === 0) throw new TypeError('buildServer: at least one token is required (tokens: [{ name, token }]).');

  const log = createServerLogger(options.log, secrets);
  const store = new JobStore(options.database);
  const recovered = store.recoverInterrupted(now());
  for (const jobId of recovered) log.warn({ jobId }, 'job was cut short by the previous process; marked interrupted');

  const metrics = new ServerMetrics({ defaultMetrics: options.defaultMetrics ?? true });
  let kit: ReturnType<typeof createCancelKit>;
  try {
    kit = createCancelKit({
      plugins: [...options.plugins],
      config: options.cancelkit ?? {},
      logger: coreLoggerOver(log, secrets),
      secrets,
      observers: [metrics.observer()],
      ...(options.credentialSources ? { credentialSources: options.credentialSources } : {}),
    });
  } catch (error) {
    store.close();
    throw error;
  }
  const plugins = new Map(options.plugins.map((p) => [p.manifest.id, p] as const));
  const runner = new JobRunner({ kit, store, metrics, logger: log, maxConcurrentJobs: limits.maxConcurrentJobs, now });
  const rateLimiter = new TokenRateLimiter(limits.rateLimit, now);
  const authFailures = new TokenRateLimiter(limits.authFailureRateLimit, now);
  const openapi = buildOpenApi(kit.manifests(), { version: SERVER_VERSION });
  const principals = new WeakMap<FastifyRequest, Principal>();
  const streams = new Set<ServerResponse>();
  /** SSE requests: counted in the metrics when the stream opens, so the onResponse hook skips them. */
  const countedByHand = new WeakSet<FastifyRequest>();
  // POST work stops this long before requestTimeoutMs so its answer is on the wire before any proxy or
  // client that uses the same timeout gives up.
  const deadlineMarginMs = Math.min(1_000, Math.floor(limits.requestTimeoutMs / 10));
  /** The plugins a token may use, for hints: a limited token must not learn what else is installed. */
  const usableBy = (principal: Principal): string => {
    const ids = [...plugins.keys()].filter((id) => mayUse(principal, id)).sort();
    return ids.length > 0 ? `Plugins this token may use: ${ids.join(', ')}.` : 'This token may use none of the installed plugins.';
  };

  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    bodyLimit: limits.bodyBytes,
    handlerTimeout: limits.requestTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // Node checks request and header deadlines only every `connectionsCheckingInterval` (30 s by
    // default), so a slow-loris client could hold a socket far past requestTimeoutMs: check every second.
    serverFactory: (handler) =>
      createHttpServer(
        {
          connectionsCheckingInterval: 1_000,
          requestTimeout: limits.requestTimeoutMs,
          headersTimeout: Math.min(limits.requestTimeoutMs, 10_000),
        },
        handler,
      ),
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  });

  const principalOf = (request: FastifyRequest): Principal => {
    const principal = principals.get(request);
    if (!principal) throw new HttpProblem('Unauthenticated', 'No principal on an authenticated route.');
    return principal;
  };

  /**
   * The principal of a /v1 request, or a throw: an address that keeps failing is refused before its token
   * is checked (were a right token let through, a 200 among the 429s would tell a guesser when it had won),
   * and every failure spends that address's allowance — on every /v1 path, routes that do not exist too.
   */
  const authenticateOrThrow = (request: FastifyRequest): Principal => {
    const blockedMs = authFailures.peek(request.ip);
    if (blockedMs > 0) throw tooManyAuthFailures(blockedMs);
    const principal = auth.authenticate(request.headers.authorization);
    if (!principal) {
      const waitMs = authFailures.take(request.ip);
      if (waitMs > 0) throw tooManyAuthFailures(waitMs);
      throw unauthenticated();
    }
    return principal;
  };

  const sendProblem = (reply: FastifyReply, error: unknown, requestId: string) => {
    const { problem, headers } = toProblem(error, requestId);
    return reply.status(problem.status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
  };

  // JSON only: without this, fastify would parse text/plain bodies into strings.
  app.removeContentTypeParser('text/plain');
  // fastify's own JSON parser (prototype-poisoning checks included), with one change: a body refused for
  // a `__proto__` or `constructor.prototype` key says so, instead of calling well-formed JSON invalid.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    parseJson(request, text, (error, value) => {
      const key = error ? poisonedKey(text) : undefined;
      if (key === undefined) return done(error, value);
      return done(
        new HttpProblem('InvalidInput', `Body contains the key "${key.name}", which is not allowed.`, {
          issues: [{ field: key.field, message: 'is not an allowed key', hint: 'Remove it; no field of this API is named like that.' }],
        }),
        undefined,
      );
    });
  });
  app.setErrorHandler((error, request, reply) => {
    const { problem } = toProblem(error, request.id);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: problem.code, status: problem.status }, 'request rejected');
    return sendProblem(reply, error, request.id);
  });
  app.setNotFoundHandler((request, reply) => {
    const routePath = request.url.split('?')[0] ?? '';
    // Under /v1 even a route that does not exist needs a token first: a 404 to anonymous callers would map
    // the API for them, and every /v1 answer without a token is the same 401.
    if (routePath === '/v1' || routePath.startsWith('/v1/')) {
      try {
        authenticateOrThrow(request);
      } catch (error) {
        return sendProblem(reply, error, request.id);
      }
    }
    return sendProblem(reply, new HttpProblem('NotFound', `No route ${request.method} ${routePath}.`, { hint: 'See GET /openapi.json.' }), request.id);
  });

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    // A hijacked SSE reply reaches this hook too when its stream ends: it was counted when it opened.
    if (countedByHand.has(request)) return;
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const stopping = runner.stopping || store.closed;
    // After a refused write the database is tried again here, so an instance taken out of rotation for
    // it comes back by itself once the database takes writes.
    const writable = stopping || store.writeFailure === undefined || store.probeWritable();
    const ready = !stopping && writable;
    return reply.status(ready ? 200 : 503).send({
      status: stopping ? 'stopping' : writable ? 'ready' : 'store-unwritable',
      ...(writable ? {} : { storeUnwritableSince: store.writeFailure?.since }),
      plugins: plugins.size,
      jobsInFlight: runner.inFlight,
      ...(options.backend ? { backend: options.backend } : {}),
    });
  });
  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  app.get('/openapi.json', async () => openapi);

  app.register(
    async (v1) => {
      v1.addHook('onRequest', async (request, reply) => {
        if (runner.stopping) throw shuttingDown(reply);
        const principal = authenticateOrThrow(request);
        principals.set(request, principal);
        const waitMs = rateLimiter.take(principal.name);
        if (waitMs > 0) {
          throw new HttpProblem('Throttled', `Token "${principal.name}" is over its request rate limit.`, {
            hint: 'Slow down; retry after the Retry-After seconds.',
            headers: { 'retry-after': retryAfterSeconds(waitMs) },
          });
        }
      });

      const visibleOrThrow = (principal: Principal, job: JobRecord) => {
        const hidden = job.plugins.filter((p) => !mayUse(principal, p));
        if (hidden.length > 0) {
          throw new HttpProblem('PermissionDenied', `Token "${principal.name}" may not read jobs of ${hidden.join(', ')}.`);
        }
      };
      const loadJob = (principal: Principal, id: string): JobRecord => {
        const job = store.getJob(id);
        if (!job) throw new HttpProblem('NotFound', `No cancellation job ${id}.`, { hint: 'List jobs with GET /v1/cancellations.' });
        visibleOrThrow(principal, job);
        return job;
      };

      v1.get('/plugins', async (request) => {
        const principal = principalOf(request);
        return { plugins: [...plugins.values()].filter((p) => mayUse(principal, p.manifest.id)).map(describePlugin) };
      });

      v1.get<{ Params: { id: string } }>('/plugins/:id', async (request) => {
        const principal = principalOf(request);
        const plugin = plugins.get(request.params.id);
        if (!plugin) throw new HttpProblem('NotFound', `No plugin "${request.params.id}" is installed.`, { hint: usableBy(principal) });
        if (!mayUse(principal, plugin.manifest.id)) throw new HttpProblem('PermissionDenied', `Token "${principal.name}" may not use plugin ${plugin.manifest.id}.`);
        return describePlugin(plugin);
      });

      v1.post('/cancellations', async (request, reply) => {
        const principal = principalOf(request);
        const body = request.body;
        if (!isPlainObject(body)) {
          throw invalidInput([{ field: '', message: 'the body must be a JSON object', hint: 'Send {"plugin": "...", "params": {...}} or {"targets": [...]}.' }], 'request');
        }
        const batch = 'targets' in body;
        const parsed = (batch ? BatchRequestSchema : SingleRequestSchema).safeParse(body);
        if (!parsed.success) throw invalidInput(zodIssues(parsed.error), 'request');
        const request_ = parsed.data as z.infer<typeof BatchRequestSchema> | z.infer<typeof SingleRequestSchema>;
        const items: JobItem[] = 'targets' in request_ ? request_.targets : [{ plugin: request_.plugin, params: request_.params }];

        const forbidden = [...new Set(items.map((i) => i.plugin))].filter((id) => plugins.has(id) && !mayUse(principal, id));
        if (forbidden.length > 0) {
          throw new HttpProblem('PermissionDenied', `Token "${principal.name}" may not use plugin ${forbidden.join(', ')}.`, {
            hint: 'Ask for a token that includes it.',
          });
        }

        const issues: InputIssue[] = [];
        const targets: NewTarget[] = [];
        items.forEach((item, index) => {
          const prefix = batch ? `targets.${index}.` : '';
          const plugin = plugins.get(item.plugin);
          if (!plugin) {
            issues.push({ field: `${prefix}plugin`, message: `"${item.plugin}" is not installed`, hint: usableBy(principal) });
            return;
          }
          const extra = undeclaredParams(plugin.manifest.paramsSchema, item.params);
          if (extra.length > 0) {
            for (const key of extra) issues.push({ field: `${prefix}params.${key}`, message: `is not a parameter of ${item.plugin}`, hint: UNKNOWN_KEY_HINT });
            return;
          }
          try {
            const params = plugin.parse(item.params);
            for (const target of new Set(plugin.targets(params))) targets.push({ item: index, plugin: item.plugin, target });
          } catch (thrown) {
            const error = toCancelKitError(thrown);
            if (error.code !== 'InvalidInput') throw error;
            const found = error.issues.length > 0 ? error.issues : [{ field: '', message: error.message }];
            for (const issue of found) issues.push({ ...issue, field: [`${prefix}params`, issue.field].filter(Boolean).join('.') });
          }
        });
        if (issues.length > 0) throw invalidInput(issues, 'request');
        if (targets.length > limits.maxTargets) {
          throw invalidInput(
            [{ field: batch ? 'targets' : 'params', message: `addresses ${targets.length} targets; the limit is ${limits.maxTargets}`, hint: 'Split it into several requests.' }],
            'request',
          );
        }

        if (request_.dryRun) {
          // Stop inspecting at the deadline or when the client goes away. (fastify's request.signal and
          // handlerTimeout cannot do either for a POST: both are disarmed once the body has been read.)
          const deadline = new Deadline(limits.requestTimeoutMs - deadlineMarginMs - reply.elapsedTime);
          const onClose = () => {
            if (!reply.raw.writableFinished) deadline.clientGone();
          };
          reply.raw.on('close', onClose);
          try {
            return reply.status(200).send(await dryRun(items, targets, batch, deadline));
          } finally {
            deadline.clear();
          }
        }

        const rawKey = request.headers['idempotency-key'];
        const key = Array.isArray(rawKey) ? rawKey[0] : rawKey;
        if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
          throw invalidInput([{ field: 'Idempotency-Key', message: 'must be 1-255 visible ASCII characters', hint: 'Use a UUID.' }], 'request');
        }
        const options = {
          ...(request_.precheck !== undefined ? { precheck: request_.precheck } : {}),
          ...(request_.wait !== undefined ? { wait: request_.wait } : {}),
          ...('concurrency' in request_ && request_.concurrency !== undefined ? { concurrency: request_.concurrency } : {}),
        };
        // A request let in before the shutdown began may reach this point after it (its body was still
        // arriving): it is refused like a new one, before anything is recorded or sent.
        if (runner.stopping) throw shuttingDown(reply);
        let created: ReturnType<JobRunner['submit']>;
        try {
          created = runner.submit(
            { id: randomUUID(), kind: batch ? 'batch' : 'single', requestedBy: principal.name, requestId: request.id, items, options, targets },
            key === undefined ? undefined : { key, bodyHash: createHash('sha256').update(canonicalJson(body)).digest('hex'), ttlMs: limits.idempotencyTtlMs },
          );
        } catch (error) {
          if (!isStoreWriteError(error)) throw error;
          // The job is written before anything is sent: a job that cannot be recorded is never started.
          request.log.error({ err: error, database: error.file }, 'cancellation refused: the job database refuses writes; no job was created and nothing was sent');
          throw new HttpProblem(
            'Transient',
            'The server cannot record this cancellation: its job database refuses writes. No job was created and nothing was sent to the cloud.',
            {
              status: 503,
              hint: 'Retry later: nothing was sent, so a retry is safe (keep the same Idempotency-Key if you used one). The server log says why the database refuses writes (often a full disk or a read-only file system); GET /readyz answers 503 until it takes writes again.',
              headers: { 'retry-after': '5' },
            },
          );
        }
        let jobId: string;
        if (created.kind === 'conflict') {
          throw new HttpProblem('InvalidInput', `Idempotency-Key "${key}" was already used with a different request body (job ${created.jobId}).`, {
            status: 422,
            hint: 'Use a new key for a new request, or resend the original body.',
          });
        }
        if (created.kind === 'replay') {
          reply.header('idempotent-replayed', 'true');
          jobId = created.jobId;
          request.log.info({ jobId, idempotencyKey: key }, 'idempotent replay');
        } else {
          jobId = created.job.id;
          request.log.info({ jobId, requestedBy: principal.name, kind: created.job.kind, targets: targets.length, plugins: created.job.plugins }, 'cancellation accepted');
        }
        reply.header('location', `/v1/cancellations/${jobId}`);
        const preferAsync = /(^|[\s,;])respond-async([\s,;]|$)/i.test(String(request.headers.prefer ?? ''));
        let final: JobRecord | undefined;
        if (!batch && !preferAsync) {
          const done = runner.completion(jobId);
          // The request deadline ends the wait, never the work: a cancel may already be on its way to the
          // cloud, so the job runs on and records its outcome, and the answer is 202 with its Location.
          const waitMs = Math.min(limits.syncWaitMs, limits.requestTimeoutMs - deadlineMarginMs - reply.elapsedTime);
          // The runner hands back the record it wrote; the store is read only when it has not finished.
          if (done) final = await waitAtMost(done, Math.max(0, waitMs));
        } else if (preferAsync) reply.header('preference-applied', 'respond-async');
        const job = final ?? store.getJob(jobId);
        if (!job) throw new HttpProblem('Unknown', `Job ${jobId} disappeared from the store.`, { status: 500 });
        const finished = job.status === 'completed' || job.status === 'interrupted';
        return reply.status(!batch && !preferAsync && finished ? 200 : 202).send(jobView(job));
      });

      v1.get('/cancellations', async (request) => {
        const principal = principalOf(request);
        const parsed = ListQuerySchema.safeParse(request.query ?? {});
        if (!parsed.success) throw invalidInput(zodIssues(parsed.error), 'query');
        const q = parsed.data;
        const page = store.listJobs({
          limit: q.limit ?? 50,
          ...(q.plugin !== undefined ? { plugin: q.plugin } : {}),
          ...(q.outcome !== undefined ? { outcome: q.outcome as TargetStatus } : {}),
          ...(q.since !== undefined ? { since: Date.parse(q.since) } : {}),
          ...(q.cursor !== undefined ? { before: q.cursor } : {}),
          ...(principal.plugins !== undefined ? { visiblePlugins: principal.plugins } : {}),
        });
        return { jobs: page.jobs.map(jobView), ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}) };
      });

      v1.get<{ Params: { id: string } }>('/cancellations/:id', async (request) => jobView(loadJob(principalOf(request), request.params.id)));

      // No HEAD twin: fastify would run the stream for it, and a HEAD of a running job's stream never ends.
      v1.get<{ Params: { id: string } }>('/cancellations/:id/events', { exposeHeadRoute: false }, async (request, reply) => {
        const job = loadJob(principalOf(request), request.params.id);
        const lastEventId = Number.parseInt(String(request.headers['last-event-id'] ?? '0'), 10);
        let lastSent = Number.isFinite(lastEventId) && lastEventId > 0 ? lastEventId : 0;
        reply.hijack();
        countedByHand.add(request);
        const raw = reply.raw;
        raw.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
          'x-request-id': request.id,
        });
        raw.write('retry: 2000\n\n');
        let heartbeat: NodeJS.Timeout | undefined;
        let unsubscribe: (() => void) | undefined;
        let ended = false;
        const cleanup = () => {
          if (heartbeat) clearInterval(heartbeat);
          unsubscribe?.();
          streams.delete(raw);
        };
        const sendResult = (target: TargetRecord) => {
          if (ended || target.seq === undefined || target.seq <= lastSent) return;
          lastSent = target.seq;
          raw.write(`id: ${target.seq}\nevent: result\ndata: ${JSON.stringify(target)}\n\n`);
        };
        const finish = (final: JobRecord) => {
          if (ended) return;
          ended = true;
          raw.write(`event: done\ndata: ${JSON.stringify(summaryView(final))}\n\n`);
          raw.end();
          cleanup();
        };
        // Subscribe before reading the store: both happen in this tick, so no result falls in between.
        unsubscribe = runner.subscribe(job.id, (event) => (event.type === 'result' ? sendResult(event.target) : finish(event.job)));
        for (const target of store.settledSince(job.id, lastSent)) sendResult(target);
        metrics.httpRequests.inc({ method: 'GET', route: '/v1/cancellations/:id/events', status: '200' });
        // Finished already (or just now, before the runner let go of it): its `done` will not come again.
        const current = store.getJob(job.id) ?? job;
        if (!unsubscribe || current.status === 'completed' || current.status === 'interrupted') {
          finish(current);
          return;
        }
        streams.add(raw);
        heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), 15_000);
        heartbeat.unref();
        request.raw.on('close', cleanup);
        raw.on('close', cleanup);
      });
    },
    { prefix: '/v1' },
  );

  async function dryRun(items: readonly JobItem[], targets: readonly NewTarget[], batch: boolean, deadline: Deadline) {
    const plan: (PlanEntry & { item: number })[] = [];
    for (const [index, item] of items.entries()) {
      try {
        deadline.signal.throwIfAborted();
        const entries = await kit.plan(item.plugin, item.params, { signal: deadline.signal });
        for (const entry of entries) plan.push({ ...entry, item: index });
      } catch (thrown) {
        if (deadline.timedOut) {
          throw new HttpProblem(
            'Transient',
            `The dry run did not finish within the request timeout (${limits.requestTimeoutMs} ms): ${plan.length} of ${targets.length} targets were inspected. A dry run changes nothing: nothing was cancelled and no job was created.`,
            { status: 504, hint: 'Retry with fewer targets per request, or when the cloud answers faster.' },
          );
        }
        const error = toCancelKitError(thrown);
        if (!batch || deadline.signal.aborted) throw error;
        for (const t of targets.filter((t) => t.item === index)) {
          plan.push({ item: index, plugin: t.plugin, target: t.target, action: 'skip', expected: 'failed', error: serializeError(error) });
        }
      }
    }
    return { dryRun: true, plan };
  }

  app.addHook('preClose', async () => {
    await runner.shutdown(limits.shutdownGraceMs);
    for (const raw of streams) raw.end();
  });
  app.addHook('onClose', async () => {
    await kit.close();
    store.close();
    log.info({ jobsRecoveredAtStart: recovered.length }, 'cancelkit-server stopped');
  });

  return app;
}

/**
 * A request's deadline for the work it does itself (a dry run's inspections): `signal` aborts when
 * `budgetMs` has passed or the client has gone, and `timedOut` tells the two apart.
 */
class Deadline {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  #timedOut = false;

  constructor(budgetMs: number) {
    this.#timer = setTimeout(
      () => {
        this.#timedOut = true;
        this.#controller.abort(new DOMException('The request deadline passed.', 'TimeoutError'));
      },
      Math.max(0, budgetMs),
    );
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get timedOut(): boolean {
    return this.#timedOut;
  }

  clientGone(): void {
    this.#controller.abort(new DOMException('The client closed the connection.', 'AbortError'));
  }

  clear(): void {
    clearTimeout(this.#timer);
  }
}

/** The answer to a /v1 request without a valid bearer token. */
function unauthenticated(): HttpProblem {
  return new HttpProblem('Unauthenticated', 'A valid bearer token is required.', {
    hint: 'Send Authorization: Bearer <token> with a token from the server configuration.',
    headers: { 'www-authenticate': 'Bearer realm="cancelkit"' },
  });
}

/** The answer to a request the server will not take because it is shutting down. */
function shuttingDown(reply: FastifyReply): HttpProblem {
  reply.header('connection', 'close');
  return new HttpProblem('Transient', 'The server is shutting down.', { hint: 'Retry against another instance or after the restart.', headers: { 'retry-after': '5' } });
}

function tooManyAuthFailures(waitMs: number): HttpProblem {
  return new HttpProblem('Throttled', 'Too many failed authentication attempts from this address.', {
    hint: 'Check the token; retry after the Retry-After seconds.',
    headers: { 'retry-after': retryAfterSeconds(waitMs) },
  });
}

/**
 * The key that made the JSON parser refuse `body`, when the body is well-formed JSON (else undefined):
 * `__proto__` anywhere, or `constructor` holding `prototype` — what secure-json-parse refuses. JSON.parse
 * keeps such keys as plain own properties, so looking at them here is safe. Iterative: a deeply nested
 * body must not overflow the stack.
 */
function poisonedKey(body: string): { name: string; field: string } | undefined {
  let root: unknown;
  try {
    root = JSON.parse(body);
  } catch {
    return undefined;
  }
  const stack: { value: unknown; path: string }[] = [{ value: root, path: '' }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { value, path } = next;
    if (typeof value !== 'object' || value === null) continue;
    for (const key of Object.keys(value)) {
      const field = path ? `${path}.${key}` : key;
      const child = (value as Record<string, unknown>)[key];
      if (key === '__proto__') return { name: '__proto__', field };
      if (key === 'constructor' && typeof child === 'object' && child !== null && Object.hasOwn(child, 'prototype')) {
        return { name: 'constructor.prototype', field: `${field}.prototype` };
      }
      stack.push({ value: child, path: field });
    }
  }
  return undefined;
}

/** The promise's value, or undefined when it takes longer than `ms`. */
async function waitAtMost<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const value = await Promise.race([promise, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  clearTimeout(timer);
  return value;
}

