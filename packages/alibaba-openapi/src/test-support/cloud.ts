/**
 * A tiny Alibaba Cloud stand-in for tests: a node:http server on 127.0.0.1:0 that authenticates every
 * request with this package's own emulation protocols and answers what the test's handler says.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AuthVerdict,
  type EmulationProtocol,
  type EmulatorCredential,
  type EmulatorRequest,
  type EmulatorResponse,
  type IdentifiedCall,
  isEmulatedError,
} from '@cancelkit/core/emulation';
import { alibabaRoaProtocol, alibabaRpcProtocol } from '../emulation.js';

export interface CloudCall {
  readonly request: EmulatorRequest;
  readonly protocol: EmulationProtocol;
  readonly identified: IdentifiedCall;
  readonly requestId: string;
}

/** `'reset'` destroys the socket without an answer. */
export type CloudHandler = (call: CloudCall) => EmulatorResponse | 'reset';

export interface ReceivedRecord {
  readonly request: EmulatorRequest;
  readonly verdict?: AuthVerdict;
  readonly status?: number;
}

export interface TestCloud {
  readonly url: string;
  readonly received: ReceivedRecord[];
  /** Requests so malformed that Node's HTTP parser refused them (never reached `received`). */
  readonly malformed: number;
  handler: CloudHandler;
  close(): Promise<void>;
}

function toEmulatorRequest(req: http.IncomingMessage, body: Buffer): EmulatorRequest {
  const target = req.url ?? '/';
  const q = target.indexOf('?');
  const rawPath = q === -1 ? target : target.slice(0, q);
  const rawQuery = q === -1 ? '' : target.slice(q + 1);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return { method: req.method ?? 'GET', rawPath, rawQuery, query: new URLSearchParams(rawQuery), headers, body };
}

export async function startTestCloud(keys: readonly EmulatorCredential[], handler: CloudHandler): Promise<TestCloud> {
  const nonces = new Set<string>();
  const received: ReceivedRecord[] = [];
  const state = { handler };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = toEmulatorRequest(req, Buffer.concat(chunks));
      const record: { request: EmulatorRequest; verdict?: AuthVerdict; status?: number } = { request };
      received.push(record);
      const protocol = [alibabaRpcProtocol, alibabaRoaProtocol].find((p) => p.identify(request) !== undefined) ?? alibabaRpcProtocol;
      const identified = protocol.identify(request);
      const requestId = protocol.newRequestId();
      const send = (response: EmulatorResponse) => {
        record.status = response.status;
        res.writeHead(response.status, { ...protocol.responseHeaders(requestId), ...response.headers });
        res.end(response.body === undefined ? '' : JSON.stringify(response.body));
      };
      if (!identified) return send(protocol.errorResponse(protocol.unknownApi(request), requestId));
      const verdict = protocol.authenticate(request, {
        now: Date.now(),
        lookupKey: (id) => keys.find((k) => k.accessKeyId === id),
        useNonce: (nonce) => nonces.size < nonces.add(nonce).size,
        lookupToken: () => undefined,
      });
      record.verdict = verdict;
      if (!verdict.ok) return send(protocol.errorResponse(verdict.error, requestId));
      try {
        const answer = state.handler({ request, protocol, identified, requestId });
        if (answer === 'reset') {
          req.socket.destroy();
          return;
        }
        send(answer);
      } catch (error) {
        if (isEmulatedError(error)) return send(protocol.errorResponse(error, requestId));
        send({ status: 500, body: { RequestId: requestId, Code: 'InternalError', Message: String(error) } });
      }
    });
  });
  // Count what the HTTP parser refuses too, so "nothing was sent" means nothing at all reached the server.
  let malformed = 0;
  server.on('clientError', (_error, socket) => {
    malformed++;
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    get malformed() {
      return malformed;
    },
    get handler() {
      return state.handler;
    },
    set handler(next: CloudHandler) {
      state.handler = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
