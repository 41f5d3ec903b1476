/** A small node:http client for tests: raw paths (no URL normalisation), optional keep-alive agent. */
import http from 'node:http';
import { DEMO_CREDENTIALS } from '../options.js';
import { fakeAuthorization } from './fake-protocols.js';

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test helper returning parsed JSON for terse assertions
  json: any;
}

export interface SendOptions {
  method?: string;
  /** Raw request target: path plus `?query`, sent as is. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  agent?: http.Agent;
}

export function send(baseUrl: string, options: SendOptions): Promise<HttpResult> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...options.headers },
        agent: options.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export interface SignedOptions extends SendOptions {
  accessKeyId?: string;
  secret?: string;
  nonce?: string;
  date?: number;
}

/** Sends a request signed with the fake protocols' HMAC (demo key unless told otherwise). */
export function sendSigned(baseUrl: string, options: SignedOptions): Promise<HttpResult> {
  const method = options.method ?? 'GET';
  const q = options.path.indexOf('?');
  const rawPath = q === -1 ? options.path : options.path.slice(0, q);
  const rawQuery = q === -1 ? '' : options.path.slice(q + 1);
  const authorization = fakeAuthorization({
    method,
    rawPath,
    rawQuery,
    body: options.body ?? '',
    accessKeyId: options.accessKeyId ?? DEMO_CREDENTIALS.accessKeyId,
    secret: options.secret ?? DEMO_CREDENTIALS.accessKeySecret,
    ...(options.nonce !== undefined ? { nonce: options.nonce } : {}),
    ...(options.date !== undefined ? { date: options.date } : {}),
  });
  return send(baseUrl, { ...options, method, headers: { authorization, ...options.headers } });
}

/** Calls an RPC action with its parameters in the query. */
export function rpc(baseUrl: string, action: string, params: Record<string, string> = {}, extra: Partial<SignedOptions> = {}): Promise<HttpResult> {
  const query = new URLSearchParams({ Action: action, Version: '2020-01-01', ...params }).toString();
  return sendSigned(baseUrl, { method: 'POST', path: `/?${query}`, ...extra });
}

export function adminJson(baseUrl: string, method: string, path: string, body?: unknown): Promise<HttpResult> {
  return send(baseUrl, {
    method,
    path,
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
  });
}
