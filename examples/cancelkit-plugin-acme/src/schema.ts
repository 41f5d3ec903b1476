/**
 * Parameters of `acme.jobs.job`: which Acme job to cancel. Validation happens before any request is
 * built, so a bad value never reaches the cloud.
 */
import { z } from 'zod';

/** Ids: a letter or digit, then letters, digits, `.`, `_` or `-`; no spaces or control characters. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const MAX_ID_LENGTH = 64;

export const jobIdSchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required: pass the job id, e.g. job-4f2a' : 'must be a string, e.g. job-4f2a') })
  .min(1, { error: 'is empty: pass the job id, e.g. job-4f2a', abort: true })
  .max(MAX_ID_LENGTH, { error: `is too long (over ${MAX_ID_LENGTH} characters): copy the job id exactly`, abort: true })
  .regex(ID_PATTERN, { error: 'may hold only letters, digits, ".", "_" and "-" (no spaces or line breaks), e.g. job-4f2a' });

export const acmeJobParamsSchema = z.strictObject(
  { jobId: jobIdSchema.describe('The Acme Jobs job id, e.g. job-4f2a.') },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown parameter(s) ${issue.keys.join(', ')}: acme.jobs.job takes jobId`
        : 'must be an object such as {"jobId": "job-4f2a"}',
  },
);

export type AcmeJobParams = z.output<typeof acmeJobParamsSchema>;
