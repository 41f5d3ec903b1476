/**
 * Parameter schemas every Alibaba plugin shares (zod 4): region ids and printable resource ids, with
 * messages that say the fix. A separate entry (`@cancelkit/alibaba-openapi/schema`) so a plugin's
 * manifest can import it without the signing and HTTP code.
 */
import { z } from 'zod';

/** Region ids are lower-case words joined by hyphens: `cn-hangzhou`, `ap-southeast-1`, `cn-shanghai-finance-1`. */
export const REGION_ID_PATTERN = /^[a-z]{2,}(?:-[a-z0-9]+)+$/;
/** No whitespace, no control characters (CR, LF, NUL, …): ids are copied from consoles and files. */
export const PRINTABLE_TOKEN_PATTERN = /^[^\s\p{Cc}]*$/u;
export const MAX_REGION_ID_LENGTH = 64;

/** A string field whose "missing" and "wrong type" messages name the field and an example. */
export function requiredString(field: string, example: string) {
  return z.string({
    error: (issue) =>
      issue.input === undefined
        ? `is required: pass ${field}, e.g. ${example}`
        : `must be a string, e.g. ${example} (got ${typeof issue.input})`,
  });
}

/** A region id; `emptyHint` finishes the "is empty" message (e.g. "or leave it out for all regions"). */
export function regionId(options: { optional?: boolean; emptyHint?: string } = {}) {
  const base = options.optional
    ? z.string({ error: (issue) => `must be a string, e.g. cn-hangzhou (got ${typeof issue.input})` })
    : requiredString('the region id', 'cn-hangzhou');
  return base
    .min(1, { error: `is empty: pass a region id such as cn-hangzhou${options.emptyHint ? `, ${options.emptyHint}` : ''}`, abort: true })
    .max(MAX_REGION_ID_LENGTH, { error: `is too long (over ${MAX_REGION_ID_LENGTH} characters): pass a region id such as cn-hangzhou`, abort: true })
    .regex(REGION_ID_PATTERN, {
      error: 'is not a region id: use lower-case words joined by hyphens, e.g. cn-hangzhou (no spaces or line breaks)',
    });
}

/**
 * A resource id copied from the console or a describe call: required, bounded, printable.
 * `what` is the id's name ("the task id"), `source` where users find it ("DescribeTasks").
 */
export function printableId(options: { what: string; example: string; source: string; maxLength: number }) {
  const { what, example, source, maxLength } = options;
  return requiredString(what, example)
    .min(1, { error: `is empty: pass ${what} ${source} shows, e.g. ${example}`, abort: true })
    .max(maxLength, { error: `is too long (over ${maxLength} characters): pass ${what} exactly as ${source} shows it`, abort: true })
    .regex(PRINTABLE_TOKEN_PATTERN, {
      error: `must not contain spaces, line breaks or control characters: copy ${what} exactly, e.g. ${example}`,
    });
}
