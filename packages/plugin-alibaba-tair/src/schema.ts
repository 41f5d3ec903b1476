/**
 * Parameters of `alibaba.tair.ops-event`: one or many O&M event ids and, optionally, the region that
 * narrows the event listing. Validation happens before any request is built.
 */
import { regionId } from '@cancelkit/alibaba-openapi/schema';
import { z } from 'zod';

export { REGION_ID_PATTERN } from '@cancelkit/alibaba-openapi/schema';
/** O&M event ids are positive whole numbers (`Id` is a number in DescribeActiveOperationTasks). */
export const EVENT_ID_PATTERN = /^[1-9][0-9]{0,18}$/;
/** Upper bound of ids in one params object; the plugin splits them into calls of TAIR_IDS_PER_CALL. */
export const MAX_EVENT_IDS = 10_000;

function describeValue(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  // Never echo control characters or a megabyte of input back into an error message.
  const printable = text.replace(/\p{Cc}/gu, '?');
  return JSON.stringify(printable.length > 40 ? `${printable.slice(0, 40)}…` : printable);
}

const eventIdSchema = z
  .string()
  .regex(EVENT_ID_PATTERN, {
    error: (issue) =>
      issue.input === ''
        ? 'is empty: remove the extra comma, or pass an O&M event Id such as 1508850'
        : `${describeValue(issue.input)} is not an O&M event Id: use the numeric Id DescribeActiveOperationTasks shows, e.g. 1508850`,
  });

/** `"1508850,1508310"`, `["1508850", 1508310]` or a single number → `["1508850", "1508310"]`, de-duplicated. */
export const eventIdsSchema = z
  .union([z.string(), z.number(), z.array(z.union([z.string(), z.number()]))], {
    error: (issue) =>
      issue.input === undefined
        ? 'is required: pass one or more O&M event Ids, e.g. 1508850,1508310'
        : 'must be a comma-separated string of O&M event Ids (e.g. 1508850,1508310) or an array of them',
  })
  .transform((value, ctx) => {
    const list = Array.isArray(value) ? value : typeof value === 'number' ? [value] : value.split(',');
    return list.map((id, index) => {
      if (typeof id !== 'number') return id.trim();
      // Past 2^53 a number is already rounded (9007199254740993 reads as …992): it would address another event.
      if (Number.isInteger(id) && !Number.isSafeInteger(id)) {
        ctx.issues.push({
          code: 'custom',
          input: id,
          path: [index],
          message: `${String(id)} is past the largest exact number (2^53), so it may not be the Id you meant: pass the Id as a string, e.g. "1508850"`,
        });
      }
      return String(id);
    });
  })
  .pipe(
    z
      .array(eventIdSchema)
      .min(1, { error: 'is empty: pass one or more O&M event Ids, e.g. 1508850,1508310' })
      .max(MAX_EVENT_IDS, { error: `has more than ${MAX_EVENT_IDS} Ids: split the list into several runs (e.g. with --file)` }),
  )
  .transform((ids) => [...new Set(ids)]);

export const regionIdSchema = regionId({ optional: true, emptyHint: 'or leave it out for all regions' });

export const tairOpsEventParamsSchema = z.strictObject(
  {
    ids: eventIdsSchema.describe('O&M event Ids: a comma-separated string or an array, e.g. 1508850,1508310.'),
    regionId: regionIdSchema
      .optional()
      .describe('Region of the events (narrows the DescribeActiveOperationTasks listing and picks the endpoint); all regions when left out.'),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown parameter(s) ${issue.keys.join(', ')}: alibaba.tair.ops-event takes ids and regionId`
        : 'must be an object with ids (and optionally regionId)',
  },
);

export type TairOpsEventParams = z.output<typeof tairOpsEventParamsSchema>;
