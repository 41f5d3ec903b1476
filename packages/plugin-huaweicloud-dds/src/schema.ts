/**
 * Params of `huaweicloud.dds.scheduled-job`. Every rule names its fix; values that could escape their
 * path segment or a header (control characters, `/`, `.`/`..`, absurd lengths) are refused before any
 * request exists.
 */
import { z } from 'zod';

const required = (what: string, example: string) => (issue: { input: unknown }) =>
  issue.input === undefined ? `is required (pass ${what}, e.g. ${example})` : `must be a string (e.g. ${example})`;

export const DDS_JOB_ID_MAX = 128;

export const ddsParamsSchema = z.strictObject(
  {
    region: z
      .string({ error: required('the region id', 'cn-north-4') })
      .max(32, { error: 'is too long for a region id (e.g. cn-north-4)' })
      .regex(/^[a-z]{2,}(-[a-z0-9]+){1,3}$/, { error: 'must be a Huawei Cloud region id such as cn-north-4 (lower-case letters, digits, dashes)' })
      .describe('Huawei Cloud region id, e.g. cn-north-4'),
    projectId: z
      .string({ error: 'must be a string (e.g. 0123456789abcdef0123456789abcdef)' })
      .min(1, { error: 'must not be empty; leave it out to use the project of your credentials' })
      .max(64, { error: 'is too long for a project id (32 hex characters in Huawei Cloud)' })
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, {
        error: 'must be a project id: letters, digits, "-" and "_" only (see My Credentials > Projects in the console)',
      })
      .optional()
      .describe('Project id of the region; defaults to the credentials’ project or providers.huaweicloud.projectIds[region]'),
    jobId: z
      .string({ error: required('the scheduled job id', '3861199d-c196-4791-bcd0-b45fde754f50') })
      .min(1, { error: 'must not be empty; copy the job id from the scheduled-task list' })
      .max(DDS_JOB_ID_MAX, { error: `is longer than ${DDS_JOB_ID_MAX} characters; copy the job id from the scheduled-task list` })
      .regex(/^\P{Cc}*$/u, { error: 'must not contain control characters (CR, LF, NUL, …); copy the job id again without them' })
      .regex(/^[^/\\]*$/, { error: 'must not contain "/" or "\\"; pass only the job id, not a URL or a path' })
      // No `s` flag: JSON Schema patterns carry no flags, and the manifest must accept what parse accepts.
      .regex(/^\S(?:[\s\S]*\S)?$/u, { error: 'must not start or end with whitespace' })
      // A pattern rather than a refine, so the manifest's JSON Schema refuses dot segments too.
      .regex(/^(?!\.\.?$)/, { error: 'cannot be "." or ".."' })
      .describe('Scheduled job (task) id, from the list of scheduled tasks'),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown parameter ${issue.keys.map((k) => `"${k}"`).join(', ')}; the parameters are region, projectId and jobId`
        : undefined,
  },
);

export type DdsParams = z.output<typeof ddsParamsSchema>;
