/**
 * The manifest of `alibaba.ecs.task`. Imported by `plugins list` and `--help` without loading the plugin,
 * so it depends on zod and the schema only.
 */
import type { PluginManifest } from '@cancelkit/core/plugin';
import { z } from 'zod';
import { ecsTaskParamsSchema } from './schema.js';

const manifest: PluginManifest = {
  id: 'alibaba.ecs.task',
  provider: 'alibaba',
  service: 'alibaba.ecs',
  operation: 'task',
  title: 'Cancel an ECS image import/export task',
  description:
    'Cancels a running ECS task with CancelTask. Only ImportImage and ExportImage tasks in a running or waiting state can be cancelled; inspect uses DescribeTaskAttribute.',
  docsUrl: 'https://www.alibabacloud.com/help/en/ecs/api-canceltask',
  paramsSchema: z.toJSONSchema(ecsTaskParamsSchema, { io: 'input' }),
  targetParam: 'taskId',
  capabilities: { inspect: true, batch: false, wait: true },
  coreRange: '^0.1.0',
  defaultQps: 20,
  examples: [{ regionId: 'cn-hangzhou', taskId: 't-bp198jigq7l0h5ac1234' }],
};

export default manifest;
