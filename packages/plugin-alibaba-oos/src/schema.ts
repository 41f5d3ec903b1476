/**
 * Parameters of `alibaba.oos.execution`: the execution to cancel and its region (OOS endpoints are
 * regional). Validation happens before any request is built.
 */
import { printableId, regionId } from '@cancelkit/alibaba-openapi/schema';
import { z } from 'zod';

export { PRINTABLE_TOKEN_PATTERN, REGION_ID_PATTERN } from '@cancelkit/alibaba-openapi/schema';
export const MAX_EXECUTION_ID_LENGTH = 128;

export const regionIdSchema = regionId();
export const executionIdSchema = printableId({
  what: 'the execution id',
  example: 'exec-8a2aaf460fdf47c6b5ef',
  source: 'ListExecutions',
  maxLength: MAX_EXECUTION_ID_LENGTH,
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
