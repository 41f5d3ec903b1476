/**
 * The manifest of `acme.jobs.job`. Hosts import this module alone (`plugins list`, `--help`, discovery),
 * so it depends on the schema only, never on the client.
 */
import type { PluginManifest } from '@cancelkit/core/plugin';
import { z } from 'zod';
import { acmeJobParamsSchema } from './schema.js';

const manifest: PluginManifest = {
  id: 'acme.jobs.job',
  provider: 'acme',
  service: 'acme.jobs',
  operation: 'job',
  title: 'Cancel a job (Acme Jobs)',
  description: 'Cancels a queued or running job (POST /acme/v1/jobs/{jobId}/cancel); inspect reads GET /acme/v1/jobs/{jobId}.',
  docsUrl: 'https://docs.acme.example/jobs/cancel',
  paramsSchema: z.toJSONSchema(acmeJobParamsSchema, { io: 'input' }),
  targetParam: 'jobId',
  capabilities: { inspect: true, batch: false, wait: true },
  coreRange: '^0.1.0',
  defaultQps: 10,
  examples: [{ jobId: 'job-4f2a' }],
};

export default manifest;
