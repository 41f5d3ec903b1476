/**
 * Load against `POST /v1/cancellations` from its own process, with autocannon.
 * Usage: load-server.mjs <server-url> <task-prefix> <first> <amount> <connections>, with the API token in
 * CANCELKIT_BENCH_TOKEN. The connections send as fast as they can (the throughput phase).
 * Every request cancels a different task (`${prefix}${first + i}`). autocannon's own histogram has 1 ms
 * resolution, so latencies are taken from its `response` events (hrtime, fractional ms) instead.
 * Prints one JSON line.
 */
import autocannon from 'autocannon';

const [url, prefix, firstText, amountText, connectionsText] = process.argv.slice(2);
const token = process.env.CANCELKIT_BENCH_TOKEN;
if (!token) throw new Error('CANCELKIT_BENCH_TOKEN is not set');
const amount = Number(amountText);
let next = Number(firstText);
const latencies = [];
const statuses = {};

const instance = autocannon({
  url,
  connections: Number(connectionsText),
  amount,
  timeout: 30,
  requests: [
    {
      method: 'POST',
      path: '/v1/cancellations',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      setupRequest(request) {
        return { ...request, body: JSON.stringify({ plugin: 'alibaba.ecs.task', params: { regionId: 'cn-hangzhou', taskId: `${prefix}${next++}` } }) };
      },
    },
  ],
});
instance.on('response', (_client, statusCode, _bytes, responseTime) => {
  latencies.push(responseTime);
  statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
});
const started = performance.now();
const result = await instance;
const wallMs = performance.now() - started;
process.stdout.write(
  `${JSON.stringify({
    requests: result.requests.total,
    wallMs,
    throughput: (latencies.length / wallMs) * 1000,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statuses,
    latencies,
  })}\n`,
);
