/**
 * The OpenAPI 3.1 document, generated at startup from the installed plugins' manifests (their params
 * JSON Schemas go in verbatim: OpenAPI 3.1 schemas are JSON Schema 2020-12) and from the zod schemas of
 * the request envelopes.
 */
import { OUTCOMES, type PluginManifest } from '@cancelkit/core';
import { z } from 'zod';
import { BatchRequestSchema, ListQuerySchema, SingleRequestSchema } from './api-schemas.js';
import { TARGET_STATUSES } from './store.js';

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

/** `alibaba.ecs.task` → `AlibabaEcsTask`: a component-name-safe spelling of a plugin id. */
export function schemaNameOf(pluginId: string): string {
  return pluginId
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

function toJson(schema: z.ZodType): Schema {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Schema;
  delete json['$schema'];
  return json;
}

function propertiesOf(schema: Schema): Record<string, Schema> {
  return (schema['properties'] as Record<string, Schema> | undefined) ?? {};
}

/** A plugin's params schema, made safe to embed: its own `$defs` keep resolving through an `$id`. */
function embeddable(manifest: PluginManifest): Schema {
  const schema: Schema = { ...manifest.paramsSchema };
  delete schema['$schema'];
  if (('$defs' in schema || 'definitions' in schema) && !('$id' in schema)) schema['$id'] = `urn:cancelkit:params:${manifest.id}`;
  if (schema['title'] === undefined) schema['title'] = `${manifest.title} params`;
  return schema;
}

const problemSchema: Schema = {
  type: 'object',
  description: 'RFC 9457 problem details.',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', format: 'uri' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', enum: ['InvalidInput', 'Unauthenticated', 'PermissionDenied', 'NotFound', 'NotCancellable', 'Throttled', 'Transient', 'Unknown'] },
    issues: {
      type: 'array',
      items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' }, hint: { type: 'string' } } },
    },
    requestId: { type: 'string', description: "The cloud's request id, when the cloud answered." },
    providerCode: { type: 'string' },
    hint: { type: 'string' },
    instance: { type: 'string' },
  },
};

const errorSchema: Schema = {
  type: 'object',
  required: ['code', 'message', 'retryable'],
  properties: {
    code: { type: 'string' },
    message: { type: 'string' },
    retryable: { type: 'boolean' },
    providerCode: { type: 'string' },
    providerMessage: { type: 'string' },
    requestId: { type: 'string' },
    httpStatus: { type: 'integer' },
    hint: { type: 'string' },
    issues: { type: 'array', items: { type: 'object' } },
  },
};

const targetSchema: Schema = {
  type: 'object',
  required: ['item', 'plugin', 'target', 'outcome'],
  properties: {
    item: { type: 'integer', description: 'Index of the request entry this target came from.' },
    plugin: { type: 'string' },
    target: { type: 'string' },
    outcome: { type: 'string', enum: [...TARGET_STATUSES] },
    seq: { type: 'integer', description: 'Order in which the target settled; the SSE event id.' },
    settledAt: { type: 'string', format: 'date-time' },
    requestId: { type: 'string', description: "The cloud's request id." },
    reason: { type: 'string' },
    providerCode: { type: 'string' },
    error: ref('Error'),
    attempts: { type: 'integer' },
    durationMs: { type: 'integer' },
    state: { type: 'object' },
    waited: { type: 'object' },
  },
};

const summarySchema: Schema = {
  type: 'object',
  properties: Object.fromEntries(['total', ...TARGET_STATUSES].map((k) => [k, { type: 'integer' }])),
};

const jobSchema: Schema = {
  type: 'object',
  required: ['id', 'kind', 'status', 'requestedBy', 'createdAt', 'summary', 'targets'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    kind: { type: 'string', enum: ['single', 'batch'] },
    status: { type: 'string', enum: ['queued', 'running', 'completed', 'interrupted'] },
    requestedBy: { type: 'string', description: 'Name of the token that asked.' },
    requestId: { type: 'string', description: 'Server request id of the creating request.' },
    idempotencyKey: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    startedAt: { type: 'string', format: 'date-time' },
    finishedAt: { type: 'string', format: 'date-time' },
    note: { type: 'string' },
    options: { type: 'object' },
    items: { type: 'array', items: { type: 'object' } },
    plugins: { type: 'array', items: { type: 'string' } },
    summary: ref('JobSummary'),
    targets: { type: 'array', items: ref('TargetResult') },
    links: { type: 'object', properties: { self: { type: 'string' }, events: { type: 'string' } } },
  },
};

const planEntrySchema: Schema = {
  type: 'object',
  required: ['item', 'plugin', 'target', 'action', 'expected'],
  properties: {
    item: { type: 'integer', description: 'Index of the request entry this target came from.' },
    plugin: { type: 'string' },
    target: { type: 'string' },
    action: { type: 'string', enum: ['cancel', 'skip'], description: 'What a real run would do now.' },
    expected: { type: 'string', enum: [...OUTCOMES], description: 'The outcome a skip would report, or `cancelled` for a target that would be cancelled.' },
    reason: { type: 'string' },
    state: { type: 'object', description: 'What the inspection found.' },
    error: ref('Error'),
  },
};

/** What a dry run answers instead of a job: nothing was created, so there is no id to follow. */
const dryRunPlanSchema: Schema = {
  type: 'object',
  required: ['dryRun', 'plan'],
  additionalProperties: false,
  properties: {
    dryRun: { const: true },
    plan: { type: 'array', items: ref('PlanEntry'), description: 'One entry per target, in request order.' },
  },
};

const manifestSchema: Schema = {
  type: 'object',
  required: ['id', 'provider', 'service', 'operation', 'title', 'paramsSchema', 'capabilities'],
  properties: {
    id: { type: 'string' },
    provider: { type: 'string' },
    service: { type: 'string' },
    operation: { type: 'string' },
    title: { type: 'string' },
    description: { type: 'string' },
    docsUrl: { type: 'string' },
    targetParam: { type: 'string' },
    paramsSchema: { type: 'object' },
    capabilities: { type: 'object', properties: { inspect: { type: 'boolean' }, batch: { type: 'boolean' }, wait: { type: 'boolean' } } },
    coreRange: { type: 'string' },
    defaultQps: { type: 'number' },
    examples: { type: 'array', items: { type: 'object' } },
  },
};

function problemResponse(description: string): Schema {
  return { description, content: { 'application/problem+json': { schema: ref('Problem') } } };
}

const jsonResponse = (description: string, schema: Schema): Schema => ({ description, content: { 'application/json': { schema } } });

export function buildOpenApi(manifests: readonly PluginManifest[], info: { version: string }): Schema {
  const sorted = [...manifests].sort((a, b) => a.id.localeCompare(b.id));
  const single = toJson(SingleRequestSchema);
  const batch = toJson(BatchRequestSchema);
  const schemas: Record<string, Schema> = {
    Problem: problemSchema,
    Error: errorSchema,
    TargetResult: targetSchema,
    JobSummary: summarySchema,
    Job: jobSchema,
    PlanEntry: planEntrySchema,
    DryRunPlan: dryRunPlanSchema,
    PluginManifest: manifestSchema,
  };
  const singleVariants: Schema[] = [];
  const itemVariants: Schema[] = [];
  const singleMapping: Record<string, string> = {};
  const itemMapping: Record<string, string> = {};
  for (const manifest of sorted) {
    const name = schemaNameOf(manifest.id);
    schemas[`${name}Params`] = embeddable(manifest);
    const envelope = {
      plugin: { type: 'string', const: manifest.id },
      params: ref(`${name}Params`),
    };
    schemas[`${name}Cancellation`] = {
      type: 'object',
      title: `Cancel: ${manifest.title}`,
      required: ['plugin', 'params'],
      properties: { ...propertiesOf(single), ...envelope },
      additionalProperties: false,
    };
    schemas[`${name}BatchItem`] = { type: 'object', required: ['plugin', 'params'], properties: envelope, additionalProperties: false };
    singleVariants.push(ref(`${name}Cancellation`));
    itemVariants.push(ref(`${name}BatchItem`));
    singleMapping[manifest.id] = `#/components/schemas/${name}Cancellation`;
    itemMapping[manifest.id] = `#/components/schemas/${name}BatchItem`;
  }
  schemas['SingleCancellation'] =
    singleVariants.length > 0 ? { oneOf: singleVariants, discriminator: { propertyName: 'plugin', mapping: singleMapping } } : single;
  const batchProps = propertiesOf(batch);
  schemas['BatchCancellation'] = {
    ...batch,
    properties: {
      ...batchProps,
      targets: {
        ...(batchProps['targets'] ?? {}),
        items: itemVariants.length > 0 ? { oneOf: itemVariants, discriminator: { propertyName: 'plugin', mapping: itemMapping } } : {},
      },
    },
  };

  const auth = [{ bearer: [] }];
  const common401 = problemResponse('Missing or wrong bearer token.');
  const common429 = problemResponse('Per-token rate limit exceeded; see Retry-After.');
  const listParams = Object.entries(propertiesOf(toJson(ListQuerySchema))).map(([name, schema]) => ({
    name,
    in: 'query',
    required: false,
    schema,
    ...(typeof schema['description'] === 'string' ? { description: schema['description'] } : {}),
  }));
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };

  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'cancelkit-server',
      version: info.version,
      description: 'Cancel in-flight cloud operations through one contract, with an audit trail and idempotency keys.',
    },
    paths: {
      '/v1/plugins': {
        get: {
          operationId: 'listPlugins',
          summary: 'Installed plugins the token may use, with their params schemas.',
          security: auth,
          responses: {
            '200': jsonResponse('Plugins.', { type: 'object', properties: { plugins: { type: 'array', items: ref('PluginManifest') } } }),
            '401': common401,
            '429': common429,
          },
        },
      },
      '/v1/plugins/{id}': {
        get: {
          operationId: 'getPlugin',
          security: auth,
          parameters: [idParam],
          responses: {
            '200': jsonResponse('The plugin manifest.', ref('PluginManifest')),
            '401': common401,
            '403': problemResponse('The token may not use this plugin.'),
            '404': problemResponse('No such plugin.'),
          },
        },
      },
      '/v1/cancellations': {
        post: {
          operationId: 'createCancellation',
          summary: 'Cancel one target (answers when done, 200) or a batch (202 and a job to follow).',
          security: auth,
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              schema: { type: 'string', maxLength: 255 },
              description: 'The same key with the same body returns the stored job without calling the cloud again; with a different body, 422.',
            },
            { name: 'Prefer', in: 'header', required: false, schema: { type: 'string' }, description: '`respond-async`: answer 202 at once for a single target too.' },
          ],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { oneOf: [ref('SingleCancellation'), ref('BatchCancellation')] } } },
          },
          responses: {
            '200': jsonResponse('A single target finished (a Job), or the plan of a dry run (a DryRunPlan: nothing was changed).', {
              oneOf: [ref('Job'), ref('DryRunPlan')],
            }),
            '202': jsonResponse('Accepted: the job runs in the background; follow its Location or its events.', ref('Job')),
            '400': problemResponse('Invalid body or params; `issues` names every field.'),
            '401': common401,
            '403': problemResponse('The token may not use a plugin in the request.'),
            '413': problemResponse('Body too large.'),
            '422': problemResponse('Idempotency-Key reused with a different body.'),
            '429': common429,
            '503': problemResponse('Shutting down, or the job database refuses writes (code `Transient`): no job was created and nothing was sent.'),
            '504': problemResponse('A dry run did not finish within the request timeout; nothing was changed.'),
          },
        },
        get: {
          operationId: 'listCancellations',
          summary: 'The audit trail: who asked, what, when, each outcome and the cloud request ids. Newest first.',
          security: auth,
          parameters: listParams,
          responses: {
            '200': jsonResponse('A page of jobs.', {
              type: 'object',
              properties: { jobs: { type: 'array', items: ref('Job') }, nextCursor: { type: 'integer' } },
            }),
            '400': problemResponse('Invalid query.'),
            '401': common401,
          },
        },
      },
      '/v1/cancellations/{id}': {
        get: {
          operationId: 'getCancellation',
          security: auth,
          parameters: [idParam],
          responses: {
            '200': jsonResponse('The job and every target.', ref('Job')),
            '401': common401,
            '403': problemResponse('The job involves a plugin the token may not use.'),
            '404': problemResponse('No such job.'),
          },
        },
      },
      '/v1/cancellations/{id}/events': {
        get: {
          operationId: 'streamCancellation',
          summary: 'Server-Sent Events: one `result` event per settled target (id = its seq; Last-Event-ID resumes), then `done`.',
          security: auth,
          parameters: [idParam, { name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string' } }],
          responses: {
            '200': { description: 'An event stream.', content: { 'text/event-stream': { schema: { type: 'string' } } } },
            '401': common401,
            '404': problemResponse('No such job.'),
          },
        },
      },
      '/openapi.json': { get: { operationId: 'openapi', responses: { '200': jsonResponse('This document.', { type: 'object' }) } } },
      '/healthz': { get: { operationId: 'health', responses: { '200': jsonResponse('The process is up.', { type: 'object' }) } } },
      '/readyz': {
        get: {
          operationId: 'ready',
          responses: { '200': jsonResponse('Ready to take requests.', { type: 'object' }), '503': jsonResponse('Not ready: shutting down (`stopping`), or the job database refuses writes (`store-unwritable`).', { type: 'object' }) },
        },
      },
      '/metrics': { get: { operationId: 'metrics', responses: { '200': { description: 'Prometheus text format.', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A token from the server configuration.' } },
      schemas,
    },
    'x-cancelkit': { outcomes: [...OUTCOMES] },
  };
}
