/**
 * Request shapes of the HTTP API, as zod schemas: they validate bodies and query strings and are turned
 * into the JSON Schema parts of the OpenAPI document, so the two cannot drift apart. Objects are strict:
 * an unknown key is an error, which is how a request is kept from smuggling in an endpoint or credentials.
 */
import type { InputIssue } from '@cancelkit/core';
import { z } from 'zod';
import { TARGET_STATUSES } from './store.js';

const pluginId = z.string().min(1).max(128).describe('Plugin id, e.g. alibaba.ecs.task (see GET /v1/plugins).');
const params = z.record(z.string(), z.unknown()).describe("The plugin's params object; its schema is the plugin's paramsSchema.");
const precheck = z.boolean().optional().describe('Inspect first and skip targets that cannot be cancelled (default true when the plugin can inspect).');
const wait = z.boolean().optional().describe('After cancelling, poll until each operation reaches a terminal state.');
const dryRun = z.boolean().optional().describe('Only report what a real run would do now; nothing is cancelled and no job is created.');

export const BatchItemSchema = z.strictObject({ plugin: pluginId, params });

export const SingleRequestSchema = z.strictObject({ plugin: pluginId, params, precheck, wait, dryRun });

export const BatchRequestSchema = z.strictObject({
  targets: z.array(BatchItemSchema).min(1).describe('One entry per plugin call; a batch plugin may address several targets in one entry.'),
  precheck,
  wait,
  dryRun,
  concurrency: z.int().min(1).max(64).optional().describe('Items processed at once (default: the server configuration).'),
});

export type SingleRequest = z.infer<typeof SingleRequestSchema>;
export type BatchRequest = z.infer<typeof BatchRequestSchema>;

export const ListQuerySchema = z.strictObject({
  plugin: z.string().min(1).max(128).optional().describe('Only jobs with a target of this plugin.'),
  outcome: z.enum(TARGET_STATUSES as [string, ...string[]]).optional().describe('Only jobs with a target of this outcome.'),
  since: z.iso.datetime({ offset: true }).optional().describe('Only jobs created at or after this time (RFC 3339).'),
  limit: z.coerce.number().int().min(1).max(200).optional().describe('Jobs per page (default 50).'),
  cursor: z.coerce.number().int().positive().optional().describe('The `nextCursor` of the previous page.'),
});

const UNKNOWN_KEY_HINT = 'Remove it. Endpoints and credentials come only from the server configuration.';

/** zod issues → the taxonomy's InputIssue list, with `prefix` before every field path. */
export function zodIssues(error: z.ZodError, prefix = ''): InputIssue[] {
  const out: InputIssue[] = [];
  for (const issue of error.issues) {
    const at = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ field: at ? `${at}.${key}` : key, message: 'is not an accepted field', hint: UNKNOWN_KEY_HINT });
    } else {
      out.push({ field: at, message: issue.message });
    }
  }
  return out;
}

/** Keys of `params` that the plugin's JSON Schema does not declare. */
export function undeclaredParams(paramsSchema: Readonly<Record<string, unknown>>, value: Readonly<Record<string, unknown>>): string[] {
  const properties = paramsSchema['properties'];
  if (typeof properties !== 'object' || properties === null) return [];
  return Object.keys(value).filter((key) => !Object.hasOwn(properties, key));
}

export { UNKNOWN_KEY_HINT };
