/**
 * What OOS says on the wire for CancelExecution and ListExecutions: the API version, the execution states
 * and the documented errors (seed 003, help doc 120776), for the plugin and the emulation.
 */
import type { ErrorCode } from '@cancelkit/core/plugin';

export const OOS_API_VERSION = '2019-06-01';

/** Execution states that still run or wait to run ("Started, Queued, Running, Waiting"). */
export const ACTIVE_EXECUTION_STATUSES: ReadonlySet<string> = new Set(['Started', 'Queued', 'Running', 'Waiting', 'Pending']);
/** Execution states in which nothing more happens. */
export const ENDED_EXECUTION_STATUSES: ReadonlySet<string> = new Set(['Success', 'Failed', 'Cancelled', 'Skipped']);
export const CANCELLED_EXECUTION_STATUS = 'Cancelled';

export interface DocumentedError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/** CancelExecution's documented errors; `{…}` placeholders are filled per call. */
export const OOS_ERRORS = {
  invalidVersion: { status: 400, code: 'InvalidVersion', message: 'Specified parameter Version is not valid.' },
  actionNotFound: { status: 400, code: 'InvalidAction.NotFound', message: 'Specified api is not found, please check your url and method.' },
  noPermission: { status: 401, code: 'User.NoPermission', message: 'User has no permission to do the action: ({api_name})' },
  invalidStsToken: { status: 400, code: 'InvalidStsToken', message: 'Invalid STS token to do the action: ({api_name})' },
  expiredStsToken: { status: 400, code: 'ExpiredStsToken', message: 'Expired STS token to do the action: ({api_name})' },
  invalidAccountType: { status: 400, code: 'InvalidAccountType', message: 'The account type ({account_type}) was not supported.' },
  cancelFailed: { status: 403, code: 'ExecutionCancelFailed', message: 'Execution cancel failed {reason}' },
  executionNotFound: { status: 404, code: 'EntityNotExist.Execution', message: 'The specific execution {key} does not exist.' },
  missingExecutionId: {
    status: 400,
    code: 'MissingParameter',
    message: 'The input parameter "ExecutionId" that is mandatory for processing this request is not supplied.',
  },
} as const satisfies Record<string, DocumentedError>;

/**
 * OOS codes in the taxonomy. `InvalidVersion` / `InvalidAction.NotFound` mean this client called a wrong
 * API (Unknown, never "execution not found"); the STS codes are credential problems; `User.NoPermission`
 * (401) and `InvalidAccountType` are about what the caller may do.
 */
export const OOS_ERROR_CODES: Readonly<Record<string, ErrorCode>> = {
  InvalidVersion: 'Unknown',
  'InvalidAction.NotFound': 'Unknown',
  'User.NoPermission': 'PermissionDenied',
  InvalidStsToken: 'Unauthenticated',
  ExpiredStsToken: 'Unauthenticated',
  InvalidAccountType: 'PermissionDenied',
  ExecutionCancelFailed: 'NotCancellable',
  'EntityNotExist.Execution': 'NotFound',
  MissingParameter: 'InvalidInput',
};
