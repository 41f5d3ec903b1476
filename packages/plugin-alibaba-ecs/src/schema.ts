/**
 * Parameters of `alibaba.ecs.task`: which ECS task to cancel and in which region. Validation happens
 * before any request is built, so a bad value never reaches the cloud.
 */
import { printableId, regionId } from '@cancelkit/alibaba-openapi/schema';
import { z } from 'zod';

export { PRINTABLE_TOKEN_PATTERN, REGION_ID_PATTERN } from '@cancelkit/alibaba-openapi/schema';
export const MAX_TASK_ID_LENGTH = 128;

export const regionIdSchema = regionId();
export const taskIdSchema = printableId({ what: 'the task id', example: 't-bp198jigq7l0h5ac1234', source: 'DescribeTasks', maxLength: MAX_TASK_ID_LENGTH });

export const ecsTaskParamsSchema = z.strictObject(
  {
    regionId: regionIdSchema.describe('Region of the task, e.g. cn-hangzhou.'),
    taskId: taskIdSchema.describe('The ImportImage or ExportImage task id, e.g. t-bp198jigq7l0h5ac1234.'),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown parameter(s) ${issue.keys.join(', ')}: alibaba.ecs.task takes regionId and taskId`
        : 'must be an object with regionId and taskId',
  },
);

export type EcsTaskParams = z.output<typeof ecsTaskParamsSchema>;
