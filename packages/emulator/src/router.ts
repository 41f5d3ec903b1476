/**
 * Routes a cloud request to one emulation's route. The router knows no service: it asks each distinct
 * protocol to `identify` the request, then matches RPC routes by action + version and REST/ROA routes by
 * method + path pattern.
 */
import type {
  EmulatedError,
  EmulatedRoute,
  EmulationProtocol,
  EmulatorRequest,
  IdentifiedCall,
  ServiceEmulation,
} from '@cancelkit/core/emulation';
import { isEmulatedError } from '@cancelkit/core/emulation';

/**
 * An optional protocol hook (not yet in core's `EmulationProtocol`): the cloud's error for a known action
 * called with an unsupported version (Alibaba: `InvalidVersion`). Without it the router answers
 * `unknownApi`.
 */
export interface InvalidVersionHook {
  invalidVersion?(request: EmulatorRequest, call: IdentifiedCall): EmulatedError;
}

type RpcRoute = Extract<EmulatedRoute, { style: 'rpc' }>;
type RestRoute = Extract<EmulatedRoute, { style: 'rest' }>;

interface PathSegment {
  readonly literal?: string;
  readonly param?: string;
}

export interface CompiledRoute {
  readonly emulation: ServiceEmulation;
  readonly route: EmulatedRoute;
  /** For REST routes: the pattern split on `/`. */
  readonly segments?: readonly PathSegment[];
}

export type Resolution =
  | {
      readonly kind: 'route';
      readonly compiled: CompiledRoute;
      readonly call: IdentifiedCall;
      readonly pathParams: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'error'; readonly protocol: EmulationProtocol; readonly error: EmulatedError; readonly action?: string }
  | { readonly kind: 'none' };

export class RouteConflictError extends Error {
  override name = 'RouteConflictError';
}

/** Splits a raw path on `/` (still encoded) and drops one trailing slash (`/a/b/` routes like `/a/b`). */
export function splitRawPath(rawPath: string): string[] {
  const trimmed = rawPath.length > 1 && rawPath.endsWith('/') ? rawPath.slice(0, -1) : rawPath;
  return trimmed.split('/');
}

function compilePattern(pattern: string): PathSegment[] {
  return splitRawPath(pattern).map((part) => {
    const match = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(part);
    return match ? { param: match[1] as string } : { literal: part };
  });
}

function decodeOnce(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * Matches raw (still encoded) segments against a pattern; each parameter is percent-decoded exactly
 * once, so `%2F` stays inside its segment as `/` and `%2540` becomes `%40`, not `@`.
 */
export function matchSegments(segments: readonly PathSegment[], raw: readonly string[]): Record<string, string> | undefined {
  if (segments.length !== raw.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as PathSegment;
    const actual = raw[i] as string;
    if (segment.param !== undefined) {
      if (actual === '') return undefined;
      const decoded = decodeOnce(actual);
      if (decoded === undefined) return undefined;
      params[segment.param] = decoded;
    } else if (actual !== segment.literal && !(actual.includes('%') && decodeOnce(actual) === segment.literal)) {
      return undefined;
    }
  }
  return params;
}

export class Router {
  /** One protocol per name, in the order emulations were given. */
  readonly protocols: EmulationProtocol[] = [];
  /** protocol name → action → routes (one per version). */
  readonly #rpc = new Map<string, Map<string, CompiledRoute[]>>();
  /** protocol name → METHOD → routes. */
  readonly #rest = new Map<string, Map<string, CompiledRoute[]>>();

  constructor(readonly emulations: readonly ServiceEmulation[]) {
    const services = new Map<string, ServiceEmulation>();
    for (const emulation of emulations) {
      if (services.has(emulation.service)) {
        throw new RouteConflictError(`Two emulations play the service "${emulation.service}"; load each plugin once.`);
      }
      services.set(emulation.service, emulation);
      const protocolName = emulation.protocol.name;
      if (!this.protocols.some((p) => p.name === protocolName)) this.protocols.push(emulation.protocol);
      for (const route of emulation.routes) {
        if (route.style === 'rpc') this.#addRpc(protocolName, emulation, route);
        else this.#addRest(protocolName, emulation, route);
      }
    }
  }

  #addRpc(protocolName: string, emulation: ServiceEmulation, route: RpcRoute): void {
    let byAction = this.#rpc.get(protocolName);
    if (!byAction) {
      byAction = new Map();
      this.#rpc.set(protocolName, byAction);
    }
    const existing = byAction.get(route.action) ?? [];
    const clash = existing.find((c) => (c.route as RpcRoute).version === route.version);
    if (clash) {
      throw new RouteConflictError(
        `Services "${clash.emulation.service}" and "${emulation.service}" both define ${route.action} version ${route.version} on protocol ${protocolName}.`,
      );
    }
    existing.push({ emulation, route });
    byAction.set(route.action, existing);
  }

  #addRest(protocolName: string, emulation: ServiceEmulation, route: RestRoute): void {
    let byMethod = this.#rest.get(protocolName);
    if (!byMethod) {
      byMethod = new Map();
      this.#rest.set(protocolName, byMethod);
    }
    const method = route.method.toUpperCase();
    const existing = byMethod.get(method) ?? [];
    const segments = compilePattern(route.path);
    const shape = (s: readonly PathSegment[]) => s.map((p) => (p.param !== undefined ? '{}' : p.literal)).join('/');
    const clash = existing.find((c) => shape(c.segments ?? []) === shape(segments));
    if (clash) {
      throw new RouteConflictError(
        `Services "${clash.emulation.service}" and "${emulation.service}" both define ${method} ${route.path} on protocol ${protocolName}.`,
      );
    }
    existing.push({ emulation, route, segments });
    byMethod.set(method, existing);
  }

  resolve(request: EmulatorRequest): Resolution {
    let firstIdentified: { protocol: EmulationProtocol; call: IdentifiedCall } | undefined;
    let versionMismatch: Resolution | undefined;
    let rawSegments: string[] | undefined;
    for (const protocol of this.protocols) {
      let call: IdentifiedCall | undefined;
      try {
        call = protocol.identify(request);
      } catch (error) {
        // A protocol may refuse a malformed request of its own shape with its own error.
        if (isEmulatedError(error)) return { kind: 'error', protocol, error };
        throw error;
      }
      if (!call) continue;
      firstIdentified ??= { protocol, call };
      const byAction = call.action !== undefined ? this.#rpc.get(protocol.name)?.get(call.action) : undefined;
      const exact = byAction?.find((c) => (c.route as RpcRoute).version === call.version);
      if (exact) return { kind: 'route', compiled: exact, call, pathParams: {} };
      // ROA calls may carry an action header too (Alibaba V3): fall back to the path.
      const candidates = this.#rest.get(protocol.name)?.get(request.method.toUpperCase());
      if (candidates) {
        rawSegments ??= splitRawPath(request.rawPath);
        for (const compiled of candidates) {
          const pathParams = matchSegments(compiled.segments ?? [], rawSegments);
          if (pathParams) return { kind: 'route', compiled, call, pathParams };
        }
      }
      if (byAction && byAction.length > 0 && versionMismatch === undefined) {
        const hook = (protocol as EmulationProtocol & InvalidVersionHook).invalidVersion;
        const error = typeof hook === 'function' ? hook.call(protocol, request, call) : protocol.unknownApi(request);
        versionMismatch = { kind: 'error', protocol, error, ...(call.action !== undefined ? { action: call.action } : {}) };
      }
    }
    if (versionMismatch) return versionMismatch;
    const claimant = this.protocols.find((p) => p.claims(request)) ?? firstIdentified?.protocol;
    if (!claimant) return { kind: 'none' };
    const action = firstIdentified?.call.action;
    return { kind: 'error', protocol: claimant, error: claimant.unknownApi(request), ...(action !== undefined ? { action } : {}) };
  }

  /** Human-readable API list per service, for the admin index. */
  describe(): { service: string; protocol: string; provider: string; apis: string[]; fields: Readonly<Record<string, string>> }[] {
    return this.emulations.map((emulation) => ({
      service: emulation.service,
      protocol: emulation.protocol.name,
      provider: emulation.protocol.provider,
      apis: emulation.routes.map((route) =>
        route.style === 'rpc' ? `${route.action} (version ${route.version})` : `${route.method.toUpperCase()} ${route.path} (${route.action})`,
      ),
      fields: emulation.fields,
    }));
  }
}
