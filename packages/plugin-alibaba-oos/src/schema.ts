/**
 * Parameters of `alibaba.oos.execution`: the execution to cancel and its region (OOS endpoints are
 * regional). Validation happens before any request is built.
 */
import { z } from 'zod';

export const REGION_ID_PATTERN = /^[a-z]{2,}(?:-[a-z0-9]+)+$/;
/** No whitespace, no control characters (CR, LF, NUL, …). */
export const PRINTABLE_TOKEN_PATTERN = /^[^\s\p{Cc}]*$/u;
export const MAX_EXECUTION_ID_LENGTH = 128;

function requiredString(field: string, example: string) {
  return z.string({
    error: (issue) =>
      issue.input === undefined
        ? `is required: pass ${field}, e.g. ${example}`
        : `must be a string, e.g. ${example} (got ${typeof issue.input})`,
  });
}

export const regionIdSchema = requiredString('the region id', 'cn-hangzhou')
  .min(1, { error: 'is empty: pass the region id, e.g. cn-hangzhou', abort: true })
  .max(64, { error: 'is too long (over 64 characters): pass a region id such as cn-hangzhou', abort: true })
  .regex(REGION_ID_PATTERN, {
    error: 'is not a region id: use lower-case words joined by hyphens, e.g. cn-hangzhou (no spaces or line breaks)',
  });

export const executionIdSchema = requiredString('the execution id', 'exec-8a2aaf460fdf47c6b5ef')
  .min(1, { error: 'is empty: pass the execution id ListExecutions shows, e.g. exec-8a2aaf460fdf47c6b5ef', abort: true })
  .max(MAX_EXECUTION_ID_LENGTH, {
    error: `is too long (over ${MAX_EXECUTION_ID_LENGTH} characters): pass the execution id exactly as ListExecutions shows it`,
    abort: true,
  })
  .regex(PRINTABLE_TOKEN_PATTERN, {
    error: 'must not contain spaces, line breaks or control characters: copy the execution id exactly, e.g. exec-8a2aaf460fdf47c6b5ef',
  });

export const oosExecutionParamsSchema = z.strictObject(
  {
    regionId: regionIdSchema.describe('Region of the execution; selects the regional OOS endpoint, e.g. cn-hangzhou.'),
    executionId: executionIdSchema.describe('The OOS execution id, e.g. exec-8a2aaf460fdf47c6b5ef.'),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown parameter(s) ${issue.keys.join(', ')}: alibaba.oos.execution takes regionId and executionId`
        : 'must be an object with regionId and executionId',
  },
);

export type OosExecutionParams = z.output<typeof oosExecutionParamsSchema>;
