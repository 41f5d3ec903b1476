/**
 * The manifest of `alibaba.tair.ops-event`. Imported by `plugins list` and `--help` without loading the
 * plugin, so it depends on zod and the schema only.
 */
import type { PluginManifest } from '@cancelkit/core/plugin';
import { z } from 'zod';
import { tairOpsEventParamsSchema } from './schema.js';

const manifest: PluginManifest = {
  id: 'alibaba.tair.ops-event',
  provider: 'alibaba',
  service: 'alibaba.tair',
  operation: 'ops-event',
  title: 'Cancel Tair (Redis OSS-compatible) O&M events',
  description:
    'Cancels scheduled O&M events with CancelActiveOperationTasks, in batches. An event can be cancelled only while AllowCancel is 1, its start time has not passed and its Status is 3; each Id gets its own outcome. Inspect uses DescribeActiveOperationTasks.',
  docsUrl: 'https://www.alibabacloud.com/help/en/redis/developer-reference/api-r-kvstore-2015-01-01-cancelactiveoperationtasks-redis',
  paramsSchema: z.toJSONSchema(tairOpsEventParamsSchema, { io: 'input' }),
  targetParam: 'ids',
  capabilities: { inspect: true, batch: true, wait: true },
  coreRange: '^0.1.0',
  defaultQps: 10,
  examples: [{ ids: '1508850,1508310' }, { ids: ['1508850'], regionId: 'cn-hangzhou' }],
};

export default manifest;
