/**
 * What R-kvstore (Tair) says on the wire for CancelActiveOperationTasks and DescribeActiveOperationTasks:
 * the API version, the O&M event states, the cancel rules and the errors, in one place for the plugin and
 * the emulation.
 */
import type { ErrorCode } from '@cancelkit/core/plugin';

export const TAIR_API_VERSION = '2015-01-01';

/** O&M event `Status` values (a number on the wire). */
export const EVENT_STATUS = {
  waiting: 3,
  running: 4,
  succeeded: 5,
  failed: 6,
  cancelled: 7,
} as const;

export const EVENT_STATUS_TEXT: Readonly<Record<number, string>> = {
  3: 'waiting to run',
  4: 'in progress',
  5: 'succeeded',
  6: 'failed',
  7: 'cancelled',
};

/**
 * Why the cloud refuses to cancel an event, per the API description: "O&M events cannot be canceled in
 * the following scenarios: allowCancel is 0; the current time is later than the start time; the state
 * value is not 3". Returns every rule the event breaks (empty when it can be cancelled).
 */
export function cancelRefusals(event: { allowCancel: string; status: number; startTimeMs: number | undefined }, nowMs: number): string[] {
  const reasons: string[] = [];
  if (event.allowCancel !== '1') reasons.push('AllowCancel is 0: Alibaba Cloud does not allow cancelling this O&M event');
  if (event.startTimeMs !== undefined && nowMs >= event.startTimeMs) {
    reasons.push(`its start time ${new Date(event.startTimeMs).toISOString().replace(/\.\d{3}Z$/, 'Z')} has passed`);
  }
  if (event.status !== EVENT_STATUS.waiting) {
    reasons.push(`its Status is ${event.status} (${EVENT_STATUS_TEXT[event.status] ?? 'unknown'}), not 3 (waiting to run)`);
  }
  return reasons;
}

/** The emulation's errors. R-kvstore publishes no operation-specific codes; these are its common ones. */
export const TAIR_ERRORS = {
  missingIds: {
    status: 400,
    code: 'MissingParameter',
    message: 'An input parameter "Ids" that is mandatory for processing the request is not supplied.',
  },
  invalidIds: { status: 400, code: 'InvalidParameter', message: 'The specified parameter "Ids" is not valid.' },
  invalidPageSize: { status: 400, code: 'InvalidParameter', message: 'The specified parameter "PageSize" is not valid.' },
  invalidPageNumber: { status: 400, code: 'InvalidParameter', message: 'The specified parameter "PageNumber" is not valid.' },
} as const;

/**
 * R-kvstore's codes in the taxonomy, beyond what the provider package maps by shape (throttling, 5xx,
 * signatures, `*.NotFound`): a wrong action or version is never a missing event.
 */
export const TAIR_ERROR_CODES: Readonly<Record<string, ErrorCode>> = {
  MissingParameter: 'InvalidInput',
  InvalidParameter: 'InvalidInput',
  'InvalidAction.NotFound': 'Unknown',
};
