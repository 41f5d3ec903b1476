/** The plugin's manifest: read by `plugins list` and `--help` without loading the implementation. */
import type { PluginManifest } from '@cancelkit/core/plugin';
import { z } from 'zod';
import { ddsParamsSchema } from './schema.js';

const manifest: PluginManifest = Object.freeze({
  id: 'huaweicloud.dds.scheduled-job',
  provider: 'huaweicloud',
  service: 'huaweicloud.dds',
  operation: 'scheduled-job',
  title: 'Huawei Cloud DDS scheduled job',
  description:
    'Cancels a pending DDS (Document Database Service) scheduled task, such as a flavor change booked for the maintenance window (DELETE /v3/{project_id}/scheduled-jobs/{job_id}).',
  docsUrl: 'https://support.huaweicloud.com/intl/en-us/api-dds/dds_api_0278.html',
  paramsSchema: z.toJSONSchema(ddsParamsSchema, { io: 'input' }),
  targetParam: 'jobId',
  capabilities: { inspect: true, batch: false, wait: true },
  coreRange: '^0.1.0',
  defaultQps: 10,
  examples: [{ region: 'cn-north-4', jobId: '3861199d-c196-4791-bcd0-b45fde754f50' }],
});

export default manifest;
