/**
 * The world every reliability test runs in: the real emulator (real HTTP on 127.0.0.1, port 0) playing all
 * five services through the plugins' own emulations, with distinctive fake credentials, plus a *witness*
 * that records from inside the emulator which operations each state-changing call touched. The witness
 * is what lets a test say "this run cancelled exactly these targets, each once" without trusting the
 * client's report.
 */
import type {
  EmulatedCall,
  EmulatedOperation,
  EmulationStore,
  EmulatorCredential,
  ServiceEmulation,
} from '@cancelkit/core/emulation';
import type { BatchItem, CancelKitConfig, TargetResult } from '@cancelkit/core';
import { type RunningEmulator, startEmulator } from '@cancelkit/emulator';
import ecsEmulation from '@cancelkit/plugin-alibaba-ecs/emulation';
import oosEmulation from '@cancelkit/plugin-alibaba-oos/emulation';
import opensearchEmulation from '@cancelkit/plugin-alibaba-opensearch/emulation';
import tairEmulation from '@cancelkit/plugin-alibaba-tair/emulation';
import ddsEmulation from '@cancelkit/plugin-huaweicloud-dds/emulation';
import { prng } from './scale.js';

/** Fake but distinctive credentials: any of these strings in any output is a leak. */
export const SECRETS = Object.freeze({
  alibabaAccessKeyId: 'LTAI5tRELIABILITYfake01',
  alibabaSecret: 'reliability-ALIBABA-secret-7f3c9a1d2e5b',
  huaweiAk: 'HPUARELIABILITYFAKE01',
  huaweiSk: 'reliability-HUAWEI-sk-4e8a2c6d0f19b3',
  huaweiProjectId: 'relproject0000000000000000000001',
  /** An IAM token accepted as X-Auth-Token for the Huawei credential. */
  huaweiIamToken: 'MIIreliability-IAM-token-5c1e9b7a3d2f',
  /** A temporary (STS) Alibaba key: its secret and token must stay hidden too. */
  alibabaStsAccessKeyId: 'STS.reliabilityTemporaryKey01',
  alibabaStsSecret: 'reliability-ALIBABA-sts-secret-2a7d4f9c1e',
  alibabaStsToken: 'reliability-ALIBABA-sts-token-6b0e3d8a5c7f91',
});

/** Only the values that must never be printed (key ids and project ids are not secret). */
export const SECRET_VALUES: readonly string[] = [
  SECRETS.alibabaSecret,
  SECRETS.huaweiSk,
  SECRETS.huaweiIamToken,
  SECRETS.alibabaStsSecret,
  SECRETS.alibabaStsToken,
];

export const EMULATOR_CREDENTIALS: EmulatorCredential[] = [
  { accessKeyId: SECRETS.alibabaAccessKeyId, secret: SECRETS.alibabaSecret },
  { accessKeyId: SECRETS.huaweiAk, secret: SECRETS.huaweiSk, projectId: SECRETS.huaweiProjectId },
  { accessKeyId: SECRETS.alibabaStsAccessKeyId, secret: SECRETS.alibabaStsSecret, securityToken: SECRETS.alibabaStsToken },
];

/** `providers` config for core (and the CLI's and server's config files). */
export const PROVIDERS = Object.freeze({
  alibaba: { accessKeyId: SECRETS.alibabaAccessKeyId, accessKeySecret: SECRETS.alibabaSecret },
  huaweicloud: { ak: SECRETS.huaweiAk, sk: SECRETS.huaweiSk, projectId: SECRETS.huaweiProjectId },
});

export type TargetKind = 'cancellable' | 'finished' | 'not-cancellable' | 'not-found' | 'pre-cancelled';

/** What a correct run reports for a target of each kind. */
export const EXPECTED_OUTCOME: Readonly<Record<TargetKind, TargetResult['outcome']>> = {
  cancellable: 'cancelled',
  finished: 'already-finished',
  'not-cancellable': 'not-cancellable',
  'not-found': 'not-found',
  'pre-cancelled': 'already-finished',
};

interface ServiceProfile {
  readonly service: string;
  readonly plugin: string;
  readonly emulation: ServiceEmulation;
  /** Status an operation shows once cancelled. */
  readonly cancelledStatus: string;
  /** The operation ids a state-changing call addresses (read from the call, as the cloud would). */
  addressed(call: EmulatedCall): string[];
  /** Kinds this service has (OOS and OpenSearch have no "running but refused" state). */
  readonly kinds: ReadonlySet<TargetKind>;
  /** Admin fields to create a target of this kind, or undefined when the kind is not created. */
  fields(kind: TargetKind, id: string, n: number): Record<string, unknown> | undefined;
  /** Params for one target (Tair's are grouped into batch items later). */
  params(id: string, n: number): Record<string, unknown>;
}

const REGION = 'cn-hangzhou';

/** Ids that exercise path encoding: `@`, spaces, `+`, `*`, `'`, `~`, `(`, `!`, `%2F`, `/`, `&`, `=`. */
function hostileFsmId(id: string): string {
  return `tisplus_opensearch@datasource_flow_fsm@${id}@a b+c*d'e~f(g)!h%2Fi/j&k=l@MANUAL`;
}

export const PROFILES: readonly ServiceProfile[] = [
  {
    service: 'alibaba.ecs',
    kinds: new Set<TargetKind>(['cancellable', 'finished', 'not-cancellable', 'not-found', 'pre-cancelled']),
    plugin: 'alibaba.ecs.task',
    emulation: ecsEmulation,
    cancelledStatus: 'Deleted',
    addressed: (call) => (call.params.TaskId ? [call.params.TaskId] : []),
    fields(kind, id) {
      const base = { regionId: REGION, taskId: id };
      switch (kind) {
        case 'cancellable':
          return { ...base, taskAction: 'ImportImage', taskStatus: 'Processing' };
        case 'finished':
          return { ...base, taskAction: 'ExportImage', taskStatus: 'Finished' };
        case 'not-cancellable':
          return { ...base, taskAction: 'RedeployInstance', taskStatus: 'Processing' };
        case 'pre-cancelled':
          return { ...base, taskAction: 'ImportImage', taskStatus: 'Deleted' };
        case 'not-found':
          return undefined;
      }
    },
    params: (id) => ({ regionId: REGION, taskId: id }),
  },
  {
    service: 'alibaba.tair',
    kinds: new Set<TargetKind>(['cancellable', 'finished', 'not-cancellable', 'not-found', 'pre-cancelled']),
    plugin: 'alibaba.tair.ops-event',
    emulation: tairEmulation,
    cancelledStatus: '7',
    addressed: (call) => (call.params.Ids ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    fields(kind, id) {
      const base = { id, region: REGION };
      switch (kind) {
        case 'cancellable':
          return { ...base, status: 3, allowCancel: 1 };
        case 'finished':
          return { ...base, status: 5, allowCancel: 1 };
        case 'not-cancellable':
          return { ...base, status: 3, allowCancel: 0 };
        case 'pre-cancelled':
          return { ...base, status: 7, allowCancel: 1 };
        case 'not-found':
          return undefined;
      }
    },
    params: (id) => ({ ids: [id], regionId: REGION }),
  },
  {
    service: 'alibaba.oos',
    kinds: new Set<TargetKind>(['cancellable', 'finished', 'not-found', 'pre-cancelled']),
    plugin: 'alibaba.oos.execution',
    emulation: oosEmulation,
    cancelledStatus: 'Cancelled',
    addressed: (call) => (call.params.ExecutionId ? [call.params.ExecutionId] : []),
    fields(kind, id) {
      const base = { regionId: REGION, executionId: id };
      switch (kind) {
        case 'cancellable':
          return { ...base, status: 'Running' };
        case 'finished':
          return { ...base, status: 'Failed' };
        case 'pre-cancelled':
          return { ...base, status: 'Cancelled' };
        // OOS has no "running but refused" state: every execution that is not running has ended.
        case 'not-cancellable':
        case 'not-found':
          return undefined;
      }
    },
    params: (id) => ({ regionId: REGION, executionId: id }),
  },
  {
    service: 'alibaba.opensearch',
    kinds: new Set<TargetKind>(['cancellable', 'finished', 'not-found', 'pre-cancelled']),
    plugin: 'alibaba.opensearch.fsm-task',
    emulation: opensearchEmulation,
    cancelledStatus: 'stopped',
    addressed: (call) => (call.pathParams.fsmId ? [call.pathParams.fsmId] : []),
    fields(kind, id, n) {
      const base = { regionId: REGION, instanceId: instanceFor(n), fsmId: hostileFsmId(id) };
      switch (kind) {
        case 'cancellable':
          return { ...base, status: n % 2 === 0 ? 'running' : 'pending' };
        case 'finished':
          return { ...base, status: n % 2 === 0 ? 'success' : 'failed' };
        case 'pre-cancelled':
          return { ...base, status: 'stopped' };
        // Like OOS, an FSM task that is neither pending nor running has ended.
        case 'not-cancellable':
        case 'not-found':
          return undefined;
      }
    },
    params: (id, n) => ({ regionId: REGION, instanceId: instanceFor(n), fsmId: hostileFsmId(id) }),
  },
  {
    service: 'huaweicloud.dds',
    kinds: new Set<TargetKind>(['cancellable', 'finished', 'not-cancellable', 'not-found', 'pre-cancelled']),
    plugin: 'huaweicloud.dds.scheduled-job',
    emulation: ddsEmulation,
    cancelledStatus: 'Canceled',
    addressed: (call) => (call.pathParams.job_id ? [call.pathParams.job_id] : []),
    fields(kind, id) {
      const base = { projectId: SECRETS.huaweiProjectId, jobId: id };
      switch (kind) {
        case 'cancellable':
          return { ...base, status: 'Pending' };
        case 'finished':
          return { ...base, status: 'Completed' };
        case 'not-cancellable':
          return { ...base, status: 'Running' };
        case 'pre-cancelled':
          return { ...base, status: 'Canceled' };
        case 'not-found':
          return undefined;
      }
    },
    params: (id) => ({ region: 'cn-north-4', jobId: id }),
  },
];

/** OpenSearch tasks live on instances; spread them over a few so listings stay realistic. */
function instanceFor(n: number): string {
  return `ha-cn-rel${n % 3}`;
}

export const PROFILE_BY_SERVICE: ReadonlyMap<string, ServiceProfile> = new Map(PROFILES.map((p) => [p.service, p]));
export const PROFILE_BY_PLUGIN: ReadonlyMap<string, ServiceProfile> = new Map(PROFILES.map((p) => [p.plugin, p]));

/**
 * What the emulator itself saw, per operation (`service/id`): how many times a call turned it into its
 * cancelled status, and how many state-changing calls addressed it while it was *already* cancelled.
 */
export class Witness {
  readonly transitions = new Map<string, number>();
  readonly redundantCancels = new Map<string, number>();
  readonly addressed = new Map<string, number>();
  /** Every injected fault, as `fault service status` → count (see `observeAccessLine`). */
  readonly faults = new Map<string, number>();

  static key(service: string, id: string): string {
    return `${service}/${id}`;
  }

  clear(): void {
    this.transitions.clear();
    this.redundantCancels.clear();
    this.addressed.clear();
    this.faults.clear();
  }

  /**
   * Counts the fault an emulator access-log line reports, with the service and the status it answered
   * (`RESET` for a reset connection). Unlike the emulator's request log, a ring of the last 10,000
   * requests, this misses nothing in a long run. A line is `time method path action service status
   * verdict duration [fault=…] [error=…]`; the path is URL-encoded, so it has no spaces.
   */
  observeAccessLine(line: string): void {
    const parts = line.split(' ');
    const fault = parts[8]?.startsWith('fault=') ? parts[8].slice('fault='.length) : undefined;
    if (fault === undefined) return;
    const key = `${fault} ${parts[4] ?? '-'} ${parts[5] ?? '-'}`;
    this.faults.set(key, (this.faults.get(key) ?? 0) + 1);
  }

  /** Keys cancelled (by anyone) since the last clear. */
  cancelledKeys(): Set<string> {
    return new Set(this.transitions.keys());
  }

  /**
   * A window in which the cloud is slower than the client's timeout: each call waits `latencyMs` and is
   * then applied anyway (the client has given up — the "timed out, but did it happen?" case). When the
   * window closes, calls that arrive later wait until every slow call has been applied.
   *
   * Why not the emulator's own `latencyMs` fault: with it, a reconciling inspect sent just after the
   * window closes can be answered before a slow cancel from inside the window is applied. The engine
   * handles that race (it re-checks later refusals after an ambiguous attempt; core's engine.test.ts
   * covers it deterministically), but here it would make the number of read calls, and so the run's
   * timing, depend on scheduling; the drain keeps the matrices reproducible from their seed.
   */
  slowWindow(latencyMs: number): { close(): void } {
    this.#slowMs = latencyMs;
    return {
      close: () => {
        this.#slowMs = 0;
      },
    };
  }

  #slowMs = 0;
  #slowInFlight = 0;
  #drainWaiters: (() => void)[] = [];

  async #paced<T>(run: () => T | Promise<T>): Promise<T> {
    if (this.#slowMs > 0) {
      const latency = this.#slowMs;
      this.#slowInFlight++;
      try {
        await new Promise((resolve) => setTimeout(resolve, latency));
        return await run();
      } finally {
        this.#slowInFlight--;
        if (this.#slowInFlight === 0) for (const wake of this.#drainWaiters.splice(0)) wake();
      }
    }
    if (this.#slowInFlight > 0) await new Promise<void>((resolve) => this.#drainWaiters.push(resolve));
    return run();
  }

  /** Wraps an emulation so every state-changing handler reports to this witness, and every call is paced. */
  wrap(emulation: ServiceEmulation): ServiceEmulation {
    const profile = PROFILE_BY_SERVICE.get(emulation.service);
    if (!profile) throw new Error(`no reliability profile for ${emulation.service}`);
    const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
    const routes = emulation.routes.map((route) => {
      const witnessed = (call: EmulatedCall) => {
        if (route.readOnly) return route.handler(call);
        for (const id of profile.addressed(call)) {
          const key = Witness.key(emulation.service, id);
          bump(this.addressed, key);
          if (call.store.get(emulation.service, id)?.status === profile.cancelledStatus) bump(this.redundantCancels, key);
        }
        const store: EmulationStore = {
          list: (service) => call.store.list(service),
          get: (service, id) => call.store.get(service, id),
          put: (operation: EmulatedOperation) => {
            const before = call.store.get(operation.service, operation.id);
            call.store.put(operation);
            if (operation.status === profile.cancelledStatus && before?.status !== profile.cancelledStatus) {
              bump(this.transitions, Witness.key(operation.service, operation.id));
            }
          },
        };
        return route.handler({ ...call, store });
      };
      return { ...route, handler: (call: EmulatedCall) => this.#paced(() => witnessed(call)) };
    });
    return Object.freeze({ ...emulation, routes });
  }
}

export interface World {
  readonly emulator: RunningEmulator;
  readonly witness: Witness;
  readonly url: string;
  stop(): Promise<void>;
}

export async function startWorld(options: { log?: (line: string) => void } = {}): Promise<World> {
  const witness = new Witness();
  const emulator = await startEmulator({
    port: 0,
    credentials: EMULATOR_CREDENTIALS,
    tokens: { [SECRETS.huaweiIamToken]: EMULATOR_CREDENTIALS[1] as EmulatorCredential },
    emulations: PROFILES.map((p) => witness.wrap(p.emulation)),
    log: (line) => {
      witness.observeAccessLine(line);
      options.log?.(line);
    },
  });
  return { emulator, witness, url: emulator.url, stop: () => emulator.stop() };
}

export interface Target {
  readonly plugin: string;
  readonly service: string;
  readonly target: string;
  readonly kind: TargetKind;
}

export interface Population {
  readonly targets: readonly Target[];
  /** Batch items: one per target, except Tair, whose targets are grouped up to three per item. */
  readonly items: readonly BatchItem[];
  byKey(plugin: string, target: string): Target | undefined;
}

/**
 * Creates `count` targets across the five services (round robin) in the emulator. About 80 % can be
 * cancelled; the rest are finished, refused, unknown or already cancelled, so a run must tell them apart.
 */
export function populate(world: World, count: number, seed: number, prefix = 'r'): Population {
  const random = prng(seed);
  const targets: Target[] = [];
  const tairGroup: { id: string; n: number }[] = [];
  const items: BatchItem[] = [];
  const flushTair = () => {
    if (tairGroup.length === 0) return;
    items.push({ plugin: 'alibaba.tair.ops-event', params: { ids: tairGroup.map((t) => t.id), regionId: REGION } });
    tairGroup.length = 0;
  };
  for (let n = 0; n < count; n++) {
    const profile = PROFILES[n % PROFILES.length] as ServiceProfile;
    const roll = random();
    const rolled: TargetKind =
      roll < 0.8 ? 'cancellable' : roll < 0.85 ? 'finished' : roll < 0.9 ? 'not-cancellable' : roll < 0.95 ? 'not-found' : 'pre-cancelled';
    const kind: TargetKind = profile.kinds.has(rolled) ? rolled : 'finished';
    const id = idFor(profile.service, prefix, seed, n);
    const fields = profile.fields(kind, id, n);
    if (fields) world.emulator.createOperation(profile.service, fields);
    const params = profile.params(id, n);
    const target = profile.service === 'alibaba.opensearch' ? String(params.fsmId) : id;
    targets.push({ plugin: profile.plugin, service: profile.service, target, kind });
    if (profile.service === 'alibaba.tair') {
      tairGroup.push({ id, n });
      if (tairGroup.length >= 1 + Math.floor(random() * 3)) flushTair();
    } else items.push({ plugin: profile.plugin, params });
  }
  flushTair();
  const index = new Map(targets.map((t) => [`${t.plugin} ${t.target}`, t]));
  return { targets, items, byKey: (plugin, target) => index.get(`${plugin} ${target}`) };
}

function idFor(service: string, prefix: string, seed: number, n: number): string {
  const tag = `${prefix}${(seed % 100000).toString(36)}`;
  switch (service) {
    case 'alibaba.ecs':
      return `t-${tag}x${n}`;
    case 'alibaba.tair':
      // Tair event ids are numbers; keep them unique per population through the prefix's hash.
      return String(1_000_000_000 + (hashString(tag) % 1_000_000) * 10_000 + n);
    case 'alibaba.oos':
      return `exec-${tag}x${n}`;
    case 'alibaba.opensearch':
      return `${tag}x${n}`;
    default:
      return `${tag}-0000-4000-8000-${String(n).padStart(12, '0')}`;
  }
}

function hashString(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/** Core config pointing every service at the world's emulator with the fake credentials. */
export function kitConfig(world: World, overrides: CancelKitConfig = {}): CancelKitConfig {
  return {
    endpoints: { '*': world.url },
    providers: structuredClone(PROVIDERS) as unknown as Record<string, Record<string, unknown>>,
    env: {},
    homeDir: '/nonexistent-reliability-home',
    ...overrides,
  };
}

/** At most this many honest failures (retries exhausted) are tolerated in a run of `count` targets. */
export function honestFailureBudget(count: number): number {
  return Math.max(2, Math.ceil(count * 0.01));
}

/** The minimal record shape every level (library, CLI, server) reports. */
export interface ReportedRecord {
  readonly plugin: string;
  readonly target: string;
  readonly outcome: string;
  readonly reason?: string | null;
  readonly error?: unknown;
}

/**
 * The promises of the fault matrix, checked against the emulator's state and the witness. Returns every
 * violation (empty when every promise held) so a failure shows them all at once, and apart from them the
 * targets that failed honestly (a retryable error after the last retry, nothing changed).
 */
export function checkRun(
  world: World,
  population: Population,
  records: readonly ReportedRecord[],
): { problems: string[]; honestFailures: string[] } {
  const problems: string[] = [];
  const honestFailures: string[] = [];
  if (records.length !== population.targets.length) {
    problems.push(`expected exactly ${population.targets.length} final records, got ${records.length}`);
  }
  const seen = new Map<string, number>();
  for (const r of records) seen.set(`${r.plugin} ${r.target}`, (seen.get(`${r.plugin} ${r.target}`) ?? 0) + 1);
  for (const [key, n] of seen) if (n > 1) problems.push(`duplicate record: ${key} reported ${n} times`);
  for (const t of population.targets) if (!seen.has(`${t.plugin} ${t.target}`)) problems.push(`missing record: ${t.plugin} ${t.target}`);

  const states = new Map<string, string>();
  for (const op of world.emulator.listOperations()) states.set(Witness.key(op.service, op.id), op.status);
  const reported = new Map(records.map((r) => [`${r.plugin} ${r.target}`, r]));
  for (const t of population.targets) {
    const profile = PROFILE_BY_PLUGIN.get(t.plugin) as ServiceProfile;
    const key = Witness.key(t.service, t.target);
    const record = reported.get(`${t.plugin} ${t.target}`);
    if (!record) continue;
    const cancelledByRun = (world.witness.transitions.get(key) ?? 0) > 0;
    const isCancelled = states.get(key) === profile.cancelledStatus;
    if (cancelledByRun && record.outcome !== 'cancelled') {
      problems.push(`${t.plugin} ${t.target}: the emulator shows it cancelled by this run, reported ${record.outcome} ${short(record)}`);
    }
    if (record.outcome === 'cancelled' && !isCancelled) {
      problems.push(`${t.plugin} ${t.target}: reported cancelled, but the emulator shows ${states.get(key) ?? 'no such operation'}`);
    }
    if ((world.witness.transitions.get(key) ?? 0) > 1) problems.push(`${key}: cancelled ${world.witness.transitions.get(key)} times`);
    const expected = EXPECTED_OUTCOME[t.kind];
    if (record.outcome === expected) continue;
    // Running out of retries under sustained throttling or 5xx is an honest answer, as long as the
    // record says so with a retryable error and the target was not changed (checked above).
    const code = (record.error as { code?: string } | undefined)?.code;
    if (record.outcome === 'failed' && (code === 'Throttled' || code === 'Transient') && !cancelledByRun) {
      honestFailures.push(`${t.plugin} ${t.target}: ${short(record)}`);
      continue;
    }
    problems.push(`${t.plugin} ${t.target} (${t.kind}): expected ${expected}, reported ${record.outcome} ${short(record)}`);
  }
  return { problems, honestFailures };
}

function short(record: ReportedRecord): string {
  const error = record.error as { code?: string; message?: string } | undefined;
  return error ? `[${error.code}: ${error.message}]` : record.reason ? `[${record.reason}]` : '';
}

/** How often the emulator injected each fault since the witness was last cleared (every call, read or write). */
export function faultCounts(world: World): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [key, n] of world.witness.faults) {
    const fault = key.split(' ')[0] as string;
    counts[fault] = (counts[fault] ?? 0) + n;
  }
  return counts;
}

/**
 * Checks that the emulator's `maxQps` limit really throttled this run: at least one call was refused by
 * it, and every call it refused got that service's own throttling answer (Alibaba's 400
 * `Throttling.User`, Huawei's 429 `APIGW.0308`, per the plugins' emulations), never a 5xx or a reset.
 * Returns what is wrong (empty when the limit did its job), so a matrix cannot silently stop exercising it.
 */
export function maxQpsProblems(world: World): string[] {
  const problems: string[] = [];
  let throttled = 0;
  for (const [key, n] of world.witness.faults) {
    const [fault, service, status] = key.split(' ') as [string, string, string];
    if (fault !== 'maxQps') continue;
    throttled += n;
    const expected = PROFILE_BY_SERVICE.get(service)?.emulation.protocol.throttled().status;
    if (expected === undefined || status !== String(expected)) {
      problems.push(`${n} ${service} call(s) refused by maxQps were answered ${status}, not the cloud's throttling status ${expected ?? '(unknown service)'}`);
    }
  }
  if (throttled === 0) problems.push('the maxQps limit never throttled a call: the run did not exercise it');
  return problems;
}
