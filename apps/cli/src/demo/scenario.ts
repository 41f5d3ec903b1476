/**
 * The demo's script: which operations to seed in the emulator and what cancelling each should give.
 *
 * This is the one place in the CLI that knows service specifics, and it is demo data only: admin
 * fields of the emulator's services, the params that address a seeded operation, and the demo key in
 * each provider's config shape. (Plugins could carry this themselves — see the README's note on demo
 * seeds — and then the list below would shrink to nothing.)
 */
import type { Outcome } from '@cancelkit/core/plugin';

/** An operation as the emulator returns it after seeding. */
export interface SeededOperation {
  readonly id: string;
  readonly [field: string]: unknown;
}

export interface DemoStep {
  /** Human description for the demo's table. */
  readonly what: string;
  readonly plugin: string;
  readonly service: string;
  /** Admin fields to seed; `undefined` means "do not seed" (the not-found case). */
  readonly seed?: Readonly<Record<string, unknown>>;
  /** Params addressing the operation (given the seeded one, or nothing for not-found). */
  params(op: SeededOperation | undefined): Record<string, unknown>;
  readonly expected: Outcome;
}

export interface DemoCredentials {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly projectId: string;
}

/** Provider settings for `config.providers`, in each provider package's documented shape. */
export function demoProviders(credentials: DemoCredentials): Record<string, Record<string, unknown>> {
  return {
    alibaba: { accessKeyId: credentials.accessKeyId, accessKeySecret: credentials.accessKeySecret },
    huaweicloud: { ak: credentials.accessKeyId, sk: credentials.accessKeySecret, projectId: credentials.projectId },
  };
}

/** The same, as the providers' standard environment variables (printed by `cancelkit emulator`). */
export function demoEnvironment(credentials: DemoCredentials): Record<string, string> {
  return {
    ALIBABA_CLOUD_ACCESS_KEY_ID: credentials.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: credentials.accessKeySecret,
    HUAWEICLOUD_SDK_AK: credentials.accessKeyId,
    HUAWEICLOUD_SDK_SK: credentials.accessKeySecret,
    HUAWEICLOUD_SDK_PROJECT_ID: credentials.projectId,
  };
}

const str = (value: unknown): string => String(value);

export const DEMO_STEPS: readonly DemoStep[] = [
  {
    what: 'ECS image import, still processing',
    plugin: 'alibaba.ecs.task',
    service: 'alibaba.ecs',
    seed: { regionId: 'cn-hangzhou', taskAction: 'ImportImage', taskStatus: 'Processing' },
    params: (op) => ({ regionId: str(op?.regionId), taskId: str(op?.id) }),
    expected: 'cancelled',
  },
  {
    what: 'ECS image export that already finished',
    plugin: 'alibaba.ecs.task',
    service: 'alibaba.ecs',
    seed: { regionId: 'cn-hangzhou', taskAction: 'ExportImage', taskStatus: 'Finished' },
    params: (op) => ({ regionId: str(op?.regionId), taskId: str(op?.id) }),
    expected: 'already-finished',
  },
  {
    what: 'Tair O&M event, waiting and cancellable',
    plugin: 'alibaba.tair.ops-event',
    service: 'alibaba.tair',
    seed: { allowCancel: 1, status: 3 },
    params: (op) => ({ ids: [str(op?.id)] }),
    expected: 'cancelled',
  },
  {
    what: 'Tair O&M event the cloud does not allow to cancel',
    plugin: 'alibaba.tair.ops-event',
    service: 'alibaba.tair',
    seed: { allowCancel: 0, status: 3 },
    params: (op) => ({ ids: [str(op?.id)] }),
    expected: 'not-cancellable',
  },
  {
    what: 'OOS execution, running',
    plugin: 'alibaba.oos.execution',
    service: 'alibaba.oos',
    seed: { regionId: 'cn-hangzhou', status: 'Running' },
    params: (op) => ({ regionId: str(op?.regionId), executionId: str(op?.id) }),
    expected: 'cancelled',
  },
  {
    what: 'OOS execution that already succeeded',
    plugin: 'alibaba.oos.execution',
    service: 'alibaba.oos',
    seed: { regionId: 'cn-hangzhou', status: 'Success' },
    params: (op) => ({ regionId: str(op?.regionId), executionId: str(op?.id) }),
    expected: 'already-finished',
  },
  {
    what: 'OpenSearch FSM task (an id with @ in it), running',
    plugin: 'alibaba.opensearch.fsm-task',
    service: 'alibaba.opensearch',
    seed: { regionId: 'cn-hangzhou', status: 'running' },
    params: (op) => ({ regionId: str(op?.regionId), instanceId: str(op?.instanceId), fsmId: str(op?.id) }),
    expected: 'cancelled',
  },
  {
    what: 'DDS scheduled job, pending',
    plugin: 'huaweicloud.dds.scheduled-job',
    service: 'huaweicloud.dds',
    seed: { status: 'Pending' },
    params: (op) => ({ region: 'cn-north-4', jobId: str(op?.id) }),
    expected: 'cancelled',
  },
  {
    what: 'DDS scheduled job that does not exist',
    plugin: 'huaweicloud.dds.scheduled-job',
    service: 'huaweicloud.dds',
    params: () => ({ region: 'cn-north-4', jobId: '00000000-dead-beef-0000-000000000000' }),
    expected: 'not-found',
  },
];
