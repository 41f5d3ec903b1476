/**
 * Parameters of `alibaba.opensearch.fsm-task`: the region, the instance and the FSM task. The ids become
 * URL path segments, so besides empty values, control characters and absurd lengths, the dot segments
 * `.` and `..` are refused: they would be resolved away by URL normalisation and address another path.
 */
import { regionId, requiredString } from '@cancelkit/alibaba-openapi/schema';
import { z } from 'zod';

export { REGION_ID_PATTERN } from '@cancelkit/alibaba-openapi/schema';
/** Instance ids are letters, digits, `-` and `_`, starting with a letter or digit: `ha-cn-7mz2nx41h01`. */
export const INSTANCE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
/**
 * FSM ids carry `@`, `-`, `_` and more (`tisplus_opensearch@datasource_flow_fsm@…`): any printable text
 * without control characters or surrounding whitespace; callRoa encodes it as one path segment.
 */
export const FSM_ID_PATTERN = /^[^\s\p{Cc}](?:[^\p{Cc}]*[^\s\p{Cc}])?$/u;
export const MAX_INSTANCE_ID_LENGTH = 128;
export const MAX_FSM_ID_LENGTH = 1024;

export const regionIdSchema = regionId();

export const instanceIdSchema = requiredString('the instance id', 'ha-cn-7mz2nx41h01')
  .min(1, { error: 'is empty: pass the instance id, e.g. ha-cn-7mz2nx41h01', abort: true })
  .max(MAX_INSTANCE_ID_LENGTH, { error: `is too long (over ${MAX_INSTANCE_ID_LENGTH} characters): pass the instance id, e.g. ha-cn-7mz2nx41h01`, abort: true })
  .regex(INSTANCE_ID_PATTERN, {
    error: 'is not an instance id: use letters, digits, "-" and "_" only, e.g. ha-cn-7mz2nx41h01',
  });

export const fsmIdSchema = requiredString('the FSM task id', 'tisplus_opensearch@datasource_flow_fsm@…')
  .min(1, { error: 'is empty: pass the fsmId ListClusterTasks shows', abort: true })
  .max(MAX_FSM_ID_LENGTH, { error: `is too long (over ${MAX_FSM_ID_LENGTH} characters): pass the fsmId exactly as ListClusterTasks shows it`, abort: true })
  .regex(FSM_ID_PATTERN, {
    error: 'must not contain line breaks or control characters, nor start or end with a space: copy the fsmId exactly',
    abort: true,
  })
  // A pattern rather than a refine, so the manifest's JSON Schema refuses dot segments too.
  .regex(/^(?!\.\.?$)/, { error: 'cannot be "." or "..": pass the fsmId ListClusterTasks shows' });

export const ha3FsmTaskParamsSchema = z.strictObject(
  {
    regionId: regionIdSchema.describe('Region of the instance; selects the searchengine endpoint, e.g. cn-hangzhou.'),
    instanceId: instanceIdSchema.describe('The OpenSearch Vector Search / Retrieval Engine instance id, e.g. ha-cn-7mz2nx41h01.'),
    fsmId: fsmIdSchema.describe('The FSM task id from ListClusterTasks; it may contain "@" and other characters.'),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown parameter(s) ${issue.keys.join(', ')}: alibaba.opensearch.fsm-task takes regionId, instanceId and fsmId`
        : 'must be an object with regionId, instanceId and fsmId',
  },
);

export type Ha3FsmTaskParams = z.output<typeof ha3FsmTaskParamsSchema>;
