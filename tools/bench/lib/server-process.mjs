/**
 * `cancelkit-server` (buildServer) with the ECS plugin, in its own process, pointed at the bench's
 * emulator. Usage (forked): server-process.mjs <emulator-url> <concurrency>, with the API token in
 * CANCELKIT_BENCH_TOKEN.
 *
 * Settings that differ from the defaults, and why: the per-token API rate limit and the job concurrency
 * are raised to the load's concurrency (the defaults, 10 requests/s and 4 jobs, are policy for a shared
 * deployment and would measure a queue, not the code); logging is off (pino to stdout at `info` would
 * measure the terminal); the store is in memory, as the server's own emulator mode uses.
 */
import { ecsTaskPlugin } from '@cancelkit/plugin-alibaba-ecs';
import { buildServer } from '@cancelkit/server';
import { kitConfig } from './emulator.mjs';
import { serveParent } from './proc.mjs';

const [url, concurrencyText] = process.argv.slice(2);
const token = process.env.CANCELKIT_BENCH_TOKEN;
if (!token) throw new Error('CANCELKIT_BENCH_TOKEN is not set');
const concurrency = Number(concurrencyText);
const app = buildServer({
  plugins: [ecsTaskPlugin],
  tokens: [{ name: 'bench', token }],
  database: ':memory:',
  cancelkit: kitConfig(url),
  limits: { maxConcurrentJobs: concurrency, rateLimit: { perSecond: 1_000_000, burst: 1_000_000 } },
  log: { level: 'silent' },
  defaultMetrics: false,
});
const address = await app.listen({ host: '127.0.0.1', port: 0 });

serveParent(
  {
    /** CPU time this process has used so far (user + system, µs): the parent takes deltas around a load. */
    cpu() {
      const { user, system } = process.cpuUsage();
      return { us: user + system };
    },
  },
  { url: address },
  () => app.close(),
);
