/**
 * The manifest of `alibaba.oos.execution`. Imported by `plugins list` and `--help` without loading the
 * plugin, so it depends on zod and the schema only.
 */
import type { PluginManifest } from '@cancelkit/core/plugin';
import { z } from 'zod';
import { oosExecutionParamsSchema } from './schema.js';

const manifest: PluginManifest = {
  id: 'alibaba.oos.execution',
  provider: 'alibaba',
  service: 'alibaba.oos',
  operation: 'execution',
  title: 'Cancel a CloudOps Orchestration Service (OOS) execution',
  description:
    'Cancels a running or waiting OOS execution with CancelExecution on the regional endpoint. Inspect uses ListExecutions filtered by ExecutionId (OOS has no GetExecution).',
  docsUrl: 'https://www.alibabacloud.com/help/doc-detail/120776.htm',
  paramsSchema: z.toJSONSchema(oosExecutionParamsSchema, { io: 'input' }),
  targetParam: 'executionId',
  capabilities: { inspect: true, batch: false, wait: true },
  coreRange: '^0.1.0',
  defaultQps: 10,
  examples: [{ regionId: 'cn-hangzhou', executionId: 'exec-8a2aaf460fdf47c6b5ef' }],
};

export default manifest;
