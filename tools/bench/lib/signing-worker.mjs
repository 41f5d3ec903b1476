/**
 * Signing throughput of one implementation, in its own process.
 * Usage: node signing-worker.mjs <durationMs> <case>...  → one {"case", "ops", "ms", "opsPerSec"} line per case
 *        node signing-worker.mjs parity                 → whether ours and the official signers agree
 *
 * Every case performs the whole signing step a client does per request, on the same input (ECS CancelTask
 * over RPC for ACS3; DDS DELETE scheduled-job for SDK-HMAC-SHA256): take the current time, make a nonce
 * (ACS3), hash the (empty) body, canonicalise and HMAC. For the official ACS3 signers that step is spread
 * over helper calls, copied here in the order `doRequest` makes them (openapi-client 0.4 with
 * openapi-util + tea-util; openapi-core 1.0, which @alicloud/ecs20140526 v7 runs).
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { signAcs3 } from '@cancelkit/alibaba-openapi';
import { signSdkHmacSha256 } from '@cancelkit/huaweicloud-apig';

const require = createRequire(import.meta.url);
const KEY = { accessKeyId: 'cancelkit-demo-ak', accessKeySecret: 'cancelkit-demo-sk' };
const HOST = 'ecs.cn-hangzhou.aliyuncs.com';
const QUERY = { RegionId: 'cn-hangzhou', TaskId: 't-bp198jigq7l0h5ac1234' };
const USER_AGENT = 'AlibabaCloud (linux; x64) Node.js/v24 Core/1.0.8 TeaDSL/2';
const HW_URL = 'https://dds.cn-north-4.myhuaweicloud.com/v3/0123456789abcdef0123456789abcdef/scheduled-jobs/3861199d-c196-4791-bcd0-b45fde754f50';
const HW_HEADERS = { 'content-type': 'application/json', 'X-Project-Id': '0123456789abcdef0123456789abcdef' };
const HW_KEY = { ak: 'HPUAEXAMPLEAK0000001', sk: 'exampleSecretKey0000000000000000000000000' };

function acs3Ours(fixed) {
  const headers = signAcs3(
    { method: 'POST', host: HOST, path: '/', query: QUERY, headers: { accept: 'application/json', 'user-agent': USER_AGENT }, action: 'CancelTask', version: '2014-05-26' },
    KEY,
    fixed ?? {},
  );
  return headers.authorization;
}

function acs3OpenApiUtil(fixed) {
  const OpenApiUtil = require('@alicloud/openapi-util').default;
  const Util = require('@alicloud/tea-util').default;
  return () => {
    const headers = {
      host: HOST,
      'x-acs-version': '2014-05-26',
      'x-acs-action': 'CancelTask',
      'user-agent': USER_AGENT,
      'x-acs-date': fixed?.date ?? OpenApiUtil.getTimestamp(),
      'x-acs-signature-nonce': fixed?.nonce ?? Util.getNonce(),
      accept: 'application/json',
    };
    const payload = OpenApiUtil.hexEncode(OpenApiUtil.hash(Util.toBytes(''), 'ACS3-HMAC-SHA256'));
    headers['x-acs-content-sha256'] = payload;
    const request = { method: 'POST', pathname: '/', query: { ...QUERY }, headers };
    return OpenApiUtil.getAuthorization(request, 'ACS3-HMAC-SHA256', payload, KEY.accessKeyId, KEY.accessKeySecret);
  };
}

function acs3OpenApiCore(fixed) {
  const Utils = require('@alicloud/openapi-core/dist/utils.js').default;
  return () => {
    const headers = {
      host: HOST,
      'x-acs-version': '2014-05-26',
      'x-acs-action': 'CancelTask',
      'user-agent': USER_AGENT,
      'x-acs-date': fixed?.date ?? Utils.getTimestamp(),
      'x-acs-signature-nonce': fixed?.nonce ?? Utils.getNonce(),
      accept: 'application/json',
    };
    const payload = Utils.hash(Buffer.from('', 'utf8'), 'ACS3-HMAC-SHA256').toString('hex');
    headers['x-acs-content-sha256'] = payload;
    const request = { method: 'POST', pathname: '/', query: { ...QUERY }, headers };
    return Utils.getAuthorization(request, 'ACS3-HMAC-SHA256', payload, KEY.accessKeyId, KEY.accessKeySecret);
  };
}

function hmacOurs() {
  return signSdkHmacSha256({ method: 'DELETE', url: HW_URL, headers: HW_HEADERS }, HW_KEY).Authorization;
}

function hmacOfficial() {
  const { AKSKSigner } = require('@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner');
  const credential = { getAk: () => HW_KEY.ak, getSk: () => HW_KEY.sk };
  // HcClient hands the signer a fresh request object (with its own headers) for every call.
  return () => AKSKSigner.sign({ method: 'DELETE', endpoint: HW_URL, headers: { ...HW_HEADERS }, queryParams: {} }, credential).Authorization;
}

/**
 * EXPERIMENTS (informational rows): the same public functions given, through their documented options,
 * what a cheaper implementation would compute itself — a nonce cut from a pooled block of random bytes
 * instead of one randomBytes(16) call (a getrandom syscall) per signature, and an X-Sdk-Date string
 * formatted once per second instead of per call. They measure what those fixes would buy.
 */
function pooledNonces() {
  let pool = randomBytes(0);
  let offset = 0;
  return () => {
    if (offset + 16 > pool.length) {
      pool = randomBytes(16 * 256);
      offset = 0;
    }
    offset += 16;
    return pool.toString('hex', offset - 16, offset);
  };
}

function acs3OursPooledNonce() {
  const nonce = pooledNonces();
  return () => acs3Ours({ nonce: nonce() });
}

function hmacOursCachedDate() {
  let second = -1;
  let date = '';
  return () => {
    const now = Date.now();
    if (Math.floor(now / 1000) !== second) {
      second = Math.floor(now / 1000);
      date = new Date(second * 1000).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
    }
    return signSdkHmacSha256({ method: 'DELETE', url: HW_URL, headers: HW_HEADERS }, HW_KEY, { date }).Authorization;
  };
}

const CASES = {
  'acs3-ours': () => () => acs3Ours(),
  'acs3-ours-pooled-nonce': () => acs3OursPooledNonce(),
  'hmac-ours-cached-date': () => hmacOursCachedDate(),
  'acs3-openapi-util': () => acs3OpenApiUtil(),
  'acs3-openapi-core': () => acs3OpenApiCore(),
  'hmac-ours': () => hmacOurs,
  'hmac-sdk-core': () => hmacOfficial(),
};

const [name] = process.argv.slice(2);

if (name === 'parity') {
  // Same instant and nonce for everyone: the signatures must be identical, or the comparison is void.
  const fixed = { date: '2026-01-01T00:00:00Z', nonce: '3156853299f313e23d1673dc12e1703d' };
  const ours = acs3Ours(fixed);
  const realNow = Date.now;
  Date.now = () => Date.UTC(2026, 0, 1);
  const hwOurs = hmacOurs();
  const hwOfficial = hmacOfficial()();
  Date.now = realNow;
  process.stdout.write(
    `${JSON.stringify({
      'acs3-openapi-util': ours === acs3OpenApiUtil(fixed)(),
      'acs3-openapi-core': ours === acs3OpenApiCore(fixed)(),
      'hmac-sdk-core': hwOurs === hwOfficial,
    })}\n`,
  );
  process.exit(0);
}

// Every case named on the command line runs in this one process, in turns of SLICE_MS each (the order
// rotating every turn), so drift on a busy machine hits all of them alike.
const SLICE_MS = 25;
const names = process.argv.slice(3);
const durationMs = Number(name);
const signers = names.map((n) => {
  const make = CASES[n];
  if (!make) throw new Error(`unknown case ${n}; known: ${Object.keys(CASES).join(', ')}`);
  return { name: n, sign: make(), ops: 0, ms: 0 };
});
let sink = 0;
const spin = (signer, ms) => {
  let ops = 0;
  const start = performance.now();
  const end = start + ms;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 50; i++) sink += signer.sign().length;
    ops += 50;
    now = performance.now();
  }
  return { ops, ms: now - start };
};
for (const signer of signers) spin(signer, 300); // warm-up: let the JIT settle
const turns = Math.max(1, Math.round(durationMs / SLICE_MS));
for (let t = 0; t < turns; t++) {
  for (let i = 0; i < signers.length; i++) {
    const signer = signers[(i + t) % signers.length];
    const { ops, ms } = spin(signer, SLICE_MS);
    signer.ops += ops;
    signer.ms += ms;
  }
}
for (const signer of signers) {
  process.stdout.write(`${JSON.stringify({ case: signer.name, ops: signer.ops, ms: signer.ms, opsPerSec: (signer.ops / signer.ms) * 1000, sink: sink > 0 })}\n`);
}
