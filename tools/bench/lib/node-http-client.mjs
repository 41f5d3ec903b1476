/**
 * An EXPERIMENT, not a product transport: the part of core's HttpClient (got) that the provider packages
 * use — `client(url, { method, headers, body, signal, timeout: { request } })` resolving with
 * `{ statusCode, headers, body }` as text — written directly on node:http with a keep-alive agent.
 * The library benchmark binds it through core's TOKENS.HttpClientFactory to measure what replacing got
 * would change (latency, allocations) before anyone changes core.
 */
import http from 'node:http';
import https from 'node:https';

export function createNodeHttpClient() {
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }),
  };
  const client = (url, options = {}) =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      const transport = target.protocol === 'https:' ? https : http;
      const headers = { ...options.headers };
      const body = options.body;
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
      const request = transport.request(
        target,
        { method: options.method ?? 'GET', headers, agent: agents[target.protocol], signal: options.signal, timeout: options.timeout?.request },
        (response) => {
          const chunks = [];
          response.on('data', (chunk) => chunks.push(chunk));
          response.once('error', reject);
          response.once('end', () => resolve({ statusCode: response.statusCode, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      request.once('timeout', () => request.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })));
      request.once('error', reject);
      request.end(body);
    });
  client.close = () => {
    agents['http:'].destroy();
    agents['https:'].destroy();
  };
  return client;
}
