/**
 * The emulator's HTTP server: one port for every emulated service and the admin API. It holds no
 * service or provider knowledge; routing, authentication, errors and state changes are delegated to the
 * composed `ServiceEmulation`s and their `EmulationProtocol`s.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { invalidInput } from '@cancelkit/core/plugin';
import {
  type AuthContext,
  type AuthVerdict,
  type EmulatedCall,
  EmulatedError,
  type EmulatedOperation,
  type EmulationProtocol,
  type EmulatorCredential,
  type EmulatorRequest,
  type EmulatorResponse,
  isEmulatedError,
  type ServiceEmulation,
} from '@cancelkit/core/emulation';
import { handleAdmin } from './admin.js';
import { discoverEmulations } from './discover.js';
import { type FaultDecision, FaultInjector, type FaultSettings, parseFaultSettings } from './faults.js';
import { NonceCache } from './nonce-cache.js';
import { DEMO_CREDENTIALS, MAX_BODY_BYTES, type ResolvedOptions, resolveOptions, type StartEmulatorOptions } from './options.js';
import { formatAccessLine, RequestLog, type RequestLogEntry, type SignatureVerdict } from './request-log.js';
import { type Resolution, RouteConflictError, Router } from './router.js';
import { OperationStore, readStateFile, StatePersister } from './store.js';

export const EMULATOR_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface RunningEmulator {
  /** `http://host:port`, without a trailing slash. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The services played (`alibaba.ecs`, …). */
  readonly services: string[];
  /** Closes the server and every socket (keep-alive ones too) and writes pending state. Idempotent. */
  stop(): Promise<void>;
  /** Same as `POST /_emulator/operations`; throws InvalidInput for an unknown service, EmulatedError for bad fields. */
  createOperation(service: string, fields?: Record<string, unknown>): EmulatedOperation;
  /** Copies of the operations held (all services when `service` is omitted). */
  listOperations(service?: string): EmulatedOperation[];
  /** Replaces the faults (same as `PUT /_emulator/faults`); throws InvalidInput naming bad fields. */
  setFaults(faults: FaultSettings): void;
  clearFaults(): void;
  /** The active faults and the PRNG seed in use. */
  currentFaults(): FaultSettings & { seed: number };
  /** The cloud requests received, oldest first (bounded to the last 10,000). */
  requests(): RequestLogEntry[];
  /** Empties everything: operations, request log, faults and used nonces. */
  reset(): void;
}

const JSON_CONTENT_TYPE = 'application/json;charset=utf-8';
/**
 * Used nonces only matter across a restart, and `stop()` writes them: while running, a stream of signed
 * calls rewrites the state file at most about once a second for them (operation changes: within 25 ms).
 */
const NONCE_PERSIST_DELAY_MS = 1000;

function splitTarget(target: string): { rawPath: string; rawQuery: string } {
  let rest = target;
  // Absolute-form targets (`GET http://host/path`), as sent through some proxies.
  if (!rest.startsWith('/')) {
    const match = /^[a-z][a-z0-9+.-]*:\/\/[^/?]*/i.exec(rest);
    rest = match ? rest.slice(match[0].length) || '/' : `/${rest}`;
  }
  const q = rest.indexOf('?');
  return q === -1 ? { rawPath: rest, rawQuery: '' } : { rawPath: rest.slice(0, q), rawQuery: rest.slice(q + 1) };
}

function joinedHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  const distinct = req.headersDistinct;
  for (const name of Object.keys(distinct)) headers[name] = (distinct[name] ?? []).join(', ');
  return headers;
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new BodyTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}

function lowerCaseKeys(headers: Readonly<Record<string, string>> | undefined, into: Record<string, string>): void {
  if (!headers) return;
  for (const [name, value] of Object.entries(headers)) into[name.toLowerCase()] = value;
}

/** Writes a response: JSON unless the body is a Buffer or absent; no body for 204/304 or HEAD. */
function writeResponse(req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  let payload: Buffer | undefined;
  if (body !== undefined && status !== 204 && status !== 304) {
    if (Buffer.isBuffer(body)) payload = body;
    else {
      payload = Buffer.from(JSON.stringify(body), 'utf8');
      headers['content-type'] ??= JSON_CONTENT_TYPE;
    }
  }
  if (status !== 204 && status !== 304) headers['content-length'] = String(payload?.length ?? 0);
  res.writeHead(status, headers);
  res.end(req.method === 'HEAD' ? undefined : payload);
}

/** The protocol's permission error for the `deny` fault, or a plain 403 from a protocol that has none. */
function forbiddenError(protocol: EmulationProtocol, action: string): EmulatedError {
  return protocol.forbidden?.(action) ?? new EmulatedError(403, 'Forbidden', `The caller is not allowed to call ${action}.`);
}

/** Drops the connection with a TCP reset (the client sees ECONNRESET), as a crashing load balancer would. */
function resetConnection(req: IncomingMessage): void {
  const socket = req.socket;
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

class Emulator implements RunningEmulator {
  readonly #server: http.Server;
  readonly #router: Router;
  readonly #emulations = new Map<string, ServiceEmulation>();
  readonly #store = new OperationStore();
  readonly #faults = new FaultInjector();
  readonly #log = new RequestLog();
  readonly #nonces = new NonceCache();
  readonly #keys = new Map<string, EmulatorCredential>();
  readonly #tokens = new Map<string, EmulatorCredential>();
  readonly #persister: StatePersister | undefined;
  readonly #stopping = new AbortController();
  #stopped: Promise<void> | undefined;
  #address: AddressInfo | undefined;
  /** Expired nonces were dropped on load: rewrite the file once listening (a failed start writes nothing). */
  #droppedOnLoad = false;

  /** Private so that printing or inspecting a running emulator never shows a secret. */
  readonly #options: ResolvedOptions;

  constructor(options: ResolvedOptions, emulations: ServiceEmulation[]) {
    this.#options = options;
    this.#router = new Router(emulations);
    for (const emulation of emulations) this.#emulations.set(emulation.service, emulation);
    for (const credential of options.credentials) this.#keys.set(credential.accessKeyId, credential);
    for (const [token, credential] of Object.entries(options.tokens)) this.#tokens.set(token, credential);
    if (options.statePath !== undefined) {
      const saved = readStateFile(options.statePath);
      for (const operation of saved.operations) this.#store.put(operation);
      // Nonces still inside the replay window come back, so a request captured before a restart is
      // refused after it; expired ones are dropped (and the file rewritten without them).
      const dropped = this.#nonces.load(saved.nonces, options.now());
      this.#persister = new StatePersister(
        options.statePath,
        () => ({ operations: this.#store.all(), nonces: this.#nonces.snapshot(this.#options.now()) }),
        options.now,
        25,
        (error) => this.#logLine(`could not write state to ${options.statePath}: ${error.message}`),
      );
      this.#store.onChange = () => this.#persister?.markDirty();
      this.#droppedOnLoad = dropped > 0;
    }
    this.#server = http.createServer({ keepAlive: true }, (req, res) => {
      this.#onRequest(req, res).catch((error: unknown) => {
        // The path only: the query string may hold a signature or a security token.
        const { rawPath } = splitTarget(req.url ?? '/');
        this.#logLine(`internal error on ${req.method} ${rawPath}: ${(error as Error)?.message ?? String(error)}`);
        writeResponse(req, res, 500, {}, { error: { code: 'InternalError', message: 'The emulator failed; see its log.' } });
      });
    });
  }

  listen(): Promise<void> {
    const { port, host } = this.#options;
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        this.#server.off('listening', onListening);
        if (error.code === 'EADDRINUSE') {
          reject(invalidInput([{ field: 'port', message: `port ${port} on ${host} is already in use`, hint: 'pass another port, or 0 for a free one' }], 'emulator options'));
        } else reject(error);
      };
      const onListening = () => {
        this.#server.off('error', onError);
        this.#address = this.#server.address() as AddressInfo;
        if (this.#droppedOnLoad) this.#persister?.markDirty(NONCE_PERSIST_DELAY_MS);
        resolve();
      };
      this.#server.once('error', onError);
      this.#server.once('listening', onListening);
      this.#server.listen(port, host);
    });
  }

  get host(): string {
    return this.#options.host;
  }

  get port(): number {
    return this.#address?.port ?? this.#options.port;
  }

  get url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `http://${host}:${this.port}`;
  }

  get services(): string[] {
    return [...this.#emulations.keys()];
  }

  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      this.#stopping.abort();
      const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
      this.#server.closeAllConnections();
      await closed;
      try {
        await this.#persister?.flush();
      } catch (error) {
        // Stopped, but the file is behind: say so rather than let a restart silently lose the last changes.
        throw new Error(`The emulator stopped, but its state file ${this.#persister?.file} could not be written (${(error as Error).message}); the latest changes are not saved.`, { cause: error });
      }
    })();
    return this.#stopped;
  }

  createOperation(service: string, fields: Record<string, unknown> = {}): EmulatedOperation {
    const emulation = this.#emulations.get(service);
    if (!emulation) {
      throw invalidInput(
        [{ field: 'service', message: `"${service}" is not an emulated service`, hint: this.services.length > 0 ? `known services: ${this.services.join(', ')}` : 'no services are loaded' }],
        'operation',
      );
    }
    // A misspelt field ("statu") must not silently become a default operation the test did not ask for.
    const unknown = Object.keys(fields).filter((key) => !Object.hasOwn(emulation.fields, key));
    if (unknown.length > 0) {
      const known = Object.keys(emulation.fields).join(', ');
      throw invalidInput(
        unknown.map((key) => ({ field: key, message: `is not a field of ${service}`, hint: `fields of ${service}: ${known}` })),
        'operation',
      );
    }
    const operation = emulation.createOperation(fields, {
      now: this.#options.now(),
      newId: (prefix: string) => `${prefix}${randomBytes(8).toString('hex')}`,
      store: this.#store,
    });
    if (typeof operation !== 'object' || operation === null || typeof operation.id !== 'string' || operation.id === '') {
      throw new Error(`The ${service} emulation's createOperation returned no operation id.`);
    }
    if (operation.service !== service) {
      throw new Error(`The ${service} emulation's createOperation returned an operation of service "${String(operation.service)}".`);
    }
    this.#store.put(operation);
    return structuredClone(operation);
  }

  listOperations(service?: string): EmulatedOperation[] {
    const operations = service === undefined ? this.#store.all() : this.#store.list(service);
    return operations.map((op) => structuredClone(op));
  }

  setFaults(faults: FaultSettings): void {
    this.#faults.set(parseFaultSettings(faults));
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  currentFaults(): FaultSettings & { seed: number } {
    return this.#faults.current();
  }

  requests(): RequestLogEntry[] {
    return this.#log.list();
  }

  reset(): void {
    this.#nonces.clear();
    this.#store.clear(); // persists the emptied state, nonces included
    this.#log.clear();
    this.#faults.clear();
  }

  #logLine(line: string): void {
    this.#options.log?.(line);
  }

  #record(entry: RequestLogEntry): void {
    this.#log.add(entry);
    if (this.#options.log) this.#options.log(formatAccessLine(entry));
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrivedAt = this.#options.now();
    const started = performance.now();
    const method = req.method ?? 'GET';
    const { rawPath, rawQuery } = splitTarget(req.url ?? '/');
    let body: Buffer;
    try {
      body = await readBody(req, MAX_BODY_BYTES);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) return; // the client went away mid-body
      res.shouldKeepAlive = false;
      writeResponse(req, res, 413, { connection: 'close' }, {
        error: { code: 'PayloadTooLarge', message: `Request bodies are limited to ${MAX_BODY_BYTES} bytes (1 MiB).` },
      });
      return;
    }
    if (rawPath === '/_emulator' || rawPath.startsWith('/_emulator/')) {
      this.#onAdmin(req, res, method, rawPath, rawQuery, body);
      return;
    }
    const request: EmulatorRequest = {
      method,
      rawPath,
      rawQuery,
      query: new URLSearchParams(rawQuery),
      headers: joinedHeaders(req),
      body,
    };
    const latency = this.#faults.latencyMs;
    if (latency > 0) await sleep(latency, this.#stopping.signal);
    if (this.#stopping.signal.aborted) return;
    const base = { time: new Date(arrivedAt).toISOString(), method, path: rawPath };
    const finish = (fields: Omit<RequestLogEntry, 'time' | 'method' | 'path' | 'durationMs'>) =>
      this.#record({ ...base, ...fields, durationMs: performance.now() - started });

    const resolution: Resolution = this.#router.resolve(request);
    if (resolution.kind === 'none') {
      const status = 404;
      writeResponse(req, res, status, {}, {
        error: {
          code: 'NotFound',
          message: `No emulated service answers ${method} ${rawPath}. Services: ${this.services.join(', ') || 'none loaded'}; see GET /_emulator/.`,
        },
      });
      finish({ status });
      return;
    }
    if (resolution.kind === 'error') {
      const { protocol, error } = resolution;
      const requestId = protocol.newRequestId();
      const status = this.#answerError(req, res, protocol, error, requestId);
      finish({ status, protocol: protocol.name, requestId, ...(resolution.action !== undefined ? { action: resolution.action } : {}) });
      return;
    }

    const { compiled, call, pathParams } = resolution;
    const { emulation, route } = compiled;
    const protocol = emulation.protocol;
    const requestId = protocol.newRequestId();
    const described = { action: route.action, service: emulation.service, protocol: protocol.name, requestId };

    const verdict = this.#authenticate(protocol, request);
    const signature: SignatureVerdict = verdict.ok
      ? { scheme: verdict.scheme, ok: true }
      : { scheme: verdict.scheme, ok: false, code: verdict.error.code };
    if (!verdict.ok) {
      const status = this.#answerError(req, res, protocol, verdict.error, requestId);
      finish({ ...described, signature, status });
      return;
    }
    const accessKeyId = verdict.accessKeyId;
    // A permission check follows authentication and comes before any other fault, as a cloud's policy
    // engine refuses before the service sees the call; it draws nothing from the seeded PRNG.
    if (this.#faults.denies(emulation.service, route.action)) {
      const status = this.#answerError(req, res, protocol, forbiddenError(protocol, route.action), requestId);
      finish({ ...described, signature, accessKeyId, status, fault: 'deny' });
      return;
    }
    const decision: FaultDecision = this.#faults.decide(this.#options.now());
    if (decision === 'maxQps' || decision === 'throttle' || decision === 'serverError') {
      const error = decision === 'serverError' ? protocol.serverError() : protocol.throttled();
      const status = this.#answerError(req, res, protocol, error, requestId);
      finish({ ...described, signature, accessKeyId, status, fault: decision });
      return;
    }
    if (decision === 'reset-before') {
      resetConnection(req);
      finish({ ...described, signature, accessKeyId, status: 0, fault: decision });
      return;
    }

    const emulatedCall: EmulatedCall = {
      request,
      params: call.params,
      pathParams,
      requestId,
      now: this.#options.now(),
      accessKeyId,
      store: this.#store,
      settings: this.#options.settings,
    };
    let outcome: { response: EmulatorResponse } | { error: EmulatedError; internal?: string };
    try {
      const returned: unknown = await route.handler(emulatedCall);
      if (isEmulatedError(returned)) outcome = { error: returned };
      else if (typeof returned !== 'object' || returned === null || typeof (returned as EmulatorResponse).status !== 'number') {
        outcome = { error: protocol.serverError(), internal: `handler of ${route.action} returned no response` };
      } else outcome = { response: returned as EmulatorResponse };
    } catch (thrown) {
      outcome = isEmulatedError(thrown)
        ? { error: thrown }
        : { error: protocol.serverError(), internal: `handler of ${route.action} threw: ${(thrown as Error)?.message ?? String(thrown)}` };
    }
    // Handlers may change operations in place; any state-changing call may have.
    if (!route.readOnly) this.#persister?.markDirty();

    if (decision === 'reset-after') {
      resetConnection(req);
      finish({ ...described, signature, accessKeyId, status: 0, fault: decision });
      return;
    }
    if ('error' in outcome) {
      const status = this.#answerError(req, res, protocol, outcome.error, requestId);
      finish({ ...described, signature, accessKeyId, status, ...(outcome.internal !== undefined ? { error: outcome.internal } : {}) });
      return;
    }
    const { response } = outcome;
    const headers: Record<string, string> = {};
    lowerCaseKeys(protocol.responseHeaders(requestId), headers);
    lowerCaseKeys(response.headers, headers);
    writeResponse(req, res, response.status, headers, response.body);
    finish({ ...described, signature, accessKeyId, status: response.status });
  }

  #authenticate(protocol: EmulationProtocol, request: EmulatorRequest): AuthVerdict {
    const now = this.#options.now();
    const context: AuthContext = {
      now,
      lookupKey: (accessKeyId) => this.#keys.get(accessKeyId),
      useNonce: (nonce) => {
        const fresh = this.#nonces.use(nonce, now);
        if (fresh) this.#persister?.markDirty(NONCE_PERSIST_DELAY_MS);
        return fresh;
      },
      lookupToken: (token) => this.#tokens.get(token),
    };
    try {
      return protocol.authenticate(request, context);
    } catch (thrown) {
      if (isEmulatedError(thrown)) return { ok: false, scheme: 'unknown', error: thrown };
      throw thrown;
    }
  }

  /** Answers with the protocol's error shape and headers; returns the status sent. */
  #answerError(req: IncomingMessage, res: ServerResponse, protocol: EmulationProtocol, error: EmulatedError, requestId: string): number {
    const shaped = protocol.errorResponse(error, requestId);
    const headers: Record<string, string> = {};
    lowerCaseKeys(protocol.responseHeaders(requestId), headers);
    lowerCaseKeys(shaped.headers, headers);
    writeResponse(req, res, shaped.status, headers, shaped.body);
    return shaped.status;
  }

  #onAdmin(req: IncomingMessage, res: ServerResponse, method: string, rawPath: string, rawQuery: string, body: Buffer): void {
    const answer = handleAdmin(
      {
        url: this.url,
        services: this.services,
        describeServices: () => this.#router.describe(),
        credentialsInfo: () => this.#credentialsInfo(),
        createOperation: (service, fields) => this.createOperation(service, fields),
        listOperations: (service) => this.listOperations(service),
        hasOperationsOf: (service) => this.#store.list(service).length > 0,
        setFaults: (faults) => this.setFaults(faults),
        clearFaults: () => this.clearFaults(),
        currentFaults: () => this.currentFaults(),
        requests: () => this.requests(),
        clearRequests: () => this.#log.clear(),
        reset: () => this.reset(),
      },
      method,
      rawPath,
      new URLSearchParams(rawQuery),
      body,
    );
    const headers: Record<string, string> = { 'cache-control': 'no-store' };
    lowerCaseKeys(answer.headers, headers);
    writeResponse(req, res, answer.status, headers, answer.body);
    this.#logLine(`${new Date(this.#options.now()).toISOString()} ${method} ${rawPath} admin ${answer.status}`);
  }

  /** Key ids only; the secret is shown for the public demo key alone. */
  #credentialsInfo(): unknown {
    const demo = this.#keys.get(DEMO_CREDENTIALS.accessKeyId);
    return {
      accessKeyIds: [...this.#keys.keys()],
      tokens: this.#tokens.size,
      ...(demo && demo.secret === DEMO_CREDENTIALS.accessKeySecret ? { demo: DEMO_CREDENTIALS } : {}),
    };
  }
}

/**
 * Starts the emulator. With no `emulations` (and no `plugins`), plays every installed plugin package
 * that exports an emulation.
 */
export async function startEmulator(options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const resolved = resolveOptions(options);
  const emulations: ServiceEmulation[] = [...(options.emulations ?? [])];
  if (options.plugins !== undefined || options.emulations === undefined) {
    const given = new Set(emulations.map((e) => e.service));
    const discovered = await discoverEmulations({
      ...(options.plugins !== undefined ? { plugins: options.plugins } : {}),
      ...(options.resolveFrom !== undefined ? { resolveFrom: options.resolveFrom } : {}),
      ...(resolved.log ? { log: resolved.log } : {}),
    });
    for (const emulation of discovered) if (!given.has(emulation.service)) emulations.push(emulation);
  }
  let emulator: Emulator;
  try {
    emulator = new Emulator(resolved, emulations);
  } catch (error) {
    if (error instanceof RouteConflictError) throw invalidInput([{ field: 'emulations', message: error.message }], 'emulator options');
    throw error;
  }
  await emulator.listen();
  return emulator;
}

