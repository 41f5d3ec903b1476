/**
 * The emulation contract: how a plugin teaches `@cancelkit/emulator` to play its cloud service.
 *
 * - A provider package exports an `EmulationProtocol` (how its cloud reads a request, checks its
 *   signature and shapes an error) from its `./emulation` subpath.
 * - A plugin package exports a `ServiceEmulation` (its operations, routes and rules) as the default
 *   export of its `./emulation` subpath.
 * - The emulator composes them: routing, the admin API, faults, the request log and state live there,
 *   and nothing about any service.
 *
 * Types plus one small error class and a few tiny helpers: importing this costs nothing.
 */
import type { Outcome } from './contract.js';

/** A request as the emulator received it. */
export interface EmulatorRequest {
  readonly method: string;
  /** The path exactly as received (still percent-encoded), without the query string. */
  readonly rawPath: string;
  /** The raw query string without `?` (still encoded). */
  readonly rawQuery: string;
  readonly query: URLSearchParams;
  /** Lower-cased header names; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** What a protocol read off a request: which API it addresses and its parameters. */
export interface IdentifiedCall {
  /** RPC-style action (`CancelTask`), or undefined for path-routed (ROA / REST) calls. */
  readonly action?: string;
  readonly version?: string;
  /** RPC: query and form parameters merged; REST: query parameters. */
  readonly params: Readonly<Record<string, string>>;
}

/** A successful (or handler-shaped) response. `body` is JSON-serialised unless it is a Buffer or undefined. */
export interface EmulatorResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** Thrown (or returned) by handlers and protocols; the protocol shapes it into the cloud's error body. */
export class EmulatedError extends Error {
  readonly $$type = 'cancelkit.emulated-error';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'EmulatedError';
  }
}

export function isEmulatedError(value: unknown): value is EmulatedError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { $$type?: unknown }).$$type === 'cancelkit.emulated-error' &&
    typeof (value as { status?: unknown }).status === 'number'
  );
}

/** A credential the emulator accepts. */
export interface EmulatorCredential {
  readonly accessKeyId: string;
  readonly secret: string;
  /** STS / temporary credential token, when the key is temporary. */
  readonly securityToken?: string;
  /** Huawei project id bound to the key. */
  readonly projectId?: string;
}

export interface AuthContext {
  /** Emulator clock, ms since epoch. */
  readonly now: number;
  lookupKey(accessKeyId: string): EmulatorCredential | undefined;
  /** Records a signature nonce; returns false if it was already used (a replay). */
  useNonce(nonce: string): boolean;
  /** Valid IAM tokens (Huawei X-Auth-Token) → the credential they stand for. */
  lookupToken(token: string): EmulatorCredential | undefined;
}

export type AuthVerdict =
  | { readonly ok: true; readonly accessKeyId: string; readonly scheme: string }
  | { readonly ok: false; readonly scheme: string; readonly error: EmulatedError };

/**
 * How a client of one provider is configured to use an emulator key: the `config.providers` entry the
 * provider package's credential source reads, and the same key as the provider's standard environment
 * variables (what its official SDKs and CLI read). Hosts print or pass these; they never spell them out.
 */
export interface EmulatorClientSettings {
  /** `config.providers` entries, keyed by provider (`alibaba`, `huaweicloud`, …). */
  providers: Record<string, Record<string, unknown>>;
  /** Environment variable name → value. */
  env: Record<string, string>;
}

/** Provider-level knowledge: reading, authenticating and answering requests the way one cloud does. */
export interface EmulationProtocol {
  /** `alibaba-rpc`, `alibaba-roa`, `huaweicloud-apig`, … */
  readonly name: string;
  readonly provider: string;
  /** Read action/version/params, or undefined if this request is not of this protocol's shape. */
  identify(request: EmulatorRequest): IdentifiedCall | undefined;
  /** Whether an unroutable request looks like this cloud's (used to pick who answers "unknown API"). */
  claims(request: EmulatorRequest): boolean;
  /** Verify the signature (or token) exactly as the cloud does. */
  authenticate(request: EmulatorRequest, context: AuthContext): AuthVerdict;
  /** The cloud's error body and headers for an error. */
  errorResponse(error: EmulatedError, requestId: string): EmulatorResponse;
  /** The cloud's "no such API" error. */
  unknownApi(request: EmulatorRequest): EmulatedError;
  /** The cloud's error for a known action called with a version it does not serve (defaults to unknownApi). */
  invalidVersion?(request: EmulatorRequest, call: IdentifiedCall): EmulatedError;
  /** The cloud's throttling error (used by the `throttle` and `maxQps` faults). */
  throttled(): EmulatedError;
  /** The cloud's 5xx error (used by the `serverError` fault). */
  serverError(): EmulatedError;
  /**
   * The cloud's answer to a call the caller's policy does not allow (used by the `deny` fault). Optional
   * for third-party protocols: the emulator then answers a plain 403 `Forbidden`.
   */
  forbidden?(action: string): EmulatedError;
  /** A fresh request id in the cloud's format. */
  newRequestId(): string;
  /** Headers every response carries (e.g. `x-acs-request-id`). */
  responseHeaders(requestId: string): Readonly<Record<string, string>>;
  /**
   * How a client of this provider is configured to use `credential` against the emulator (config and
   * environment). Optional for third-party protocols; hosts that find none cannot configure that provider.
   */
  clientSettings?(credential: EmulatorCredential): EmulatorClientSettings;
}

/** An operation held in emulator state. Plain JSON so it can be listed and persisted. */
export interface EmulatedOperation {
  readonly service: string;
  /** The operation's primary id (task id, event id, execution id, fsm id, job id). */
  readonly id: string;
  status: string;
  [field: string]: unknown;
}

/** The emulator's state, as a service emulation sees it. */
export interface EmulationStore {
  list(service: string): EmulatedOperation[];
  get(service: string, id: string): EmulatedOperation | undefined;
  /** Insert or replace. */
  put(operation: EmulatedOperation): void;
}

/** What a handler receives. */
export interface EmulatedCall {
  readonly request: EmulatorRequest;
  /** RPC params, or REST query params. */
  readonly params: Readonly<Record<string, string>>;
  /** Path parameters, percent-decoded exactly once. */
  readonly pathParams: Readonly<Record<string, string>>;
  readonly requestId: string;
  readonly now: number;
  readonly accessKeyId: string;
  readonly store: EmulationStore;
  /** Settings from `startEmulator({ settings })`, e.g. DDS error codes. */
  readonly settings: Readonly<Record<string, unknown>>;
}

export type EmulatedHandler = (call: EmulatedCall) => EmulatorResponse | Promise<EmulatorResponse>;

export type EmulatedRoute =
  | {
      readonly style: 'rpc';
      readonly action: string;
      readonly version: string;
      /** Read-only calls never change state (faults like `reset` treat them alike, but logs say so). */
      readonly readOnly?: boolean;
      readonly handler: EmulatedHandler;
    }
  | {
      readonly style: 'rest';
      readonly method: string;
      /** Path pattern with `{name}` segments, e.g. `/openapi/ha3/instances/{instanceId}/stop-task/{fsmId}`. */
      readonly path: string;
      /** Name used in logs (the API's action name, e.g. `StopTask`). */
      readonly action: string;
      readonly readOnly?: boolean;
      readonly handler: EmulatedHandler;
    };

export interface CreateOperationContext {
  readonly now: number;
  /** A fresh random id with the given prefix. */
  newId(prefix: string): string;
  readonly store: EmulationStore;
}

/**
 * One step of `cancelkit demo`, carried by the emulation that can play it: seed an operation, cancel it
 * through the plugin, expect one outcome. Demo data only; hosts run every scenario they discover.
 */
export interface DemoScenario {
  /** Human description for the demo's table, e.g. `ECS image import, still processing`. */
  readonly title: string;
  /** The plugin id that cancels it (a plugin of this emulation's service). */
  readonly plugin: string;
  /** Admin fields to seed (as in `POST /_emulator/operations`); absent = nothing is seeded (the not-found case). */
  readonly seed?: Readonly<Record<string, unknown>>;
  /** The plugin's params addressing the seeded operation (`undefined` when nothing was seeded). */
  params(op: EmulatedOperation | undefined): Record<string, unknown>;
  /** The outcome cancelling it must give. */
  readonly expected: Outcome;
}

export interface ServiceEmulation {
  readonly $$type: 'cancelkit.emulation';
  /** Matches the admin API's `service` field: `alibaba.ecs`, `huaweicloud.dds`, … */
  readonly service: string;
  readonly protocol: EmulationProtocol;
  readonly routes: readonly EmulatedRoute[];
  /**
   * Build an operation from admin fields (all optional, sensible defaults); throw `EmulatedError(400, …)`
   * naming the field for bad input.
   */
  createOperation(fields: Readonly<Record<string, unknown>>, context: CreateOperationContext): EmulatedOperation;
  /** One line per field for the admin API's help. */
  readonly fields: Readonly<Record<string, string>>;
  /** Scenarios `cancelkit demo` runs for this service (optional; 1–3 covering distinct outcomes is plenty). */
  readonly demo?: readonly DemoScenario[];
}

export function defineEmulation(definition: Omit<ServiceEmulation, '$$type'>): ServiceEmulation {
  return Object.freeze({ ...definition, $$type: 'cancelkit.emulation' as const });
}

export function isServiceEmulation(value: unknown): value is ServiceEmulation {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { $$type?: unknown }).$$type === 'cancelkit.emulation' &&
    typeof (value as { service?: unknown }).service === 'string'
  );
}

/**
 * The client settings of every distinct protocol the emulations use, merged: how a host configures
 * clients of all these providers to use `credential` against the emulator. Protocols without
 * `clientSettings` contribute nothing. Protocols of one provider (Alibaba RPC and ROA) describe the same
 * client, so the first value given for a config key or variable is kept.
 */
export function emulatorClientSettings(emulations: readonly ServiceEmulation[], credential: EmulatorCredential): EmulatorClientSettings {
  const settings: EmulatorClientSettings = { providers: {}, env: {} };
  const seen = new Set<EmulationProtocol>();
  for (const { protocol } of emulations) {
    if (seen.has(protocol)) continue;
    seen.add(protocol);
    const own = protocol.clientSettings?.(credential);
    if (!own) continue;
    for (const [provider, entry] of Object.entries(own.providers)) settings.providers[provider] = { ...entry, ...settings.providers[provider] };
    for (const [name, value] of Object.entries(own.env)) if (!Object.hasOwn(settings.env, name)) settings.env[name] = value;
  }
  return settings;
}
