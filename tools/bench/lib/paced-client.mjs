/**
 * The server figure's latency phase, from its own process: `POST /v1/cancellations` started on a fixed
 * schedule of `rate` per second (an open loop: a slow answer never delays the next request), over
 * keep-alive sockets. autocannon's `overallRate` is not used here because it sends each second's quota
 * in a burst at the start of the second, which measures queueing, not the server.
 * Usage: paced-client.mjs <server-url> <task-prefix> <first> <amount> <connections> <rate>, with the API
 * token in CANCELKIT_BENCH_TOKEN. Prints one JSON line in the shape load-server.mjs prints.
 */
import http from 'node:http';

const [url, prefix, firstText, amountText, connectionsText, rateText] = process.argv.slice(2);
const token = process.env.CANCELKIT_BENCH_TOKEN;
if (!token) throw new Error('CANCELKIT_BENCH_TOKEN is not set');
const amount = Number(amountText);
const rate = Number(rateText);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(connectionsText) });
const target = new URL('/v1/cancellations', url);
const latencies = [];
const statuses = {};
let errors = 0;

function post(taskId) {
  const body = JSON.stringify({ plugin: 'alibaba.ecs.task', params: { regionId: 'cn-hangzhou', taskId } });
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const request = http.request(
      target,
      {
        method: 'POST',
        agent,
        timeout: 30_000,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        response.resume();
        response.once('end', () => {
          latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
          statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
          resolve();
        });
      },
    );
    request.once('timeout', () => request.destroy(new Error('timeout')));
    request.once('error', () => {
      errors++;
      resolve();
    });
    request.end(body);
  });
}

const inFlight = [];
const t0 = performance.now();
for (let i = 0; i < amount; i++) {
  const wait = t0 + (i * 1000) / rate - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  inFlight.push(post(`${prefix}${Number(firstText) + i}`));
}
await Promise.all(inFlight);
const wallMs = performance.now() - t0;
agent.destroy();
const non2xx = Object.entries(statuses).reduce((n, [status, count]) => n + (Number(status) >= 300 ? count : 0), 0);
process.stdout.write(
  `${JSON.stringify({ requests: latencies.length, wallMs, throughput: (latencies.length / wallMs) * 1000, errors, timeouts: 0, non2xx, statuses, latencies })}\n`,
);
