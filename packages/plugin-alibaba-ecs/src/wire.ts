/**
 * What ECS says on the wire for CancelTask and its read calls, in one place: the API version, the task
 * vocabulary and the documented errors (seed 001, help doc 25624). The plugin maps these codes to the
 * taxonomy; the emulation answers with them.
 */
import type { ErrorCode } from '@cancelkit/core/plugin';

export const ECS_API_VERSION = '2014-05-26';

/** CancelTask only cancels tasks created by these two operations. */
export const CANCELLABLE_TASK_ACTIONS: ReadonlySet<string> = new Set(['ImportImage', 'ExportImage']);

/** Task states in which a task still runs ("Processing") or waits to run ("Waiting"/"Pending" in older docs). */
export const RUNNING_TASK_STATUSES: ReadonlySet<string> = new Set(['Processing', 'Waiting', 'Pending']);
/** Task states in which nothing more happens. */
export const FINISHED_TASK_STATUSES: ReadonlySet<string> = new Set(['Finished', 'Failed']);
/**
 * How a cancelled task shows. ECS documents no `Cancelled` status; the Apsara Stack docs call it
 * `Deleted` ("Deleted: canceled"). The other spellings are accepted so that being wrong is harmless.
 */
export const CANCELLED_TASK_STATUSES: ReadonlySet<string> = new Set(['Deleted', 'Cancelled', 'Canceled']);

export interface DocumentedError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/** Every error code of the CancelTask documentation, with its HTTP status and message. */
export const ECS_CANCEL_TASK_ERRORS = {
  missingRegionId: {
    status: 400,
    code: 'MissingParameter',
    message: 'An input parameter "RegionId" that is mandatory for processing the request is not supplied.',
  },
  missingTaskId: {
    status: 400,
    code: 'MissingParameter',
    message: 'An input parameter "TaskId" that is mandatory for processing the request is not supplied.',
  },
  regionNotFound: { status: 400, code: 'InvalidRegionId.NotFound', message: 'The specified RegionId does not exist.' },
  taskNotFound: { status: 400, code: 'InvalidTaskId.NotFound', message: 'The specified "TaskId" is not found.' },
  actionNotSupported: { status: 403, code: 'InvalidTaskId.TaskActionNotSupport', message: 'The specified task action not support.' },
  incorrectStatus: { status: 403, code: 'InvalidTaskId.IncorrectTaskStatus', message: 'The specified task status is invalid.' },
  cancelFailed: { status: 403, code: 'CancelTaskFailed', message: 'The task is failed to cancel, Please contact the administrator.' },
} as const satisfies Record<string, DocumentedError>;

/**
 * CancelTask's codes in the taxonomy.
 * - `InvalidRegionId.NotFound` is the caller's mistake (a region that does not exist), not a missing task:
 *   InvalidInput, so the user fixes the region instead of reading "task not found".
 * - `CancelTaskFailed` (403, "contact the administrator") is NotCancellable: the cloud answered
 *   definitively, not with a 5xx, so a retry would not change it (not Transient), and treating it as a
 *   refusal lets the engine re-inspect the task and report `already-finished` if it ended meanwhile.
 * - `InvalidAction.NotFound` is a wrong API name or version, never a missing task.
 */
export const ECS_ERROR_CODES: Readonly<Record<string, ErrorCode>> = {
  MissingParameter: 'InvalidInput',
  'InvalidRegionId.NotFound': 'InvalidInput',
  'InvalidTaskId.NotFound': 'NotFound',
  'InvalidTaskId.TaskActionNotSupport': 'NotCancellable',
  'InvalidTaskId.IncorrectTaskStatus': 'NotCancellable',
  CancelTaskFailed: 'NotCancellable',
  'InvalidAction.NotFound': 'Unknown',
};
