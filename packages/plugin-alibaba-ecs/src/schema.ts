/**
 * Parameters of `alibaba.ecs.task`: which ECS task to cancel and in which region. Validation happens
 * before any request is built, so a bad value never reaches the cloud.
 */
import { z } from 'zod';

/** Region ids are lower-case words joined by hyphens: `cn-hangzhou`, `ap-southeast-1`, `cn-shanghai-finance-1`. */
export const REGION_ID_PATTERN = /^[a-z]{2,}(?:-[a-z0-9]+)+$/;
/** No whitespace, no control characters (CR, LF, NUL, …): ids are copied from consoles and files. */
export const PRINTABLE_TOKEN_PATTERN = /^[^\s\p{Cc}]*$/u;
export const MAX_TASK_ID_LENGTH = 128;

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

export const taskIdSchema = requiredString('the task id', 't-bp198jigq7l0h5ac1234')
  .min(1, { error: 'is empty: pass the task id DescribeTasks shows, e.g. t-bp198jigq7l0h5ac1234', abort: true })
  .max(MAX_TASK_ID_LENGTH, {
    error: `is too long (over ${MAX_TASK_ID_LENGTH} characters): pass the task id exactly as DescribeTasks shows it`,
    abort: true,
  })
  .regex(PRINTABLE_TOKEN_PATTERN, {
    error: 'must not contain spaces, line breaks or control characters: copy the task id exactly, e.g. t-bp198jigq7l0h5ac1234',
  });

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
