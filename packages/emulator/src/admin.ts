/**
 * The admin API under `/_emulator/` (JSON in, JSON out). It only calls the running emulator's own
 * methods, so the programmatic API and the HTTP API cannot drift apart. Faults never apply here.
 */
import { isCancelKitError } from '@cancelkit/core/plugin';
import { type EmulatedOperation, isEmulatedError } from '@cancelkit/core/emulation';
import { FAULT_FIELDS, type FaultSettings, parseFaultSettings } from './faults.js';
import type { RequestLogEntry } from './request-log.js';

export interface AdminResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** What the admin API needs from the running emulator. */
export interface AdminTarget {
  readonly url: string;
  readonly services: string[];
  describeServices(): unknown[];
  credentialsInfo(): unknown;
  createOperation(service: string, fields?: Record<string, unknown>): EmulatedOperation;
  listOperations(service?: string): EmulatedOperation[];
  hasOperationsOf(service: string): boolean;
  setFaults(faults: FaultSettings): void;
  clearFaults(): void;
  currentFaults(): FaultSettings & { seed: number };
  requests(): RequestLogEntry[];
  clearRequests(): void;
  reset(): void;
}

export const ADMIN_ENDPOINTS: Readonly<Record<string, string>> = Object.freeze({
  'GET /_emulator/': 'this index: services, their fields, endpoints and the demo credentials',
  'POST /_emulator/operations': 'create an operation: {"service": "<service>", ...fields} → 201 with the operation and its id',
  'GET /_emulator/operations?service=<service>': 'list operations (all services without ?service) with their current state',
  'GET /_emulator/operations/<service>/<id>': 'one operation',
  'GET /_emulator/faults': 'the active faults and the seed in use',
  'PUT /_emulator/faults':
    '{"throttle": 0..1, "serverError": 0..1, "reset": 0..1, "resetBefore": 0..1, "resetAfter": 0..1, "latencyMs": n, "maxQps": n, "seed": n, "deny": ["CancelTask"]} replaces the faults (see "faultFields")',
  'DELETE /_emulator/faults': 'clear every fault',
  'GET /_emulator/requests': 'the cloud requests received: method, path, action, service, signature verdict, status',
  'DELETE /_emulator/requests': 'forget the request log',
  'POST /_emulator/reset': 'empty everything: operations, request log, faults and used nonces',
});

function error(status: number, code: string, message: string, field?: string, extra: Record<string, unknown> = {}): AdminResponse {
  return { status, body: { error: { code, message, ...(field !== undefined ? { field } : {}), ...extra } } };
}

function methodNotAllowed(method: string, path: string, allowed: string[]): AdminResponse {
  return {
    ...error(405, 'MethodNotAllowed', `${method} is not supported on ${path}; use ${allowed.join(' or ')}.`),
    headers: { allow: allowed.join(', ') },
  };
}

/** Turns a thrown error into an admin JSON error; InvalidInput keeps its per-field issues. */
function fromThrown(thrown: unknown): AdminResponse {
  if (isCancelKitError(thrown) && thrown.code === 'InvalidInput') {
    const first = thrown.issues[0]?.field;
    return error(400, 'InvalidInput', thrown.message, first === '' ? undefined : first, thrown.issues.length > 0 ? { issues: thrown.issues } : {});
  }
  if (isEmulatedError(thrown)) return error(400, thrown.code, thrown.message);
  return error(500, 'InternalError', `The emulator failed: ${(thrown as Error)?.message ?? String(thrown)}`);
}

type JsonBody = { ok: true; value: unknown } | { ok: false; response: AdminResponse };

function parseJson(body: Buffer): JsonBody {
  if (body.length === 0) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) as unknown };
  } catch (thrown) {
    return { ok: false, response: error(400, 'InvalidJson', `The request body is not valid JSON: ${(thrown as Error).message}`, 'body') };
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function handleAdmin(target: AdminTarget, method: string, rawPath: string, query: URLSearchParams, body: Buffer): AdminResponse {
  const parts = rawPath
    .slice('/_emulator'.length)
    .split('/')
    .filter((p) => p !== '');
  const path = `/_emulator/${parts.join('/')}`;
  const [resource, ...rest] = parts;

  if (resource === undefined) {
    if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(method, path, ['GET']);
    return {
      status: 200,
      body: {
        emulator: '@cancelkit/emulator',
        url: target.url,
        services: target.describeServices(),
        credentials: target.credentialsInfo(),
        faults: target.currentFaults(),
        faultFields: FAULT_FIELDS,
        admin: ADMIN_ENDPOINTS,
      },
    };
  }

  switch (resource) {
    case 'operations':
      return operations(target, method, path, rest, query, body);
    case 'faults': {
      if (rest.length > 0) break;
      if (method === 'GET') return { status: 200, body: { faults: target.currentFaults() } };
      if (method === 'DELETE') {
        target.clearFaults();
        return { status: 200, body: { faults: target.currentFaults() } };
      }
      if (method === 'PUT') {
        const parsed = parseJson(body);
        if (!parsed.ok) return parsed.response;
        try {
          target.setFaults(parseFaultSettings(parsed.value ?? {}));
        } catch (thrown) {
          return fromThrown(thrown);
        }
        return { status: 200, body: { faults: target.currentFaults() } };
      }
      return methodNotAllowed(method, path, ['GET', 'PUT', 'DELETE']);
    }
    case 'requests': {
      if (rest.length > 0) break;
      if (method === 'GET') return { status: 200, body: { requests: target.requests() } };
      if (method === 'DELETE') {
        target.clearRequests();
        return { status: 200, body: { requests: [] } };
      }
      return methodNotAllowed(method, path, ['GET', 'DELETE']);
    }
    case 'reset': {
      if (rest.length > 0) break;
      if (method !== 'POST') return methodNotAllowed(method, path, ['POST']);
      target.reset();
      return { status: 200, body: { reset: true } };
    }
  }
  return error(404, 'NotFound', `No admin endpoint ${method} ${path}. See GET /_emulator/ for the list.`, undefined, { endpoints: Object.keys(ADMIN_ENDPOINTS) });
}

function knownServicesHint(target: AdminTarget): string {
  return target.services.length > 0 ? `known services: ${target.services.join(', ')}` : 'no services are loaded: install cancelkit plugin packages';
}

function operations(target: AdminTarget, method: string, path: string, rest: string[], query: URLSearchParams, body: Buffer): AdminResponse {
  if (rest.length === 2) {
    if (method !== 'GET') return methodNotAllowed(method, path, ['GET']);
    let service: string;
    let id: string;
    try {
      service = decodeURIComponent(rest[0] as string);
      id = decodeURIComponent(rest[1] as string);
    } catch {
      return error(400, 'InvalidInput', 'The service or id in the path is not valid percent-encoding.', 'path');
    }
    const operation = target.listOperations(service).find((op) => op.id === id);
    if (!operation) return error(404, 'NotFound', `No ${service} operation has id "${id}".`, 'id');
    return { status: 200, body: operation };
  }
  if (rest.length > 0) return error(404, 'NotFound', `No admin endpoint ${method} ${path}. See GET /_emulator/ for the list.`);

  if (method === 'GET') {
    const service = query.get('service');
    if (service === null || service === '') return { status: 200, body: { operations: target.listOperations() } };
    if (!target.services.includes(service) && !target.hasOperationsOf(service)) {
      return error(400, 'InvalidInput', `"${service}" is not an emulated service; ${knownServicesHint(target)}.`, 'service');
    }
    return { status: 200, body: { operations: target.listOperations(service) } };
  }
  if (method !== 'POST') return methodNotAllowed(method, path, ['GET', 'POST']);

  const parsed = parseJson(body);
  if (!parsed.ok) return parsed.response;
  if (!isPlainObject(parsed.value)) {
    return error(400, 'InvalidInput', `The body must be a JSON object such as {"service": "${target.services[0] ?? 'alibaba.ecs'}"}.`, 'body');
  }
  const { service, ...fields } = parsed.value;
  if (typeof service !== 'string' || service === '') {
    return error(400, 'InvalidInput', `"service" is required and must be a string; ${knownServicesHint(target)}.`, 'service');
  }
  if (!target.services.includes(service)) {
    return error(400, 'InvalidInput', `"${service}" is not an emulated service; ${knownServicesHint(target)}.`, 'service');
  }
  try {
    return { status: 201, body: target.createOperation(service, fields) };
  } catch (thrown) {
    return fromThrown(thrown);
  }
}
