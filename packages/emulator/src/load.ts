/**
 * Load script (not a test): how many signed requests per second the emulator sustains on loopback.
 *
 *   npm run load -- [--plugin @cancelkit/plugin-alibaba-ecs]… [--requests 20000] [--connections 32]
 *                   [--seconds 30] [--clients n] [--live | --synthetic]
 *
 * The emulator runs in a worker thread playing the plugins' own emulations; each target is a fresh
 * operation seeded from the emulation's `demo` scenario that ends `cancelled`, and costs what
 * `cancelkit cancel` sends: the pre-check (inspect, e.g. ECS DescribeTaskAttribute) and the cancel
 * (CancelTask). Every request is built and signed by the plugin through its provider package
 * (ACS3-HMAC-SHA256, SDK-HMAC-SHA256), with a fresh nonce, and verified by the emulator.
 *
 * - default: client threads first sign every request against a local trap (which keeps it and answers
 *   403, so the emulator has not used its nonce), then replay them to the emulator over keep-alive
 *   sockets and time each. The client does next to nothing while timed: the figure is the emulator's.
 * - `--live`: the client threads cancel through the kit against the emulator while timed (signing, got,
 *   the engine: `cancelkit cancel`'s whole path), so the client's cost is in the figure too.
 * - `--synthetic`: the older workload, a built-in emulation with a bearer token and no signature: the
 *   emulator's routing, request log and JSON responses alone.
 *
 * This package holds no service knowledge and cannot depend on a plugin (the plugins devDepend on it), so
 * plugins are named at run time (`--plugin`, package names or directories; default every installed
 * cancelkit plugin package found from the current directory) and loaded through core's loader.
 *
 * Prints requests/second, p50 and p99 per HTTP request, and how busy the emulator's thread was, so a
 * client-bound run shows as one. Bounded in count (`--requests`, at most 100,000) and time (`--seconds`
 * for the timed part; a hard stop 120 s later); every thread and server it starts is stopped.
 */
import { availableParallelism, tmpdir } from 'node:os';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { isMainThread, type MessagePort, parentPort, Worker, workerData } from 'node:worker_threads';
import {
  type DemoScenario,
  defineEmulation,
  EmulatedError,
  type EmulationProtocol,
  emulatorClientSettings,
  type ServiceEmulation,
} from '@cancelkit/core/emulation';
import type { CancellablePlugin } from '@cancelkit/core/plugin';
import { discoverEmulations } from './discover.js';
import { DEMO_CREDENTIALS } from './options.js';
import { startEmulator } from './server.js';

/**
 * Recorded requests must reach the emulator within the clouds' 15-minute timestamp window, and are held
 * in memory until then: hence at most 100,000 requests per run.
 */
const LIMITS = { requests: 100_000, connections: 1024, seconds: 300, clients: 16 };
const DEMO_KEY = { accessKeyId: DEMO_CREDENTIALS.accessKeyId, secret: DEMO_CREDENTIALS.accessKeySecret, projectId: DEMO_CREDENTIALS.projectId };
/** Requests one target costs in the signed workload: the pre-check and the cancel. */
const REQUESTS_PER_TARGET = 2;

interface Args {
  requests: number;
  connections: number;
  seconds: number;
  clients: number;
  plugins: string[] | undefined;
  live: boolean;
  synthetic: boolean;
}

function usage(problem: string): never {
  console.error(`load: ${problem}`);
  console.error(
    'usage: npm run load -- [--plugin <package or dir>]… [--requests n] [--connections n] [--seconds n] [--clients n] [--live | --synthetic]',
  );
  process.exit(2);
}

const OPTIONS = {
  requests: { type: 'string' },
  connections: { type: 'string' },
  seconds: { type: 'string' },
  clients: { type: 'string' },
  plugin: { type: 'string', multiple: true },
  live: { type: 'boolean' },
  synthetic: { type: 'boolean' },
} as const;

function parseArguments(argv: string[]): Args {
  let parsed: { values: { requests?: string; connections?: string; seconds?: string; clients?: string; plugin?: string[]; live?: boolean; synthetic?: boolean } };
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false });
  } catch (error) {
    usage((error as Error).message);
  }
  const integer = (name: 'requests' | 'connections' | 'seconds' | 'clients', fallback: number): number => {
    const text = parsed.values[name];
    if (text === undefined) return fallback;
    const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isInteger(value) || value < 1 || value > LIMITS[name]) usage(`--${name} must be an integer from 1 to ${LIMITS[name]}, got "${text}"`);
    return value;
  };
  const connections = integer('connections', 32);
  if (parsed.values.live && parsed.values.synthetic) usage('--live and --synthetic are two different workloads; pick one');
  return {
    requests: integer('requests', 20_000),
    connections,
    seconds: integer('seconds', 30),
    // One thread each for the emulator and the clients on a 2-core machine; more where there are cores.
    clients: Math.min(integer('clients', Math.max(1, Math.min(4, availableParallelism() - 1))), connections),
    plugins: parsed.values.plugin,
    live: parsed.values.live === true,
    synthetic: parsed.values.synthetic === true,
  };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function once<T>(port: Worker | MessagePort, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type: string; error?: string }) => {
      if (message.type === 'error') {
        cleanup();
        reject(new Error(message.error));
      } else if (message.type === type) {
        cleanup();
        resolve(message as T);
      }
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`a load worker exited (code ${code}) before answering "${type}"`));
    };
    const cleanup = () => {
      port.off('message', onMessage);
      port.off('error', onError);
      port.off('exit', onExit);
    };
    port.on('message', onMessage);
    port.on('error', onError);
    port.on('exit', onExit);
  });
}

// ---------------------------------------------------------------------------------------------------
// Signed workload
// ---------------------------------------------------------------------------------------------------

interface Target {
  readonly plugin: string;
  readonly params: Record<string, unknown>;
}

interface EmulatorInit {
  readonly role: 'emulator';
  readonly packages: string[];
  readonly resolveFrom: string;
}

interface ClientInit {
  readonly role: 'client';
  readonly url: string;
  readonly packages: string[];
  readonly resolveFrom: string;
  readonly connections: number;
}

/** One signed request exactly as the plugin's client sent it (host header and all). */
interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

interface ClientReport {
  type: 'done';
  latencies: Float64Array;
  /** Replay: HTTP status → count; live: outcome → count. */
  counts: Record<string, number>;
  /** Replay: requests recorded but not sent (the --seconds bound). */
  unsent: number;
  firstProblem?: string;
}

/** The emulator thread: plays the plugins' emulations, seeds targets from their demo scenarios, counts. */
async function emulatorThread(init: EmulatorInit, port: MessagePort): Promise<void> {
  const emulations = await discoverEmulations({ plugins: init.packages, resolveFrom: init.resolveFrom });
  const emulator = await startEmulator({ port: 0, emulations });
  // One scenario that ends `cancelled` per emulation: a fresh operation for every target.
  const scenarios: { service: string; scenario: DemoScenario }[] = [];
  const skipped: string[] = [];
  for (const emulation of emulations) {
    const scenario = emulation.demo?.find((s) => s.seed !== undefined && s.expected === 'cancelled');
    if (scenario) scenarios.push({ service: emulation.service, scenario });
    else skipped.push(emulation.service);
  }
  const seeded = new Map<string, string>(); // `${service}/${id}` → status when seeded
  port.on('message', (message: { type: string; count?: number }) => {
    try {
      if (message.type === 'seed') {
        const targets: Target[] = [];
        for (let i = 0; i < (message.count ?? 0); i++) {
          const { service, scenario } = scenarios[i % scenarios.length] as (typeof scenarios)[number];
          const op = emulator.createOperation(service, { ...scenario.seed });
          seeded.set(`${service}/${op.id}`, op.status);
          targets.push({ plugin: scenario.plugin, params: scenario.params(op) });
        }
        port.postMessage({ type: 'seeded', targets });
      } else if (message.type === 'count') {
        let changed = 0;
        for (const op of emulator.listOperations()) if (seeded.get(`${op.service}/${op.id}`) !== op.status) changed++;
        const actions: Record<string, number> = {};
        const schemes: Record<string, number> = {};
        let refused = 0;
        const log = emulator.requests();
        for (const entry of log) {
          actions[entry.action ?? '(none)'] = (actions[entry.action ?? '(none)'] ?? 0) + 1;
          const scheme = entry.signature?.scheme ?? 'none';
          schemes[scheme] = (schemes[scheme] ?? 0) + 1;
          if (entry.signature?.ok !== true) refused++;
        }
        port.postMessage({ type: 'counted', changed, actions, schemes, refused, logged: log.length });
      } else if (message.type === 'stop') {
        void emulator.stop().then(() => {
          port.postMessage({ type: 'stopped' });
          port.close();
        });
      }
    } catch (error) {
      port.postMessage({ type: 'error', error: (error as Error).stack ?? String(error) });
    }
  });
  port.postMessage({
    type: 'ready',
    url: emulator.url,
    scenarios: scenarios.map(({ service, scenario }) => ({ service, plugin: scenario.plugin, title: scenario.title })),
    skipped,
  });
}

/**
 * A client thread. `record`: signs each target's pre-check and cancel through the plugin (its provider
 * package's signer, fresh nonce and timestamp) against a local trap that keeps the request and answers
 * 403, so the emulator has not seen the nonce yet. `replay`: sends the recorded requests to the emulator
 * over keep-alive sockets, timing each — the emulator's work (parse, route, verify, handle, answer) with
 * next to nothing on the client's side. `live`: cancels through the kit against the emulator instead
 * (`cancelkit cancel`'s whole path, the client's cost included).
 */
async function clientThread(init: ClientInit, port: MessagePort): Promise<void> {
  const { discoverPlugins } = await import('@cancelkit/core/loader');
  const { createKit, lazyHttpClient } = await import('@cancelkit/core/kit');
  const registry = await discoverPlugins({ resolveFrom: init.resolveFrom, explicit: init.packages, explicitOnly: true });
  const plugins: CancellablePlugin<unknown>[] = [];
  const emulations: ServiceEmulation[] = [];
  for (const entry of registry.list()) {
    plugins.push(await entry.load());
    const emulation = await entry.loadEmulation();
    if (emulation) emulations.push(emulation);
  }

  let recorded: Recorded[] = [];
  const trap = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      recorded.push({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end('{"RequestId":"load-trap","Code":"Forbidden.RAM","Message":"recorded by the load script"}');
    });
  });
  await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
  const trapUrl = `http://127.0.0.1:${(trap.address() as AddressInfo).port}`;

  const transport = lazyHttpClient({ timeoutMs: 15_000, env: {} });
  let latencies: number[] = [];
  // Per HTTP request, from just before it is sent (signed already) to its response: sub-millisecond
  // resolution, which got's own timings (Date.now) lack.
  const sentAt = Symbol('load.sentAt');
  const got = (await transport.factory()).extend({
    hooks: {
      beforeRequest: [
        (options) => {
          (options.context as Record<symbol, number>)[sentAt] = performance.now();
        },
      ],
      afterResponse: [
        (response) => {
          const started = (response.request.options.context as Record<symbol, number>)[sentAt];
          latencies.push(started === undefined ? Number.NaN : performance.now() - started);
          return response;
        },
      ],
    },
  });
  const kitFor = (endpoint: string) =>
    createKit({
      plugins,
      http: async () => got,
      config: {
        endpoints: { '*': endpoint },
        // Each provider's protocol says how its clients use the demo key; nothing of the user's is read.
        providers: emulatorClientSettings(emulations, DEMO_KEY).providers,
        env: {},
        homeDir: path.join(tmpdir(), 'cancelkit-load-no-home'),
        rateLimits: { '*': Number.POSITIVE_INFINITY },
        retry: { maxAttempts: 1 },
      },
    });
  const recordKit = kitFor(trapUrl);
  const liveKit = kitFor(init.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: init.connections });
  const emulatorUrl = new URL(init.url);

  /** Runs `work` on `init.connections` loops until `items` are used up or the deadline passes. */
  const pool = async <T>(items: readonly T[], deadline: number, work: (item: T) => Promise<void>): Promise<number> => {
    let next = 0;
    await Promise.all(
      Array.from({ length: init.connections }, async () => {
        while (next < items.length && Date.now() < deadline) await work(items[next++] as T);
      }),
    );
    return items.length - next;
  };

  const send = (request: Recorded): Promise<number> =>
    new Promise((resolve) => {
      const req = http.request(
        { host: emulatorUrl.hostname, port: emulatorUrl.port, method: request.method, path: request.path, headers: request.headers, agent },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', () => resolve(0));
      req.end(request.body);
    });

  const handlers: Record<string, (message: { targets?: Target[]; deadline?: number }) => Promise<unknown>> = {
    async record(message) {
      recorded = [];
      await pool(message.targets ?? [], Number.POSITIVE_INFINITY, async (target) => {
        // What `cancelkit cancel` sends: the pre-check through inspect, then the cancel.
        await recordKit.inspect(target.plugin, target.params).catch(() => undefined);
        await recordKit.cancel(target.plugin, target.params, { precheck: false }).catch(() => undefined);
      });
      return { type: 'recorded', count: recorded.length };
    },
    async replay(message) {
      const lat: number[] = [];
      const counts: Record<string, number> = {};
      let firstProblem: string | undefined;
      const unsent = await pool(recorded, message.deadline ?? Number.POSITIVE_INFINITY, async (request) => {
        const started = performance.now();
        const status = await send(request);
        lat.push(performance.now() - started);
        counts[status] = (counts[status] ?? 0) + 1;
        if (status < 200 || status > 299) firstProblem ??= `${request.method} ${request.path.slice(0, 120)} → ${status === 0 ? 'connection error' : status}`;
      });
      recorded = [];
      return { type: 'done', latencies: Float64Array.from(lat), counts, unsent, ...(firstProblem ? { firstProblem } : {}) } satisfies ClientReport;
    },
    async live(message) {
      latencies = [];
      const counts: Record<string, number> = {};
      let firstProblem: string | undefined;
      const unsent = await pool(message.targets ?? [], message.deadline ?? Number.POSITIVE_INFINITY, async (target) => {
        try {
          for (const result of await liveKit.cancel(target.plugin, target.params)) {
            counts[result.outcome] = (counts[result.outcome] ?? 0) + 1;
            if (result.outcome !== 'cancelled') firstProblem ??= `${target.plugin} ${JSON.stringify(target.params)}: ${result.outcome} ${result.error?.code ?? ''}`;
          }
        } catch (error) {
          counts.thrown = (counts.thrown ?? 0) + 1;
          firstProblem ??= `${target.plugin}: ${(error as Error).message}`;
        }
      });
      return { type: 'done', latencies: Float64Array.from(latencies), counts, unsent, ...(firstProblem ? { firstProblem } : {}) } satisfies ClientReport;
    },
    async stop() {
      agent.destroy();
      await transport.close();
      await new Promise((resolve) => trap.close(resolve));
      return { type: 'stopped' };
    },
  };
  port.on('message', (message: { type: string; targets?: Target[]; deadline?: number }) => {
    const handler = handlers[message.type];
    if (!handler) return;
    handler(message).then(
      (answer) => {
        const latenciesBuffer = (answer as Partial<ClientReport>).latencies?.buffer as ArrayBuffer | undefined;
        port.postMessage(answer, latenciesBuffer ? [latenciesBuffer] : []);
        if (message.type === 'stop') port.close();
      },
      (error: unknown) => port.postMessage({ type: 'error', error: (error as Error)?.stack ?? String(error) }),
    );
  });
  port.postMessage({ type: 'ready' });
}

async function discoverPackages(explicit: string[] | undefined, resolveFrom: string): Promise<string[]> {
  const { discoverPlugins } = await import('@cancelkit/core/loader');
  const registry = await discoverPlugins(explicit ? { resolveFrom, explicit, explicitOnly: true } : { resolveFrom, searchFrom: [resolveFrom] });
  const problems = registry.problems();
  if (explicit && problems.length > 0) usage(problems.map((p) => `${p.packageName}: ${p.problem}`).join('; '));
  const packages = [...new Set(registry.list().map((entry) => entry.packageDir))];
  if (packages.length === 0) usage(explicit ? 'none of the --plugin packages is usable' : `no cancelkit plugin package is installed (searched from ${resolveFrom}); pass --plugin`);
  return packages;
}

async function signed(args: Args): Promise<void> {
  const resolveFrom = process.cwd();
  const packages = await discoverPackages(args.plugins, resolveFrom);
  const workers: Worker[] = [];
  const spawn = (data: EmulatorInit | ClientInit) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: data });
    workers.push(worker);
    return worker;
  };
  // Whatever happens, no thread outlives the script (their servers close with them).
  const hardStop = setTimeout(() => {
    console.error(`load: still running ${args.seconds + 120} s after the start; stopping`);
    process.exitCode = 1;
    for (const worker of workers) void worker.terminate();
  }, (args.seconds + 120) * 1000);
  hardStop.unref();
  try {
    const emulatorWorker = spawn({ role: 'emulator', packages, resolveFrom });
    const ready = await once<{ url: string; scenarios: { service: string; plugin: string; title: string }[]; skipped: string[] }>(emulatorWorker, 'ready');
    if (ready.scenarios.length === 0) usage(`no emulation carries a demo scenario that ends "cancelled" (${ready.skipped.join(', ')})`);
    const perClient = Array.from({ length: args.clients }, (_, i) => Math.floor(args.connections / args.clients) + (i < args.connections % args.clients ? 1 : 0));
    const clients = perClient.map((connections) => spawn({ role: 'client', url: ready.url, packages, resolveFrom, connections }));
    await Promise.all(clients.map((c) => once(c, 'ready')));

    const ask = <T>(worker: Worker, message: Record<string, unknown>, answer: string): Promise<T> => {
      const answered = once<T>(worker, answer);
      worker.postMessage(message);
      return answered;
    };
    const seed = async (count: number): Promise<Target[][]> => {
      const { targets } = await ask<{ targets: Target[] }>(emulatorWorker, { type: 'seed', count }, 'seeded');
      const shares: Target[][] = clients.map(() => []);
      targets.forEach((target, i) => {
        shares[i % clients.length]?.push(target);
      });
      return shares;
    };
    /** One round: seed, (record,) then the timed part; returns the reports, the time and the emulator's load. */
    const round = async (count: number, deadline: () => number) => {
      const shares = await seed(count);
      if (!args.live) await Promise.all(clients.map((c, i) => ask(c, { type: 'record', targets: shares[i] }, 'recorded')));
      const elu = emulatorWorker.performance.eventLoopUtilization();
      const started = performance.now();
      const until = deadline();
      const reports = await Promise.all(
        clients.map((c, i) => ask<ClientReport>(c, args.live ? { type: 'live', targets: shares[i], deadline: until } : { type: 'replay', deadline: until }, 'done')),
      );
      return { reports, elapsed: (performance.now() - started) / 1000, busy: emulatorWorker.performance.eventLoopUtilization(elu).utilization };
    };

    // Warm-up (not counted): JIT, keep-alive sockets and first-use costs on both sides.
    const warmupTargets = Math.min(500, Math.max(20, Math.ceil(args.requests / REQUESTS_PER_TARGET / 20)));
    const warm = await round(warmupTargets, () => Date.now() + 60_000);
    const targets = Math.ceil(args.requests / REQUESTS_PER_TARGET);
    const { reports, elapsed, busy } = await round(targets, () => Date.now() + args.seconds * 1000);
    const counts = await ask<{ changed: number; actions: Record<string, number>; schemes: Record<string, number>; refused: number; logged: number }>(
      emulatorWorker,
      { type: 'count' },
      'counted',
    );

    const tally = (rs: ClientReport[]) => {
      const out: Record<string, number> = {};
      for (const r of rs) for (const [k, v] of Object.entries(r.counts)) out[k] = (out[k] ?? 0) + v;
      return out;
    };
    const measured = tally(reports);
    const all = new Float64Array(reports.reduce((n, r) => n + r.latencies.length, 0));
    let offset = 0;
    for (const report of reports) {
      all.set(report.latencies, offset);
      offset += report.latencies.length;
    }
    const sorted = all.sort();
    const requests = sorted.length;
    const unsent = reports.reduce((n, r) => n + r.unsent, 0);
    const ok = (c: Record<string, number>) => (args.live ? (c.cancelled ?? 0) : Object.entries(c).reduce((n, [k, v]) => n + (Number(k) >= 200 && Number(k) < 300 ? v : 0), 0));
    const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
    const failed = total(measured) - ok(measured);
    const rps = requests / elapsed;

    const what = args.live ? `${total(measured)} targets cancelled through the plugins (the client's work included)` : 'pre-signed requests replayed';
    console.log(
      `emulator load (signed${args.live ? ', live' : ''}): ${requests} signed requests, ${what}, over ${args.connections} keep-alive connections from ${args.clients} client thread(s) in ${elapsed.toFixed(2)} s`,
    );
    console.log(`  ${Math.round(rps)} requests/second, p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms, ${failed} failed`);
    console.log(
      `  emulator thread busy ${(busy * 100).toFixed(0)}% of the run${busy > 0 && busy < 0.85 ? ` (client-bound: at 100% it would serve about ${Math.round(rps / busy)} requests/second)` : ''}`,
    );
    console.log(`  workload: ${ready.scenarios.map((s) => `${s.plugin} (“${s.title}”)`).join('; ')}; each target its pre-check (inspect) and its cancel`);
    console.log(
      `  the emulator's log (last ${counts.logged}): ${Object.entries(counts.actions)
        .map(([a, n]) => `${a} ${n}`)
        .join(', ')}; signatures ${Object.entries(counts.schemes)
        .map(([s, n]) => `${s} ${n}`)
        .join(', ')}; ${counts.refused} refused`,
    );
    if (ready.skipped.length > 0) console.log(`  skipped (no demo scenario ending "cancelled"): ${ready.skipped.join(', ')}`);
    if (unsent > 0) console.log(`  stopped after ${args.seconds} s (the --seconds bound) with ${unsent} ${args.live ? 'targets' : 'requests'} not sent`);
    const problem = [...warm.reports, ...reports].find((r) => r.firstProblem)?.firstProblem;
    if (problem) console.log(`  first problem: ${problem}`);
    // Every target's cancel went through (unless the time bound cut the run short): the emulator agrees.
    const complete = unsent === 0 && failed === 0 && total(tally(warm.reports)) === ok(tally(warm.reports));
    const agree = !complete || counts.changed === warmupTargets + targets;
    if (!agree) console.log(`  the emulator changed ${counts.changed} operations, expected ${warmupTargets + targets}`);
    process.exitCode = failed > 0 || counts.refused > 0 || !agree ? 1 : 0;

    await Promise.all(clients.map((c) => ask(c, { type: 'stop' }, 'stopped')));
    await ask(emulatorWorker, { type: 'stop' }, 'stopped');
  } finally {
    clearTimeout(hardStop);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

// ---------------------------------------------------------------------------------------------------
// Synthetic workload (--synthetic): no signature, the emulator's own overhead
// ---------------------------------------------------------------------------------------------------

let requestCounter = 0;
const loadProtocol: EmulationProtocol = {
  name: 'load-bearer',
  provider: 'load',
  identify: (request) => (request.rawPath.startsWith('/load/') ? { params: Object.fromEntries(request.query) } : undefined),
  claims: (request) => request.rawPath.startsWith('/load/'),
  authenticate(request, context) {
    const key = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const credential = key === undefined ? undefined : context.lookupKey(key);
    return credential
      ? { ok: true, scheme: 'bearer', accessKeyId: credential.accessKeyId }
      : { ok: false, scheme: 'bearer', error: new EmulatedError(401, 'Unauthorized', 'Unknown key.') };
  },
  errorResponse: (error, requestId) => ({ status: error.status, body: { code: error.code, message: error.message, requestId } }),
  unknownApi: () => new EmulatedError(404, 'NoSuchApi', 'No such API.'),
  throttled: () => new EmulatedError(429, 'Throttled', 'Slow down.'),
  serverError: () => new EmulatedError(500, 'InternalError', 'Failed.'),
  newRequestId: () => `load-${++requestCounter}`,
  responseHeaders: (requestId) => ({ 'x-request-id': requestId }),
};

const loadEmulation: ServiceEmulation = defineEmulation({
  service: 'load.items',
  protocol: loadProtocol,
  fields: { id: 'item id' },
  createOperation: (fields, context) => ({ service: 'load.items', id: typeof fields.id === 'string' ? fields.id : context.newId('item-'), status: 'ready' }),
  routes: [
    {
      style: 'rest',
      method: 'GET',
      path: '/load/items/{id}',
      action: 'GetItem',
      readOnly: true,
      handler: (call) => {
        const item = call.store.get('load.items', call.pathParams.id ?? '');
        if (!item) throw new EmulatedError(404, 'NotFound', 'No such item.');
        return { status: 200, body: { requestId: call.requestId, item } };
      },
    },
  ],
});

async function syntheticThread(port: MessagePort): Promise<void> {
  const emulator = await startEmulator({ port: 0, emulations: [loadEmulation] });
  emulator.createOperation('load.items', { id: 'item-1' });
  port.once('message', () => {
    void emulator.stop().then(() => port.close());
  });
  port.postMessage({ type: 'ready', url: emulator.url });
}

async function synthetic(args: Args): Promise<void> {
  const { requests: total, connections, seconds } = args;
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: 'synthetic' } });
  try {
    const { url } = await once<{ url: string }>(worker, 'ready');
    const target = new URL(url);
    const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
    const headers = { authorization: `Bearer ${DEMO_CREDENTIALS.accessKeyId}` };
    const latencies = new Float64Array(total);
    let issued = 0;
    let completed = 0;
    let failed = 0;
    const deadline = performance.now() + seconds * 1000;

    const one = () =>
      new Promise<void>((resolve) => {
        const started = performance.now();
        const req = http.request({ host: target.hostname, port: target.port, path: '/load/items/item-1', method: 'GET', headers, agent }, (res) => {
          if (res.statusCode !== 200) failed++;
          res.resume();
          res.on('end', () => {
            latencies[completed++] = performance.now() - started;
            resolve();
          });
        });
        req.on('error', () => {
          failed++;
          resolve();
        });
        req.end();
      });

    const busyFrom = worker.performance.eventLoopUtilization();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (issued < total && performance.now() < deadline) {
          issued++;
          await one();
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const busy = worker.performance.eventLoopUtilization(busyFrom).utilization;
    agent.destroy();
    worker.postMessage('stop');
    await new Promise((resolve) => worker.once('exit', resolve));

    const sorted = latencies.slice(0, completed).sort();
    console.log(`emulator load (synthetic, no signature): ${completed} requests over ${connections} keep-alive connections in ${elapsed.toFixed(2)} s`);
    console.log(`  ${Math.round(completed / elapsed)} requests/second, p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms, ${failed} failed`);
    console.log(`  emulator thread busy ${(busy * 100).toFixed(0)}% of the run`);
    if (issued < total) console.log(`  stopped after ${seconds} s (the --seconds bound) with ${total - issued} requests not sent`);
    process.exitCode = failed > 0 ? 1 : 0;
  } finally {
    await worker.terminate();
  }
}

// ---------------------------------------------------------------------------------------------------

if (isMainThread) {
  const args = parseArguments(process.argv.slice(2));
  await (args.synthetic ? synthetic(args) : signed(args));
} else {
  const port = parentPort as MessagePort;
  const init = workerData as EmulatorInit | ClientInit | { role: 'synthetic' };
  try {
    if (init.role === 'emulator') await emulatorThread(init, port);
    else if (init.role === 'client') await clientThread(init, port);
    else await syntheticThread(port);
  } catch (error) {
    port.postMessage({ type: 'error', error: (error as Error).stack ?? String(error) });
  }
}
