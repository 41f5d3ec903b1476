/**
 * The official `@huaweicloud/huaweicloud-sdk-core`, unmodified, pointed at `@cancelkit/emulator` as the
 * wire notes §11 describe (the DDS client package is not on the registry, so the generic HcClient sends
 * the exact requests DdsClient would). Its SDK-HMAC-SHA256 signatures must be accepted by the DDS
 * emulation, and its error handling must read the emulation's answers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EmulatorCredential } from '@cancelkit/core/emulation';
import { type RunningEmulator, startEmulator } from '@cancelkit/emulator';
import ddsEmulation from '@cancelkit/plugin-huaweicloud-dds/emulation';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

interface SdkCredentials {
  withAk(ak: string): SdkCredentials;
  withSk(sk: string): SdkCredentials;
  withProjectId(projectId: string): SdkCredentials;
  withSecurityToken(token: string): SdkCredentials;
  withRegionId(regionId: string): SdkCredentials;
  withDerivedPredicate(predicate: (request: unknown) => boolean): SdkCredentials;
}
interface SdkRequestOptions {
  method: string;
  url: string;
  contentType: string;
  queryParams: Record<string, string | number>;
  pathParams: Record<string, string>;
  headers: Record<string, string>;
}
interface HcClient {
  sendRequest(options: SdkRequestOptions): Promise<Record<string, unknown>>;
}
interface SdkClientBuilder {
  withCredential(credential: SdkCredentials): SdkClientBuilder;
  withEndpoint(endpoint: string): SdkClientBuilder;
  withOptions(options: { axiosRequestConfig: { timeout: number } }): SdkClientBuilder;
  withDerivedAuthServiceName(name: string): SdkClientBuilder;
  build(): HcClient;
}
interface SdkException {
  httpStatusCode?: number;
  errorCode?: string;
  errorMsg?: string;
  requestId?: string;
}

const { BasicCredentials } = require('@huaweicloud/huaweicloud-sdk-core') as {
  BasicCredentials: { new (): SdkCredentials; getDefaultDerivedPredicate(request: unknown): boolean };
};
const { ClientBuilder } = require('@huaweicloud/huaweicloud-sdk-core/ClientBuilder') as {
  ClientBuilder: new (init: (client: HcClient) => HcClient) => SdkClientBuilder;
};

const PROJECT = 'cancelkit-demo-project';
const DEMO: EmulatorCredential = { accessKeyId: 'cancelkit-demo-ak', secret: 'cancelkit-demo-sk', projectId: PROJECT };
const TEMP: EmulatorCredential = { accessKeyId: 'HST.sdk-temporary-ak', secret: 'sdk-temporary-sk', securityToken: 'sdk-sts-token-0001', projectId: PROJECT };

let emu: RunningEmulator;
let home: string;
const previousHome = process.env.HOME;

beforeAll(async () => {
  // Building an SDK client writes ~/.huaweicloud/application_id: keep it out of the real home.
  home = await mkdtemp(path.join(tmpdir(), 'cancelkit-huawei-sdk-home-'));
  process.env.HOME = home;
  emu = await startEmulator({ port: 0, emulations: [ddsEmulation], credentials: [DEMO, TEMP] });
});
afterAll(async () => {
  await emu.stop();
  if (previousHome === undefined) delete process.env.HOME;
  else process.env.HOME = previousHome;
  await rm(home, { recursive: true, force: true });
});
beforeEach(() => {
  emu.reset();
});

function client(credential: EmulatorCredential = DEMO, sk = credential.secret): HcClient {
  let credentials = new BasicCredentials().withAk(credential.accessKeyId).withSk(sk).withProjectId(credential.projectId ?? '');
  if (credential.securityToken) credentials = credentials.withSecurityToken(credential.securityToken);
  return new ClientBuilder((c) => c)
    .withCredential(credentials)
    .withEndpoint(emu.url)
    .withOptions({ axiosRequestConfig: { timeout: 5_000 } })
    .build();
}

const cancelRequest = (jobId: string): SdkRequestOptions => ({
  method: 'DELETE',
  url: '/v3/{project_id}/scheduled-jobs/{job_id}',
  contentType: 'application/json',
  queryParams: {},
  pathParams: { job_id: jobId },
  headers: {},
});
const listRequest = (queryParams: Record<string, string | number>): SdkRequestOptions => ({
  method: 'GET',
  url: '/v3/{project_id}/scheduled-jobs',
  contentType: 'application/json',
  queryParams,
  pathParams: {},
  headers: {},
});

/** The SDK logs every failed request (Authorization header included) to stdout; keep that out of test output. */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return await fn();
  } finally {
    process.stdout.write = write;
  }
}

/** `yyyy-mm-ddThh:mm:ss+0800`, the list API's time format, in UTC+8 as the docs' examples are. */
function beijingTime(ms: number): string {
  return new Date(ms + 8 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, '+0800');
}

const statusOf = (jobId: string) => emu.listOperations('huaweicloud.dds').find((op) => op.id === jobId)?.status;

describe('official Huawei Cloud SDK signer → DDS emulation', () => {
  it('lists scheduled tasks with every filter (query signed with + and : escaped)', async () => {
    const pending = emu.createOperation('huaweicloud.dds', { status: 'Pending', instanceId: 'inst01' }).id;
    emu.createOperation('huaweicloud.dds', { status: 'Running', instanceId: 'inst01' });
    const now = Date.now();
    const result = await client().sendRequest(
      listRequest({
        job_name: 'RESIZE_FLAVOR',
        job_status: 'Pending',
        instance_id: 'inst01',
        start_time: beijingTime(now - 3_600_000),
        end_time: beijingTime(now + 3_600_000),
        offset: 0,
        limit: 10,
      }),
    );
    expect(result.httpStatusCode).toBe(200);
    expect(result.total_count).toBe(1);
    expect(result.schedules).toEqual([expect.objectContaining({ job_id: pending, job_status: 'Pending', job_name: 'RESIZE_FLAVOR', instance_id: 'inst01' })]);
    expect(emu.requests()[0]).toMatchObject({ action: 'ListScheduledTasks', status: 200, signature: { scheme: 'SDK-HMAC-SHA256', ok: true } });
  });

  it('cancels a Pending task (204 → {httpStatusCode: 204}); it stays listed as Canceled', async () => {
    const jobId = emu.createOperation('huaweicloud.dds', { status: 'Pending' }).id;
    const result = await client().sendRequest(cancelRequest(jobId));
    expect(result).toEqual({ httpStatusCode: 204 });
    expect(statusOf(jobId)).toBe('Canceled');
    const listed = await client().sendRequest(listRequest({ job_status: 'Canceled', limit: 10, offset: 0 }));
    expect(listed.schedules).toEqual([expect.objectContaining({ job_id: jobId, job_status: 'Canceled' })]);
  });

  it('temporary credentials: the signed X-Security-Token is accepted', async () => {
    const jobId = emu.createOperation('huaweicloud.dds', { status: 'Pending' }).id;
    expect(await client(TEMP).sendRequest(cancelRequest(jobId))).toEqual({ httpStatusCode: 204 });
  });

  it('derived keys (V11-HMAC-SHA256, as the SDK uses them for non-huaweicloud hosts) are accepted', async () => {
    const jobId = emu.createOperation('huaweicloud.dds', { status: 'Pending' }).id;
    const credentials = new BasicCredentials()
      .withAk(DEMO.accessKeyId)
      .withSk(DEMO.secret)
      .withProjectId(PROJECT)
      .withRegionId('cn-north-4')
      // Wrapped: the SDK's predicate loses `this` when passed bare (wire notes §7.2).
      .withDerivedPredicate((request) => BasicCredentials.getDefaultDerivedPredicate(request));
    const derived = new ClientBuilder((c) => c).withCredential(credentials).withEndpoint(emu.url).withDerivedAuthServiceName('dds').build();
    expect(await derived.sendRequest(cancelRequest(jobId))).toEqual({ httpStatusCode: 204 });
    expect(emu.requests()[0]?.signature).toEqual({ scheme: 'V11-HMAC-SHA256', ok: true });
  });

  it('a task that is not Pending: ClientRequestException with the DBS code and the X-Request-Id', async () => {
    const jobId = emu.createOperation('huaweicloud.dds', { status: 'Running' }).id;
    const error = (await quietly(() => client().sendRequest(cancelRequest(jobId)).catch((e: unknown) => e))) as SdkException;
    expect(error).toMatchObject({ httpStatusCode: 400, errorCode: 'DBS.200004', errorMsg: 'Operation is illegal.' });
    expect(error.requestId).toBe(emu.requests()[0]?.requestId);
    expect(statusOf(jobId)).toBe('Running');
  });

  it('a wrong SK: 401 APIGW.0301 from the gateway, task untouched', async () => {
    const jobId = emu.createOperation('huaweicloud.dds', { status: 'Pending' }).id;
    const error = (await quietly(() => client(DEMO, 'wrong-secret-key').sendRequest(cancelRequest(jobId)).catch((e: unknown) => e))) as SdkException;
    expect(error).toMatchObject({ httpStatusCode: 401, errorCode: 'APIGW.0301' });
    expect(emu.requests()[0]?.signature).toMatchObject({ ok: false, code: 'APIGW.0301' });
    expect(statusOf(jobId)).toBe('Pending');
  });
});
