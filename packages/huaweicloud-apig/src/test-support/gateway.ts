/**
 * A loopback API gateway for tests: a node:http server on 127.0.0.1:0 that verifies every request with
 * this package's verifier, answers what the test says, and counts every request — including those so
 * malformed that Node's HTTP parser refuses them — so a test can prove nothing was sent.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ReceivedRequest, type VerifierKey, verifySdkHmacSha256 } from '../verifier.js';

export interface GatewayRequest extends ReceivedRequest {
  readonly body: Buffer;
  readonly verdict: ReturnType<typeof verifySdkHmacSha256>;
}

export interface GatewayReply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

export interface TestGateway {
  readonly url: string;
  readonly seen: GatewayRequest[];
  /** Requests Node's HTTP parser refused (they never reach `seen`). */
  readonly malformed: number;
  reply: (request: GatewayRequest) => GatewayReply;
  close(): Promise<void>;
}

export async function startTestGateway(keys: Readonly<Record<string, VerifierKey>>): Promise<TestGateway> {
  const seen: GatewayRequest[] = [];
  let malformed = 0;
  const state = { reply: (_request: GatewayRequest): GatewayReply => ({ status: 204 }) };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = req.url ?? '/';
      const q = target.indexOf('?');
      const headers: Record<string, string> = {};
      for (const [name, values] of Object.entries(req.headersDistinct)) headers[name] = (values ?? []).join(', ');
      const request = { method: req.method ?? '', rawPath: q === -1 ? target : target.slice(0, q), rawQuery: q === -1 ? '' : target.slice(q + 1), headers, body: Buffer.concat(chunks) };
      const verdict = verifySdkHmacSha256(request, { now: Date.now(), lookupKey: (ak) => (Object.hasOwn(keys, ak) ? keys[ak] : undefined) });
      const entry = { ...request, verdict };
      seen.push(entry);
      const reply = state.reply(entry);
      res.writeHead(reply.status, { 'x-request-id': `req-${seen.length}`, ...reply.headers });
      res.end(reply.body ?? '');
    });
  });
  server.on('clientError', (_error, socket) => {
    malformed++;
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    get malformed() {
      return malformed;
    },
    get reply() {
      return state.reply;
    },
    set reply(next) {
      state.reply = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
