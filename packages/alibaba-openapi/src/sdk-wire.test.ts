/**
 * The emulation protocols against real official-SDK traffic: `@alicloud/openapi-client` (the generic
 * client every product SDK of its generation wraps) calls a local server that authenticates with
 * alibabaRpcProtocol / alibabaRoaProtocol. Default V3 signing and the legacy V1 (`signatureAlgorithm: 'v2'`)
 * paths are both exercised, with the awkward ids the wire doc warns about.
 */
import { createRequire } from 'node:module';
import type OpenApiClientModule from '@alicloud/openapi-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type TestCloud, startTestCloud } from './test-support/cloud.js';

type OpenApi = typeof OpenApiClientModule;
// CommonJS with `exports.default`; require keeps the shape the same under every loader.
const sdk = createRequire(import.meta.url)('@alicloud/openapi-client') as OpenApi;

const AK = 'cancelkit-demo-ak';
const SECRET = 'cancelkit-demo-sk';
let cloud: TestCloud;

beforeAll(async () => {
  cloud = await startTestCloud([{ accessKeyId: AK, secret: SECRET }], (call) =>
    call.protocol.name === 'alibaba-rpc'
      ? { status: 200, body: { RequestId: call.requestId, Params: call.identified.params } }
      : { status: 200, body: { requestId: call.requestId, result: {} } },
  );
});
afterAll(() => cloud.close());
beforeEach(() => {
  cloud.received.length = 0;
});

function client(signatureAlgorithm?: 'v2'): InstanceType<OpenApi['default']> {
  const endpoint = new URL(cloud.url).host;
  return new sdk.default(new sdk.Config({ accessKeyId: AK, accessKeySecret: SECRET, endpoint, protocol: 'http', ...(signatureAlgorithm ? { signatureAlgorithm } : {}) }));
}

const rpcParams = (action: string, version: string) =>
  new sdk.Params({ action, version, protocol: 'HTTPS', pathname: '/', method: 'POST', authType: 'AK', style: 'RPC', reqBodyType: 'formData', bodyType: 'json' });

/** The product SDKs' path-segment encoder (`percentEncode`), quirks included. */
const sdkSegment = (value: string) => encodeURIComponent(value).replace('+', '%20').replace('*', '%2A').replace('%7E', '~');

const IDS = ["t-1 @*~!(x)", "it's", 'ünï中', 'tisplus@datasource_flow_fsm@1865-ha-cn-pl32rf0****@MANUAL@1649729867698'];

describe('official SDK traffic is accepted by the emulation protocols', () => {
  for (const mode of [undefined, 'v2'] as const) {
    const scheme = mode === 'v2' ? 'RPC-V1-HMAC-SHA1' : 'ACS3-HMAC-SHA256';
    it(`RPC CancelTask (${scheme})`, async () => {
      for (const id of IDS) {
        cloud.received.length = 0;
        const response = await client(mode).callApi(
          rpcParams('CancelTask', '2014-05-26'),
          new sdk.OpenApiRequest({ query: { RegionId: 'cn-hangzhou', TaskId: id } }),
          {} as never,
        );
        expect(cloud.received[0]?.verdict).toMatchObject({ ok: true, scheme, accessKeyId: AK });
        expect(response.body.Params).toEqual({ RegionId: 'cn-hangzhou', TaskId: id });
      }
    });
  }

  for (const mode of [undefined, 'v2'] as const) {
    const scheme = mode === 'v2' ? 'ROA-V1-HMAC-SHA1' : 'ACS3-HMAC-SHA256';
    it(`ROA StopTask with awkward ids (${scheme})`, async () => {
      for (const fsmId of IDS) {
        cloud.received.length = 0;
        const pathname = `/openapi/ha3/instances/${sdkSegment('ha-cn-pl32rf0****')}/stop-task/${sdkSegment(fsmId)}`;
        const params = new sdk.Params({ action: 'StopTask', version: '2021-10-25', protocol: 'HTTPS', pathname, method: 'PUT', authType: 'AK', style: 'ROA', reqBodyType: 'json', bodyType: 'json' });
        const response = await client(mode).callApi(params, new sdk.OpenApiRequest({}), {} as never);
        expect(cloud.received[0]?.verdict).toMatchObject({ ok: true, scheme });
        expect(response.body).toMatchObject({ result: {} });
      }
    });
  }

  it('rejects an SDK configured with the wrong secret with the cloud error the SDK understands', async () => {
    const endpoint = new URL(cloud.url).host;
    const wrong = new sdk.default(new sdk.Config({ accessKeyId: AK, accessKeySecret: 'not-the-secret', endpoint, protocol: 'http' }));
    await expect(
      wrong.callApi(rpcParams('CancelTask', '2014-05-26'), new sdk.OpenApiRequest({ query: { TaskId: 't' } }), {} as never),
    ).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
  });
});
