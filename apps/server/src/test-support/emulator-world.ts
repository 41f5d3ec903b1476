/**
 * The real emulator for the server's tests: the five first-party plugins with their own emulations, on
 * 127.0.0.1 port 0, every request signed by the provider packages and verified by the emulator. Gives the
 * core config that points an in-process server at it, and the config file fields for a spawned one.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { CancelKitConfig, CancellablePlugin, EmulatedOperation, ServiceEmulation } from '@cancelkit/core';
import { DEMO_CREDENTIALS, type RunningEmulator, startEmulator } from '@cancelkit/emulator';
import ecsPlugin from '@cancelkit/plugin-alibaba-ecs';
import ecsEmulation from '@cancelkit/plugin-alibaba-ecs/emulation';
import oosPlugin from '@cancelkit/plugin-alibaba-oos';
import oosEmulation from '@cancelkit/plugin-alibaba-oos/emulation';
import opensearchPlugin from '@cancelkit/plugin-alibaba-opensearch';
import opensearchEmulation from '@cancelkit/plugin-alibaba-opensearch/emulation';
import tairPlugin from '@cancelkit/plugin-alibaba-tair';
import tairEmulation from '@cancelkit/plugin-alibaba-tair/emulation';
import ddsPlugin from '@cancelkit/plugin-huaweicloud-dds';
import ddsEmulation from '@cancelkit/plugin-huaweicloud-dds/emulation';

export interface PluginCase {
  readonly pkg: string;
  readonly id: string;
  readonly service: string;
  /** The emulator's name (in its request log) for the cancel call. */
  readonly cancelAction: string;
  readonly plugin: CancellablePlugin<unknown>;
  readonly emulation: ServiceEmulation;
  readonly params: (op: EmulatedOperation) => Record<string, unknown>;
}

const str = (value: unknown, fallback: string): string => (typeof value === 'string' ? value : fallback);

export const CASES: readonly PluginCase[] = [
  {
    pkg: '@cancelkit/plugin-alibaba-ecs',
    id: 'alibaba.ecs.task',
    service: 'alibaba.ecs',
    cancelAction: 'CancelTask',
    plugin: ecsPlugin as CancellablePlugin<unknown>,
    emulation: ecsEmulation,
    params: (op) => ({ regionId: str(op['regionId'], 'cn-hangzhou'), taskId: op.id }),
  },
  {
    pkg: '@cancelkit/plugin-alibaba-tair',
    id: 'alibaba.tair.ops-event',
    service: 'alibaba.tair',
    cancelAction: 'CancelActiveOperationTasks',
    plugin: tairPlugin as CancellablePlugin<unknown>,
    emulation: tairEmulation,
    params: (op) => ({ ids: [op.id] }),
  },
  {
    pkg: '@cancelkit/plugin-alibaba-oos',
    id: 'alibaba.oos.execution',
    service: 'alibaba.oos',
    cancelAction: 'CancelExecution',
    plugin: oosPlugin as CancellablePlugin<unknown>,
    emulation: oosEmulation,
    params: (op) => ({ regionId: str(op['regionId'], 'cn-hangzhou'), executionId: op.id }),
  },
  {
    pkg: '@cancelkit/plugin-alibaba-opensearch',
    id: 'alibaba.opensearch.fsm-task',
    service: 'alibaba.opensearch',
    cancelAction: 'StopTask',
    plugin: opensearchPlugin as CancellablePlugin<unknown>,
    emulation: opensearchEmulation,
    params: (op) => ({ regionId: str(op['regionId'], 'cn-hangzhou'), instanceId: str(op['instanceId'], 'ha-cn-demo'), fsmId: op.id }),
  },
  {
    pkg: '@cancelkit/plugin-huaweicloud-dds',
    id: 'huaweicloud.dds.scheduled-job',
    service: 'huaweicloud.dds',
    cancelAction: 'CancelScheduledTask',
    plugin: ddsPlugin as CancellablePlugin<unknown>,
    emulation: ddsEmulation,
    params: (op) => ({ region: 'cn-north-4', jobId: op.id }),
  },
];

export const ECS = CASES[0] as PluginCase;

/** Provider settings with the emulator's demo key (the emulator accepts nothing else). */
export const DEMO_PROVIDERS = {
  alibaba: { accessKeyId: DEMO_CREDENTIALS.accessKeyId, accessKeySecret: DEMO_CREDENTIALS.accessKeySecret },
  huaweicloud: { ak: DEMO_CREDENTIALS.accessKeyId, sk: DEMO_CREDENTIALS.accessKeySecret, projectId: DEMO_CREDENTIALS.projectId },
};

export interface EmulatorWorld {
  readonly emulator: RunningEmulator;
  readonly plugins: readonly CancellablePlugin<unknown>[];
  /** Core config for `buildServer`: every endpoint is the emulator, keys are the demo key, no environment. */
  readonly cancelkit: CancelKitConfig;
  /** Config-file fields for a spawned `cancelkit-server` (cloud backend) against this emulator. */
  readonly serverConfigFields: Record<string, unknown>;
  /** A fresh ECS task the emulator holds as cancellable; its params for `alibaba.ecs.task`. */
  ecsTask(): { id: string; params: Record<string, unknown> };
  /** Cancel calls the emulator received for `plugin` (from its request log). */
  cancelCalls(c?: PluginCase): number;
  stop(): Promise<void>;
}

/** Package directory of a plugin, so a spawned server loads it by path whatever its working directory. */
function packageDir(pkg: string): string {
  return path.dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
}

export async function startEmulatorWorld(): Promise<EmulatorWorld> {
  const emulator = await startEmulator({ port: 0, host: '127.0.0.1', emulations: CASES.map((c) => c.emulation) });
  // The manifests' per-service QPS would space the calls out; these tests are not about pacing.
  const rateLimits = { '*': 1000 };
  return {
    emulator,
    plugins: CASES.map((c) => c.plugin),
    cancelkit: { endpoints: { '*': emulator.url }, rateLimits, providers: DEMO_PROVIDERS, env: {} },
    serverConfigFields: {
      backend: 'cloud',
      plugins: CASES.map((c) => packageDir(c.pkg)),
      endpoints: { '*': emulator.url },
      providers: DEMO_PROVIDERS,
      rateLimits,
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
    },
    ecsTask() {
      const op = emulator.createOperation(ECS.service, {});
      return { id: op.id, params: ECS.params(op) };
    },
    cancelCalls: (c = ECS) => emulator.requests().filter((r) => r.action === c.cancelAction).length,
    stop: () => emulator.stop(),
  };
}
