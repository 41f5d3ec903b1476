/**
 * callRpc / callRoa over real HTTP against a local stand-in that verifies every signature with this
 * package's emulation protocols. Nothing here mocks the transport.
 */
import { type CancelKitError, type EndpointRequest, type EndpointSource, isCancelKitError } from '@cancelkit/core';
import { EmulatedError } from '@cancelkit/core/emulation';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callRoa, callRpc } from './client.js';
import { AlibabaEmulatedError } from './emulation.js';
import { type CloudCall, type TestCloud, startTestCloud } from './test-support/cloud.js';
import { reachableStrings, testContext } from './test-support/context.js';

const AK = 'cancelkit-demo-ak';
const SECRET = 'cancelkit-demo-sk-0123456789';
const STS_AK = 'STS.temp-ak';
const STS_SECRET = 'temporary-secret-abcdef';
const TOKEN = 'STS.token-value-that-is-secret';

let cloud: TestCloud;
const okHandler = (call: CloudCall) => ({ status: 200, body: { RequestId: call.requestId, Echo: call.identified.params } });

beforeAll(async () => {
  cloud = await startTestCloud(
    [
      { accessKeyId: AK, secret: SECRET },
      { accessKeyId: STS_AK, secret: STS_SECRET, securityToken: TOKEN },
    ],
    okHandler,
  );
});
afterAll(() => cloud.close());
beforeEach(() => {
  cloud.handler = okHandler;
  cloud.received.length = 0;
});

const env = { ALIBABA_CLOUD_ACCESS_KEY_ID: AK, ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET };
const stsEnv = { ALIBABA_CLOUD_ACCESS_KEY_ID: STS_AK, ALIBABA_CLOUD_ACCESS_KEY_SECRET: STS_SECRET, ALIBABA_CLOUD_SECURITY_TOKEN: TOKEN };

async function failure(promise: Promise<unknown>): Promise<CancelKitError> {
  try {
    await promise;
  } catch (error) {
    if (isCancelKitError(error)) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

function expectNoSecrets(value: unknown, secrets: string[] = [SECRET, STS_SECRET, TOKEN]): void {
  const all = reachableStrings(value).join('\n');
  for (const secret of secrets) expect(all).not.toContain(secret);
}

describe('callRpc', () => {
  it('sends a signed POST / with the params in the query and returns the body and request id', async () => {
    const { ctx, records } = testContext({ endpoint: cloud.url, env });
    const response = await callRpc<{ RequestId: string; Echo: Record<string, string> }>(ctx, {
      product: 'ecs',
      version: '2014-05-26',
      action: 'CancelTask',
      regionId: 'cn-hangzhou',
      params: { RegionId: 'cn-hangzhou', TaskId: "t-1 @*~'!(中)", Dropped: undefined, Count: 3, Force: true },
    });
    expect(response.status).toBe(200);
    expect(response.body.Echo).toEqual({ RegionId: 'cn-hangzhou', TaskId: "t-1 @*~'!(中)", Count: '3', Force: 'true' });
    expect(response.requestId).toBe(response.body.RequestId);
    const [received] = cloud.received;
    expect(received?.request.method).toBe('POST');
    expect(received?.request.rawPath).toBe('/');
    expect(received?.request.body.length).toBe(0);
    expect(received?.verdict).toMatchObject({ ok: true, scheme: 'ACS3-HMAC-SHA256', accessKeyId: AK });
    expect(received?.request.headers['x-acs-action']).toBe('CancelTask');
    expect(records.find((r) => r.message === 'alibaba openapi request')?.fields).toMatchObject({
      method: 'POST',
      action: 'CancelTask',
      status: 200,
      requestId: response.requestId,
    });
    expectNoSecrets(records);
  });

  it('sends the STS token as x-acs-security-token and never logs it', async () => {
    const { ctx, records } = testContext({ endpoint: cloud.url, env: stsEnv });
    await callRpc(ctx, { product: 'oos', version: '2019-06-01', action: 'CancelExecution', params: { ExecutionId: 'exec-1' } });
    expect(cloud.received[0]?.verdict).toMatchObject({ ok: true, accessKeyId: STS_AK });
    expect(cloud.received[0]?.request.headers['x-acs-security-token']).toBe(TOKEN);
    expectNoSecrets(records);
  });

  it('maps cloud errors to the taxonomy, keeping code, message and request id', async () => {
    const { ctx } = testContext({ endpoint: cloud.url, env });
    const call = (errorCodes?: Record<string, 'NotCancellable'>) =>
      callRpc(ctx, { product: 'ecs', version: '2014-05-26', action: 'CancelTask', params: { RegionId: 'cn-hangzhou', TaskId: 't-1' }, ...(errorCodes ? { errorCodes } : {}) });

    cloud.handler = () => {
      throw new EmulatedError(400, 'InvalidTaskId.NotFound', 'The specified "TaskId" is not found.');
    };
    const notFound = await failure(call());
    expect(notFound).toMatchObject({ code: 'NotFound', providerCode: 'InvalidTaskId.NotFound', providerStatus: 400, retryable: false });
    expect(notFound.requestId).toMatch(/^[0-9A-F-]{36}$/);
    expect(notFound.providerMessage).toBe('The specified "TaskId" is not found.');

    cloud.handler = () => {
      throw new EmulatedError(403, 'CancelTaskFailed', 'The task is failed to cancel, Please contact the administrator.');
    };
    expect(await failure(call())).toMatchObject({ code: 'NotCancellable', providerCode: 'CancelTaskFailed' });
    cloud.handler = () => {
      throw new EmulatedError(403, 'Forbidden.RAM', 'User not authorized.');
    };
    expect(await failure(call())).toMatchObject({ code: 'PermissionDenied', providerCode: 'Forbidden.RAM' });
    cloud.handler = () => {
      throw new EmulatedError(403, 'InvalidTaskId.IncorrectTaskStatus', 'The specified task status is invalid.');
    };
    expect(await failure(call({ 'InvalidTaskId.IncorrectTaskStatus': 'NotCancellable' }))).toMatchObject({ code: 'NotCancellable' });

    cloud.handler = () => {
      throw new AlibabaEmulatedError(400, 'Throttling.User', 'Request was denied due to user flow control.', 1500);
    };
    expect(await failure(call())).toMatchObject({ code: 'Throttled', retryable: true, retryAfterMs: 1500, providerStatus: 400 });

    cloud.handler = () => {
      throw new EmulatedError(503, 'ServiceUnavailable', 'The request has failed due to a temporary failure of the server.');
    };
    expect(await failure(call())).toMatchObject({ code: 'Transient', retryable: true, ambiguous: false });
    cloud.handler = (c) => ({ status: 500, body: { RequestId: c.requestId, Code: 'InternalError', Message: 'boom' } });
    expect(await failure(call())).toMatchObject({ code: 'Transient', ambiguous: true });
  });

  it('treats a 2xx body carrying an error Code as the error it is', async () => {
    const { ctx } = testContext({ endpoint: cloud.url, env });
    cloud.handler = (c) => ({ status: 200, body: { RequestId: c.requestId, Code: 'EntityNotExist.Execution', Message: 'no such execution' } });
    expect(await failure(callRpc(ctx, { product: 'oos', version: '2019-06-01', action: 'CancelExecution', params: { ExecutionId: 'e' } }))).toMatchObject({
      code: 'NotFound',
      providerCode: 'EntityNotExist.Execution',
      providerStatus: 200,
    });
    cloud.handler = (c) => ({ status: 200, body: { RequestId: c.requestId, Code: 'Success' } });
    await expect(callRpc(ctx, { product: 'oos', version: '2019-06-01', action: 'CancelExecution', params: { ExecutionId: 'e' } })).resolves.toMatchObject({ status: 200 });
  });

  it('re-signs once with a fresh nonce on SignatureNonceUsed, and only once', async () => {
    const { ctx } = testContext({ endpoint: cloud.url, env });
    let calls = 0;
    cloud.handler = (c) => {
      calls++;
      if (calls === 1) throw new EmulatedError(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');
      return { status: 200, body: { RequestId: c.requestId } };
    };
    await callRpc(ctx, { product: 'ecs', version: '2014-05-26', action: 'DescribeTasks', regionId: 'cn-hangzhou', params: {} });
    expect(cloud.received).toHaveLength(2);
    const [first, second] = cloud.received.map((r) => r.request.headers);
    expect(first?.['x-acs-signature-nonce']).not.toBe(second?.['x-acs-signature-nonce']);
    expect(first?.authorization).not.toBe(second?.authorization);

    cloud.received.length = 0;
    cloud.handler = () => {
      throw new EmulatedError(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');
    };
    const error = await failure(callRpc(ctx, { product: 'ecs', version: '2014-05-26', action: 'DescribeTasks', params: {} }));
    expect(error).toMatchObject({ code: 'Unauthenticated', providerCode: 'SignatureNonceUsed', retryable: false });
    expect(cloud.received).toHaveLength(2);
  });

  it('reports a wrong secret as Unauthenticated without leaking it', async () => {
    const wrong = 'this-is-the-wrong-secret';
    const { ctx, records } = testContext({ endpoint: cloud.url, env: { ...env, ALIBABA_CLOUD_ACCESS_KEY_SECRET: wrong } });
    const error = await failure(callRpc(ctx, { product: 'ecs', version: '2014-05-26', action: 'CancelTask', params: { TaskId: 't' } }));
    expect(error).toMatchObject({ code: 'Unauthenticated', providerCode: 'SignatureDoesNotMatch', providerStatus: 400 });
    expectNoSecrets(error, [wrong]);
    expectNoSecrets(records, [wrong]);
    const unknown = testContext({ endpoint: cloud.url, env: { ...env, ALIBABA_CLOUD_ACCESS_KEY_ID: 'who' } });
    expect(await failure(callRpc(unknown.ctx, { product: 'ecs', version: '2014-05-26', action: 'CancelTask', params: {} }))).toMatchObject({
      code: 'Unauthenticated',
      providerCode: 'InvalidAccessKeyId.NotFound',
      providerStatus: 404,
    });
  });

  it('turns a reset connection into an ambiguous Transient error that holds no secret', async () => {
    const { ctx, records } = testContext({ endpoint: cloud.url, env: stsEnv });
    cloud.handler = () => 'reset';
    const error = await failure(callRpc(ctx, { product: 'ecs', version: '2014-05-26', action: 'CancelTask', params: { TaskId: 't' } }));
    expect(error).toMatchObject({ code: 'Transient', ambiguous: true, retryable: true });
    expect(error.message).toContain('CancelTask');
    expectNoSecrets(error);
    expectNoSecrets(records);
  });

  it('refuses bad input before sending anything', async () => {
    const { ctx } = testContext({ endpoint: cloud.url, env });
    const bad = [
      callRpc(ctx, { product: 'ecs', version: '2014-05-26', action: 'Cancel Task', params: {} }),
      callRpc(ctx, { product: 'ecs', version: 'latest', action: 'CancelTask', params: {} }),
      callRpc(ctx, { product: 'ecs', version: '2014-05-26', action: 'CancelTask', params: { 'a&b': 'x' } }),
      callRpc(ctx, { product: 'ecs', version: '2014-05-26', action: 'CancelTask', params: { N: Number.NaN } }),
      callRpc(testContext({ env }).ctx, { product: 'ecs', version: '2014-05-26', action: 'CancelTask', regionId: 'evil.com/#', params: {} }),
      callRpc(testContext({ env }).ctx, { product: 'oos', version: '2019-06-01', action: 'CancelExecution', params: {} }),
      callRpc(testContext({ env, endpoint: 'http://10.0.0.1:80' }).ctx, { product: 'ecs', version: '2014-05-26', action: 'CancelTask', params: {} }),
      callRpc(testContext({ env, endpoint: `${cloud.url}/prefix` }).ctx, { product: 'ecs', version: '2014-05-26', action: 'CancelTask', params: {} }),
    ];
    for (const promise of bad) {
      const error = await failure(promise);
      expect(error.code).toBe('InvalidInput');
      expect(error.issues.length).toBeGreaterThan(0);
    }
    expect(cloud.received).toHaveLength(0);
  });

  it('says where it looked when there are no credentials, and sends nothing', async () => {
    const { ctx } = testContext({ endpoint: cloud.url, env: {} });
    const error = await failure(callRpc(ctx, { product: 'ecs', version: '2014-05-26', action: 'CancelTask', params: {} }));
    expect(error.code).toBe('Unauthenticated');
    expect(error.message).toMatch(/ALIBABA_CLOUD_ACCESS_KEY_ID/);
    expect(cloud.received).toHaveLength(0);
  });
});

describe('endpoint sources', () => {
  it('sends to what a bound EndpointSource answers for the product and region, else to the default table', async () => {
    const asked: EndpointRequest[] = [];
    const source: EndpointSource = {
      provider: 'alibaba',
      description: 'test router',
      resolve(request) {
        asked.push(request);
        return request.product === 'ecs' ? cloud.url : undefined;
      },
    };
    const routed = { env: { ...env, ALIBABA_CLOUD_REGION_ID: 'cn-shanghai' }, provider: 'alibaba', service: 'alibaba.ecs', endpointSources: [source] };
    const response = await callRpc<{ RequestId: string }>(testContext(routed).ctx, { product: 'ecs', version: '2014-05-26', action: 'CancelTask', params: { TaskId: 't-1' } });
    expect(response.status).toBe(200);
    expect(cloud.received).toHaveLength(1);
    expect(cloud.received[0]?.verdict).toMatchObject({ ok: true, accessKeyId: AK });
    // The region the client resolved (here from the environment) is what the source is told.
    expect(asked).toEqual([{ provider: 'alibaba', service: 'alibaba.ecs', product: 'ecs', region: 'cn-shanghai' }]);

    // No opinion from the source: the product's own table decides, here refusing OOS without a region.
    const error = await failure(callRpc(testContext({ ...routed, env }).ctx, { product: 'oos', version: '2019-06-01', action: 'CancelExecution', params: {} }));
    expect(error).toMatchObject({ code: 'InvalidInput', issues: [{ field: 'regionId' }] });
    expect(cloud.received).toHaveLength(1);
  });
});

describe('callRoa', () => {
  it('encodes each path segment exactly once so ids cannot escape their segment', async () => {
    const { ctx } = testContext({ endpoint: cloud.url, env });
    const fsmIds = [
      'tisplus_opensearch@datasource_flow_fsm@1865410598556969-ha-cn-pl32rf0****_api2@null@MANUAL@1649729867698@028315',
      '../../admin',
      'a/b?c#d',
      "it's (100%) ~ok~ !",
      '%2e%2e',
      'ünïcode 中文',
    ];
    for (const fsmId of fsmIds) {
      cloud.received.length = 0;
      cloud.handler = (c) => ({ status: 200, body: { requestId: c.requestId, result: {} } });
      const response = await callRoa<{ requestId: string; result: object }>(ctx, {
        product: 'searchengine',
        version: '2021-10-25',
        action: 'StopTask',
        method: 'PUT',
        pathSegments: ['openapi', 'ha3', 'instances', 'ha-cn-pl32rf0****', 'stop-task', fsmId],
      });
      expect(response.body.result).toEqual({});
      expect(response.requestId).toBe(response.body.requestId);
      const received = cloud.received[0];
      expect(received?.verdict).toMatchObject({ ok: true, scheme: 'ACS3-HMAC-SHA256' });
      const segments = (received?.request.rawPath ?? '').split('/').slice(1).map(decodeURIComponent);
      expect(segments).toEqual(['openapi', 'ha3', 'instances', 'ha-cn-pl32rf0****', 'stop-task', fsmId]);
    }
  });

  it('sends a JSON body and a query, signed, and maps ROA error bodies', async () => {
    const { ctx } = testContext({ endpoint: cloud.url, env: stsEnv });
    cloud.handler = (c) => ({ status: 200, body: { requestId: c.requestId, result: { query: c.identified.params, body: JSON.parse(c.request.body.toString()) } } });
    const response = await callRoa<{ result: { query: object; body: object } }>(ctx, {
      product: 'searchengine',
      version: '2021-10-25',
      action: 'ListTasks',
      method: 'POST',
      pathSegments: ['openapi', 'ha3', 'instances', 'ha-1', 'tasks'],
      query: { start: 1718846192, end: 'a b:c' },
      body: { note: 'ü' },
    });
    expect(response.body.result).toEqual({ query: { start: '1718846192', end: 'a b:c' }, body: { note: 'ü' } });
    expect(cloud.received[0]?.request.headers['content-type']).toBe('application/json; charset=utf-8');

    cloud.handler = () => {
      throw new EmulatedError(404, 'instance.NotFound', 'Instance not found');
    };
    const error = await failure(callRoa(ctx, { product: 'searchengine', version: '2021-10-25', action: 'StopTask', method: 'PUT', pathSegments: ['openapi', 'x'] }));
    expect(error).toMatchObject({ code: 'NotFound', providerCode: 'instance.NotFound', providerMessage: 'Instance not found', providerStatus: 404 });
    expect(error.requestId).toMatch(/^[0-9A-F-]{36}$/);
    expectNoSecrets(error);
  });

  it('refuses dot segments and empty segments without sending', async () => {
    const { ctx } = testContext({ endpoint: cloud.url, env });
    for (const segment of ['..', '.', '']) {
      const error = await failure(callRoa(ctx, { product: 'searchengine', version: '2021-10-25', action: 'StopTask', method: 'PUT', pathSegments: ['openapi', segment] }));
      expect(error).toMatchObject({ code: 'InvalidInput', issues: [{ field: 'pathSegments.1' }] });
    }
    expect(cloud.received).toHaveLength(0);
  });
});
