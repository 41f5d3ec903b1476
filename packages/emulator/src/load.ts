/**
 * Load script (not a test): how many requests per second the emulator sustains on loopback.
 *
 *   npm run load -- [--requests 20000] [--connections 32] [--seconds 30]
 *
 * The emulator runs in a worker thread with a tiny built-in emulation (a token check and a path
 * parameter, so routing, authentication, the request log and JSON responses are all on the path); this
 * thread fires the requests over keep-alive sockets and prints requests/second, p50 and p99. Bounded in
 * count and in time.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { defineEmulation, EmulatedError, type EmulationProtocol, type ServiceEmulation } from '@cancelkit/core/emulation';
import { DEMO_CREDENTIALS } from './options.js';
import { startEmulator } from './server.js';

const LIMITS = { requests: 1_000_000, connections: 1024, seconds: 300 };

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

function argument(name: string, fallback: number, max: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    console.error(`--${name} must be an integer from 1 to ${max}`);
    process.exit(2);
  }
  return value;
}

async function serve(): Promise<void> {
  const emulator = await startEmulator({ port: 0, emulations: [loadEmulation] });
  emulator.createOperation('load.items', { id: 'item-1' });
  parentPort?.postMessage({ url: emulator.url });
  parentPort?.once('message', () => {
    void emulator.stop().then(() => parentPort?.close());
  });
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function drive(): Promise<void> {
  const total = argument('requests', 20_000, LIMITS.requests);
  const connections = argument('connections', 32, LIMITS.connections);
  const seconds = argument('seconds', 30, LIMITS.seconds);

  const worker = new Worker(new URL(import.meta.url));
  const url = await new Promise<string>((resolve, reject) => {
    worker.once('message', (message: { url: string }) => resolve(message.url));
    worker.once('error', reject);
  });
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
      const req = http.request(
        { host: target.hostname, port: target.port, path: '/load/items/item-1', method: 'GET', headers, agent },
        (res) => {
          if (res.statusCode !== 200) failed++;
          res.resume();
          res.on('end', () => {
            latencies[completed++] = performance.now() - started;
            resolve();
          });
        },
      );
      req.on('error', () => {
        failed++;
        resolve();
      });
      req.end();
    });

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
  agent.destroy();
  worker.postMessage('stop');
  await new Promise((resolve) => worker.once('exit', resolve));

  const sorted = latencies.slice(0, completed).sort();
  const rps = completed / elapsed;
  console.log(`emulator load: ${completed} requests over ${connections} keep-alive connections in ${elapsed.toFixed(2)} s`);
  console.log(`  ${Math.round(rps)} requests/second, p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms, ${failed} failed`);
  if (issued < total) console.log(`  stopped after ${seconds} s (the --seconds bound) with ${total - issued} requests not sent`);
  process.exitCode = failed > 0 ? 1 : 0;
}

if (isMainThread) await drive();
else await serve();
