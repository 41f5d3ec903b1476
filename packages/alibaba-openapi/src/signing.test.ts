/**
 * Parity with the official signer: every Authorization value here is compared byte for byte with what
 * `@alicloud/openapi-util` computes for the same request, date and nonce. Plus the published vectors.
 */
import { createRequire } from 'node:module';
import type OpenApiUtilModule from '@alicloud/openapi-util';
import { isCancelKitError } from '@cancelkit/core';
import { describe, expect, it } from 'vitest';
import { signAcs3 } from './acs3.js';
import { buildPath, encodePathSegment } from './encoding.js';
import { roaV1StringToSign, rpcV1StringToSign, signRoaV1, signRoaV1Request, signRpcV1 } from './v1.js';

// Loaded through require: the package is CommonJS with `exports.default`, which ESM interop wraps differently per loader.
const official = (createRequire(import.meta.url)('@alicloud/openapi-util') as typeof OpenApiUtilModule).default;

const DATE = '2026-01-01T00:00:00Z';
const NONCE = '3156853299f313e23d1673dc12e1703d';
const KEY = { accessKeyId: 'testAK', accessKeySecret: 'testSecret' };
const STS = { accessKeyId: 'STS.testAK', accessKeySecret: 'stsSecret', securityToken: 'STS.token/with+odd=chars' };

/** Ids that exercise every encoding rule the wire doc warns about. */
const AWKWARD_IDS = [
  't-bp198jigq7l0h5ac1234',
  'tisplus_opensearch@datasource_flow_fsm@1865410598556969-ha-cn-pl32rf0****_api2@bj_vpc_domain_1@null@MANUAL@1649729867698@028315',
  'with space',
  'star*one',
  'stars***many**',
  'tilde~id',
  "quote'd",
  'bang!',
  'paren(1)',
  'ünïcödé-中文-😀',
  'plus+amp&eq=slash/pct%25hash#q?',
  ' leading and trailing ',
];

/** The SDK's own path-segment encoder (`$dara.URL.percentEncode`): string replace hits only the first match. */
function sdkPercentEncode(value: string): string {
  return encodeURIComponent(value).replace('+', '%20').replace('*', '%2A').replace('%7E', '~');
}

function officialAcs3(method: string, pathname: string, query: Record<string, string>, headers: Record<string, string>, creds: { accessKeyId: string; accessKeySecret: string }): string {
  const { authorization: _ours, ...unsigned } = headers;
  // accept and user-agent are sent by the SDK but not signed: include them to prove they are ignored.
  const request = { method, pathname, query, headers: { ...unsigned, accept: 'application/json', 'user-agent': 'AlibabaCloud (linux; x64)' } };
  return official.getAuthorization(request as never, 'ACS3-HMAC-SHA256', unsigned['x-acs-content-sha256'] ?? '', creds.accessKeyId, creds.accessKeySecret);
}

describe('ACS3-HMAC-SHA256 parity with @alicloud/openapi-util getAuthorization', () => {
  it.each(AWKWARD_IDS)('RPC request with id %j', (id) => {
    const query = { RegionId: 'cn-hangzhou', TaskId: id, Ids: `${id},1508310` };
    for (const creds of [KEY, STS]) {
      const headers = signAcs3(
        { method: 'POST', host: 'ecs.cn-hangzhou.aliyuncs.com', path: '/', query, action: 'CancelTask', version: '2014-05-26' },
        creds,
        { date: DATE, nonce: NONCE },
      );
      expect(headers.authorization).toBe(officialAcs3('POST', '/', query, headers, creds));
    }
  });

  it.each(AWKWARD_IDS)('ROA request with fsmId %j', (fsmId) => {
    const instanceId = 'ha-cn-pl32rf0****';
    const path = buildPath(['openapi', 'ha3', 'instances', instanceId, 'stop-task', fsmId]);
    for (const creds of [KEY, STS]) {
      const headers = signAcs3(
        { method: 'PUT', host: 'searchengine.cn-hangzhou.aliyuncs.com', path, action: 'StopTask', version: '2021-10-25' },
        creds,
        { date: DATE, nonce: NONCE },
      );
      expect(headers.authorization).toBe(officialAcs3('PUT', path, {}, headers, creds));
    }
  });

  it('signs the same path the official product SDK builds, for ids where its first-match-only encoder is exact', () => {
    for (const id of AWKWARD_IDS.filter((i) => (i.match(/\*/g) ?? []).length <= 1)) {
      expect(encodePathSegment(id)).toBe(sdkPercentEncode(id));
    }
    // With several `*` the SDK sends `%2A***` yet signs `%2A%2A%2A%2A`; we send and sign the latter.
    expect(encodePathSegment('a****')).toBe('a%2A%2A%2A%2A');
    expect(sdkPercentEncode('a****')).toBe('a%2A***');
  });

  it('ROA with a query and a JSON body (content-type signed)', () => {
    const body = JSON.stringify({ note: "it's ünïcode & more" });
    const query = { start: '1718846192', end: 'a b:c', filter: "x*y'z(1)!" };
    const headers = signAcs3(
      {
        method: 'POST',
        host: '127.0.0.1:8787',
        path: buildPath(['openapi', 'ha3', 'instances', 'ha-cn-1', 'tasks']),
        query,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body,
        action: 'ListTasks',
        version: '2021-10-25',
      },
      STS,
      { date: DATE, nonce: NONCE },
    );
    expect(headers.authorization).toMatch(/SignedHeaders=content-type;host;x-acs-accesskey-id;/);
    // The body hash is the official one too (getAuthorization below is handed whatever hash we sent).
    expect(headers['x-acs-content-sha256']).toBe(official.hexEncode(official.hash(Buffer.from(body, 'utf8'), 'ACS3-HMAC-SHA256')));
    expect(headers.authorization).toBe(officialAcs3('POST', '/openapi/ha3/instances/ha-cn-1/tasks', query, headers, STS));
  });
});

describe('published ACS3 vectors (wire doc §4.1)', () => {
  const signatureOf = (authorization: string | undefined) => /Signature=([0-9a-f]{64})$/.exec(authorization ?? '')?.[1];

  it('A: the official V3 doc example', () => {
    const headers = signAcs3(
      {
        method: 'POST',
        host: 'ecs.cn-shanghai.aliyuncs.com',
        path: '/',
        query: { ImageId: 'win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd', RegionId: 'cn-shanghai' },
        action: 'RunInstances',
        version: '2014-05-26',
      },
      { accessKeyId: 'YourAccessKeyId', accessKeySecret: 'YourAccessKeySecret' },
      { date: '2023-10-26T10:22:32Z', nonce: '3156853299f313e23d1673dc12e1703d' },
    );
    expect(signatureOf(headers.authorization)).toBe('06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0');
    expect(headers.authorization).toBe(
      'ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0',
    );
  });

  it('B: ECS CancelTask', () => {
    const headers = signAcs3(
      { method: 'POST', host: 'ecs.cn-hangzhou.aliyuncs.com', path: '/', query: { RegionId: 'cn-hangzhou', TaskId: 't-bp198jigq7l0h5ac1234' }, action: 'CancelTask', version: '2014-05-26' },
      KEY,
      { date: DATE, nonce: NONCE },
    );
    expect(signatureOf(headers.authorization)).toBe('0b3987745f6affdacc93265148e6fd6f4cdbcf396b59937e937c75de11e37a06');
  });

  it('C: ha3 StopTask (ROA)', () => {
    const headers = signAcs3(
      { method: 'PUT', host: 'searchengine.cn-hangzhou.aliyuncs.com', path: buildPath(['openapi', 'ha3', 'instances', 'ha-cn-pl32rf0abcd', 'stop-task', 'fsm-123']), action: 'StopTask', version: '2021-10-25' },
      KEY,
      { date: DATE, nonce: NONCE },
    );
    expect(signatureOf(headers.authorization)).toBe('d9336fcb8535bac25e908713743663693effbcbd0b1cb457b703ab0f27050863');
  });

  it('D: OOS CancelExecution with a form body', () => {
    const headers = signAcs3(
      {
        method: 'POST',
        host: 'oos.cn-hangzhou.aliyuncs.com',
        path: '/',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'ExecutionId=exec-123&RegionId=cn-hangzhou',
        action: 'CancelExecution',
        version: '2019-06-01',
      },
      KEY,
      { date: DATE, nonce: NONCE },
    );
    expect(headers['x-acs-content-sha256']).toBe('cab8ed5ea11343796d9b2f204812207a3502b69abdf0ff020d0ac9c5b9a5644f');
    expect(headers.authorization).toContain('SignedHeaders=content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,');
    expect(signatureOf(headers.authorization)).toBe('9c3b35ac5a3860f1a44db758b062bf573dd4adc93c4249e2cfbe64a7114d8bd1');
  });

  it('adds the STS headers and never the secret', () => {
    const headers = signAcs3({ method: 'POST', host: 'h', path: '/', action: 'A', version: '2020-01-01' }, STS, { date: DATE, nonce: NONCE });
    expect(headers['x-acs-accesskey-id']).toBe(STS.accessKeyId);
    expect(headers['x-acs-security-token']).toBe(STS.securityToken);
    expect(JSON.stringify(headers)).not.toContain(STS.accessKeySecret);
  });

  it('refuses header values that could split the request, with an InvalidInput naming the field', () => {
    const refused = (() => {
      try {
        signAcs3({ method: 'POST', host: 'h', path: '/', action: 'A', version: 'v\r\nX: 1' }, KEY);
      } catch (error) {
        return error;
      }
    })();
    expect(isCancelKitError(refused) && refused.code).toBe('InvalidInput');
    expect(refused).toMatchObject({ issues: [{ field: 'version', message: expect.stringContaining('line break') }] });
  });
});

describe('RPC V1 (HMAC-SHA1) parity with openapi-util getRPCSignature', () => {
  it('reproduces the official doc vector', () => {
    const params = {
      AccessKeyId: 'testid',
      Action: 'DescribeRegions',
      Format: 'XML',
      SignatureMethod: 'HMAC-SHA1',
      SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
      SignatureVersion: '1.0',
      Timestamp: '2016-02-23T12:46:24Z',
      Version: '2014-05-26',
    };
    expect(rpcV1StringToSign('GET', params)).toBe(
      'GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26',
    );
    expect(signRpcV1('GET', params, 'testsecret')).toBe('OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
  });

  it('reproduces the Tair vector', () => {
    const params = {
      Action: 'CancelActiveOperationTasks',
      Format: 'json',
      Version: '2015-01-01',
      Timestamp: '2026-01-01T00:00:00Z',
      SignatureNonce: NONCE,
      Ids: '1508850,1508310',
      SignatureMethod: 'HMAC-SHA1',
      SignatureVersion: '1.0',
      AccessKeyId: 'testAK',
    };
    expect(signRpcV1('POST', params, 'testSecret')).toBe('0ME1ywZHsOv5Kdj7AH4YJOG8APQ=');
  });

  it.each(AWKWARD_IDS)('matches the official function for id %j', (id) => {
    const params = { Action: 'CancelTask', Version: '2014-05-26', TaskId: id, RegionId: 'cn-hangzhou', Timestamp: DATE, SignatureNonce: NONCE, AccessKeyId: 'testAK', SecurityToken: STS.securityToken };
    for (const method of ['GET', 'POST']) {
      expect(signRpcV1(method, params, 'testSecret')).toBe(official.getRPCSignature(params, method, 'testSecret'));
    }
  });
});

describe('ROA V1 parity with openapi-util getStringToSign + getROASignature', () => {
  it('reproduces the StopTask vector', () => {
    const headers = signRoaV1Request(
      { method: 'PUT', host: 'searchengine.cn-hangzhou.aliyuncs.com', pathname: '/openapi/ha3/instances/ha-cn-pl32rf0abcd/stop-task/fsm-123', action: 'StopTask', version: '2021-10-25' },
      KEY,
      { date: 'Thu, 01 Jan 2026 00:00:00 GMT', nonce: NONCE },
    );
    expect(headers.authorization).toBe('acs testAK:e9FMlc1r/fDAo+UKcbpPJmDlUpA=');
  });

  it.each(AWKWARD_IDS)('matches the official functions for fsmId %j with a query and STS headers', (fsmId) => {
    const pathname = `/openapi/ha3/instances/ha-cn-1/stop-task/${encodePathSegment(fsmId)}`;
    const query = { start: '1718846192', end: `a b:${fsmId}` };
    const headers = signRoaV1Request(
      { method: 'PUT', host: '127.0.0.1:8787', pathname, query, headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"a":1}', action: 'StopTask', version: '2021-10-25' },
      STS,
      { date: 'Thu, 01 Jan 2026 00:00:00 GMT', nonce: NONCE },
    );
    const { authorization, ...signedInput } = headers;
    const stringToSign = official.getStringToSign({ method: 'PUT', pathname, query, headers: signedInput } as never);
    expect(roaV1StringToSign({ method: 'PUT', pathname, query, headers: signedInput })).toBe(stringToSign);
    expect(authorization).toBe(`acs ${STS.accessKeyId}:${official.getROASignature(stringToSign, STS.accessKeySecret)}`);
    expect(signRoaV1(stringToSign, STS.accessKeySecret)).toBe(official.getROASignature(stringToSign, STS.accessKeySecret));
  });
});
