/** Loopback HTTP servers on port 0 that answer with their own name, so a test sees where a request went. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CancellablePlugin, definePlugin } from '../contract.js';
import type { EndpointForRequest } from '../endpoints.js';

export interface NamedServer {
  readonly name: string;
  readonly url: string;
  /** Paths requested, in order. */
  readonly hits: string[];
  close(): Promise<void>;
}

export async function startNamedServer(name: string): Promise<NamedServer> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
    res.end(JSON.stringify({ server: name }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/**
 * A plugin that behaves like a provider client: it asks `ctx.endpointFor` for each request, falls back to
 * its own default, sends one real GET there and reports which server answered as the outcome's reason.
 */
export function routingPlugin(defaultUrl: () => string, request: EndpointForRequest = { product: 'widgets', region: 'region-1' }): CancellablePlugin<{ id: string }> {
  return definePlugin<{ id: string }>({
    manifest: {
      id: 'route.widgets.job',
      provider: 'route',
      service: 'route.widgets',
      operation: 'job',
      title: 'Routing test job',
      docsUrl: 'https://example.test/docs',
      paramsSchema: { type: 'object' },
      targetParam: 'id',
      capabilities: { inspect: false, batch: false, wait: false },
      coreRange: '*',
    },
    parse: (input) => input as { id: string },
    targets: (params) => [params.id],
    async cancel(params, ctx) {
      const base = ctx.endpointFor?.(request) ?? ctx.endpoint ?? defaultUrl();
      const http = await ctx.http();
      const answer = await http(`${base}/cancel/${params.id}`, { timeout: { request: ctx.timeoutMs }, signal: ctx.signal }).json<{ server: string }>();
      return [{ target: params.id, outcome: 'cancelled', reason: answer.server }];
    },
  });
}
