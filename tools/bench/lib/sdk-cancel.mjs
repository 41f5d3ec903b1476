/**
 * The baseline script of the cold-start figure: what a user writes to cancel one ECS task with the
 * official `@alicloud/ecs20140526` SDK (v7, on `@alicloud/openapi-core`), pointed at the emulator.
 * Usage: node sdk-cancel.mjs <emulator-url> <task-id>. Prints the response body as JSON.
 */
import ecsModule from '@alicloud/ecs20140526';
import { $OpenApiUtil } from '@alicloud/openapi-core';

const [url, taskId] = process.argv.slice(2);
const { host } = new URL(url);
// The SDK is CommonJS compiled by TypeScript: the client class is `exports.default`.
const Ecs = ecsModule.default;
const config = new $OpenApiUtil.Config({
  accessKeyId: 'cancelkit-demo-ak',
  accessKeySecret: 'cancelkit-demo-sk',
  endpoint: host,
  protocol: 'http',
  regionId: 'cn-hangzhou',
});
const response = await new Ecs(config).cancelTask(new ecsModule.CancelTaskRequest({ regionId: 'cn-hangzhou', taskId }));
process.stdout.write(`${JSON.stringify({ statusCode: response.statusCode, requestId: response.body?.requestId })}\n`);
