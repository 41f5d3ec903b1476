/**
 * What OpenSearch Vector Search / Retrieval Engine Edition ("ha3", product `searchengine`) says on the wire
 * for StopTask and ListClusterTasks, for the plugin and the emulation.
 *
 * Only `instance.NotFound` is documented ("Response structure" page); the FSM status vocabulary and the
 * other error codes are not. The emulation's `task.NotFound` and `task.InvalidStatus` follow the documented
 * style and are marked as modelled; the plugin reads statuses case-insensitively and leaves any word it does
 * not know to StopTask, so being wrong about them is harmless.
 */
import type { ErrorCode } from '@cancelkit/core/plugin';

export const HA3_API_VERSION = '2021-10-25';

/** Path segments of the two calls; `callRoa` encodes each segment exactly once. */
export function stopTaskPath(instanceId: string, fsmId: string): string[] {
  return ['openapi', 'ha3', 'instances', instanceId, 'stop-task', fsmId];
}
export function clusterTasksPath(instanceId: string): string[] {
  return ['openapi', 'ha3', 'instances', instanceId, 'cluster-tasks'];
}

/** Words that mean the FSM task was stopped. */
export const STOPPED_WORDS: ReadonlySet<string> = new Set(['stopped', 'stop', 'cancelled', 'canceled', 'killed', 'terminated']);
/** Words that mean the FSM task ended on its own. */
export const ENDED_WORDS: ReadonlySet<string> = new Set(['success', 'succeeded', 'finished', 'done', 'completed', 'failed', 'fail', 'error']);
/** Words that mean the FSM task still runs or waits. */
export const ACTIVE_WORDS: ReadonlySet<string> = new Set(['running', 'pending', 'waiting', 'init', 'processing', 'executing', 'ready']);

export interface DocumentedError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

export const HA3_ERRORS = {
  /** Documented ("Response structure", Retrieval Engine Edition). */
  instanceNotFound: { status: 404, code: 'instance.NotFound', message: 'Instance not found' },
  /** Modelled on the documented style. */
  taskNotFound: { status: 404, code: 'task.NotFound', message: 'Task not found' },
  /** Modelled on the documented style. */
  taskNotStoppable: { status: 400, code: 'task.InvalidStatus', message: 'The task has already ended and cannot be stopped' },
} as const satisfies Record<string, DocumentedError>;

/** Codes that say the instance does not exist (so none of its tasks does). */
export const INSTANCE_NOT_FOUND_CODES: ReadonlySet<string> = new Set(['instance.NotFound', 'InstanceNotExist']);

/** ha3 codes in the taxonomy; `InstanceNotExist` is the spelling older OpenSearch APIs use. */
export const HA3_ERROR_CODES: Readonly<Record<string, ErrorCode>> = {
  'instance.NotFound': 'NotFound',
  InstanceNotExist: 'NotFound',
  'task.NotFound': 'NotFound',
  'task.InvalidStatus': 'NotCancellable',
  'InvalidAction.NotFound': 'Unknown',
};
