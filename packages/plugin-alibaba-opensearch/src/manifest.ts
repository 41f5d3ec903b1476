/**
 * The manifest of `alibaba.opensearch.fsm-task`. Imported by `plugins list` and `--help` without loading
 * the plugin, so it depends on zod and the schema only.
 */
import type { PluginManifest } from '@cancelkit/core/plugin';
import { z } from 'zod';
import { ha3FsmTaskParamsSchema } from './schema.js';

const manifest: PluginManifest = {
  id: 'alibaba.opensearch.fsm-task',
  provider: 'alibaba',
  service: 'alibaba.opensearch',
  operation: 'fsm-task',
  title: 'Stop an OpenSearch Vector Search / Retrieval Engine FSM task',
  description:
    'Stops an FSM task with StopTask (ROA, PUT /openapi/ha3/instances/{instanceId}/stop-task/{fsmId}); each id is encoded exactly once as its own path segment. Inspect uses ListClusterTasks.',
  docsUrl: 'https://www.alibabacloud.com/help/en/open-search/developer-reference/api-searchengine-2021-10-25-stoptask',
  paramsSchema: z.toJSONSchema(ha3FsmTaskParamsSchema, { io: 'input' }),
  targetParam: 'fsmId',
  capabilities: { inspect: true, batch: false, wait: true },
  coreRange: '^0.1.0',
  defaultQps: 10,
  examples: [
    {
      regionId: 'cn-hangzhou',
      instanceId: 'ha-cn-7mz2nx41h01',
      fsmId: 'tisplus_opensearch@datasource_flow_fsm@1865410598556969-ha-cn-7mz2nx41h01_api@bj_vpc_domain_1@null@MANUAL-ha-cn-7mz2nx41h01_api@1649729867698@028315',
    },
  ],
};

export default manifest;
