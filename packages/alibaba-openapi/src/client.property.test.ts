/**
 * Hostile input to the functions that send (fast-check): `callRpc` and `callRoa` against a loopback cloud
 * (127.0.0.1, port 0, stopped after) that counts every request, malformed ones included, and verifies
 * every signature with this package's emulation protocols. A call either reaches the cloud once, with a
 * signature that verifies and every value unchanged, or is refused with an InvalidInput naming the bad
 * field before anything is sent. Hostile credentials are refused before sending too. Runs scale with
 * RELIABILITY_SCALE.
 */
import { isCancelKitError } from '@cancelkit/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callRoa, callRpc, type RoaCall, type RpcCall } from './client.js';
import { decodeComponent } from './encoding.js';
import { type CloudCall, type TestCloud, startTestCloud } from './test-support/cloud.js';
import { testContext } from './test-support/context.js';
import {
  attemptAsync,
  expectNamedRefusal,
  expectNoPollution,
  hostileRecord,
  hostileString,
  junk,
  PROPERTY_TIMEOUT_MS,
  runs,
  secretMarker,
} from '@cancelkit/testing/property-inputs';

const AK = 'cancelkit-property-ak';
const SECRET = 'cancelkit-property-sk-0123456789';
const env = { ALIBABA_CLOUD_ACCESS_KEY_ID: AK, ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET };

let cloud: TestCloud;
const ok = (call: CloudCall) => ({ status: 200, body: { RequestId: call.requestId, requestId: call.requestId } });

beforeAll(async () => {
  cloud = await startTestCloud([{ accessKeyId: AK, secret: SECRET }], ok);
});
afterAll(() => cloud.close());

/** Every request the cloud saw, well-formed or not. */
const seen = () => cloud.received.length + cloud.malformed;

/** The query as the cloud received it, decoded. */
function receivedQuery(rawQuery: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of rawQuery.split('&').filter(Boolean)) {
    const eq = pair.indexOf('=');
    Object.defineProperty(out, decodeComponent(eq === -1 ? pair : pair.slice(0, eq)), {
      value: decodeComponent(eq === -1 ? '' : pair.slice(eq + 1)),
      enumerable: true,
    });
  }
  return out;
}

function expectedQuery(values: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries((values ?? {}) as Record<string, unknown>)) if (value !== undefined) out[name] = String(value);
  return out;
}

/**
 * Runs one call and checks the outcome: a verified request that arrived once with its values unchanged,
 * or an InvalidInput naming only the fields made hostile, with nothing sent.
 */
/** How many calls were sent and refused, so a property can show it tried both. */
const tally = { sent: 0, refused: 0 };

async function checkCall(send: () => Promise<unknown>, bad: readonly string[], arrived: (request: CloudCall['request']) => void): Promise<void> {
  const before = seen();
  const outcome = await attemptAsync(send);
  if (!outcome.ok) {
    tally.refused++;
    expectNamedRefusal(outcome.error, (root) => bad.includes(root), [SECRET]);
    expect(seen(), 'a refused call sent a request').toBe(before);
    return;
  }
  tally.sent++;
  expect(seen()).toBe(before + 1);
  const last = cloud.received.at(-1);
  expect(last?.verdict).toMatchObject({ ok: true, scheme: 'ACS3-HMAC-SHA256', accessKeyId: AK });
  arrived(last?.request as CloudCall['request']);
}

// ----------------------------------------------------------------------------------------------- RPC

const paramName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9._-]{0,15}$/).filter((n) => n !== 'constructor' && n !== 'prototype');
const paramValue = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.integer(), fc.boolean());
const params = fc.dictionary(paramName, paramValue, { maxKeys: 5 });

type RpcField = 'action' | 'version' | 'params';
const rpcHostile: Record<RpcField, fc.Arbitrary<unknown>> = {
  action: fc.oneof(junk, fc.constantFrom('Cancel\r\nTask', 'Cancel Task', '../x')),
  version: fc.oneof(junk, fc.constantFrom('2014-05-26\r\n', 'latest')),
  params: fc.oneof(
    hostileRecord(params),
    fc.tuple(params, paramName, fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, 'x'.repeat(20_000), 'a\ud800', {}, [1])).map(([base, name, value]) => ({ ...base, [name]: value })),
    fc.array(fc.tuple(paramName, fc.string({ minLength: 9_000, maxLength: 9_000 })), { minLength: 2, maxLength: 3 }).map((pairs) => Object.fromEntries(pairs)),
  ),
};
const rpcCase = fc.record({
  params,
  bad: fc.subarray(['action', 'version', 'params'] as RpcField[], { minLength: 1 }),
}).chain(({ params: valid, bad }) =>
  fc.tuple(...bad.map((field) => rpcHostile[field])).map((values) => {
    const call: Record<string, unknown> = { product: 'ecs', version: '2014-05-26', action: 'DescribeTasks', params: valid };
    bad.forEach((field, i) => {
      call[field] = values[i];
    });
    return { call: call as unknown as RpcCall, bad: bad as readonly string[] };
  }),
);

describe('callRpc under hostile input', () => {
  it(
    'valid calls arrive once, verified, with every parameter unchanged',
    async () => {
      await fc.assert(
        fc.asyncProperty(params, async (p) => {
          const { ctx } = testContext({ endpoint: cloud.url, env });
          await checkCall(() => callRpc(ctx, { product: 'ecs', version: '2014-05-26', action: 'DescribeTasks', params: p }), [], (request) => {
            expect(receivedQuery(request.rawQuery)).toEqual(expectedQuery(p));
          });
        }),
        runs(50, 'call-rpc-valid'),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'hostile action, version or params: a verified request, or an InvalidInput naming them and nothing sent',
    async () => {
      tally.sent = 0;
      tally.refused = 0;
      await fc.assert(
        fc.asyncProperty(rpcCase, async ({ call, bad }) => {
          const { ctx } = testContext({ endpoint: cloud.url, env });
          await checkCall(() => callRpc(ctx, call), bad, (request) => {
            expect(receivedQuery(request.rawQuery)).toEqual(expectedQuery(call.params));
          });
        }),
        runs(150, 'call-rpc-hostile'),
      );
      expectNoPollution();
      expect(tally.refused).toBeGreaterThan(0);
    },
    PROPERTY_TIMEOUT_MS,
  );
});

// ----------------------------------------------------------------------------------------------- ROA

const segment = fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).filter((s) => s !== '.' && s !== '..');
const roaMethod = fc.constantFrom('GET', 'PUT', 'POST', 'DELETE') as fc.Arbitrary<RoaCall['method']>;
const query = fc.dictionary(paramName, fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.integer()), { maxKeys: 3 });
const jsonBody = fc.option(fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.integer(), fc.boolean())), { nil: undefined });

type RoaField = 'method' | 'pathSegments' | 'query' | 'body' | 'action' | 'version';
const cyclic: Record<string, unknown> = {};
cyclic.self = cyclic;
const roaHostile: Record<RoaField, fc.Arbitrary<unknown>> = {
  method: fc.oneof(junk, fc.constantFrom('get', 'PATCH', 'PUT\r\n', 'TRACE')),
  pathSegments: fc.oneof(
    junk,
    fc.constant([]),
    fc.array(fc.oneof(segment, hostileString, junk), { minLength: 1, maxLength: 6 }),
    fc.tuple(fc.array(segment, { maxLength: 3 }), fc.constantFrom('..', '.', '', 'a\ud800', 'x'.repeat(3_000), 5, null)).map(([ok, bad]) => [...ok, bad]),
    fc.array(fc.constant('x'.repeat(2_000)), { minLength: 5, maxLength: 6 }),
  ),
  query: hostileRecord(query),
  body: fc.oneof(fc.constant(10n), fc.constant(cyclic), fc.constant({ big: 1n })),
  action: fc.oneof(junk, fc.constantFrom('Stop\nTask')),
  version: fc.oneof(junk, fc.constantFrom('v1\r\n')),
};
const roaCase = fc
  .record({
    method: roaMethod,
    segments: fc.tuple(segment, segment),
    query,
    body: jsonBody,
    bad: fc.subarray(['method', 'pathSegments', 'query', 'body', 'action', 'version'] as RoaField[], { minLength: 1 }),
  })
  .chain(({ method, segments, query: q, body, bad }) =>
    fc.tuple(...bad.map((field) => roaHostile[field])).map((values) => {
      const call: Record<string, unknown> = {
        product: 'searchengine',
        version: '2021-10-25',
        action: 'StopTask',
        method,
        pathSegments: ['openapi', 'ha3', 'instances', segments[0], 'stop-task', segments[1]],
        query: q,
        ...(body !== undefined && method !== 'GET' ? { body } : {}),
      };
      bad.forEach((field, i) => {
        call[field] = values[i];
      });
      return { call: call as unknown as RoaCall, bad: bad as readonly string[] };
    }),
  );

describe('callRoa under hostile input', () => {
  it(
    'valid calls arrive once, verified, each id one segment and every value unchanged',
    async () => {
      await fc.assert(
        fc.asyncProperty(roaMethod, fc.tuple(segment, segment), query, jsonBody, async (method, [instanceId, fsmId], q, body) => {
          const { ctx } = testContext({ endpoint: cloud.url, env });
          const pathSegments = ['openapi', 'ha3', 'instances', instanceId, 'stop-task', fsmId];
          const call: RoaCall = { product: 'searchengine', version: '2021-10-25', action: 'StopTask', method, pathSegments, query: q, ...(body !== undefined && method !== 'GET' ? { body } : {}) };
          await checkCall(() => callRoa(ctx, call), [], (request) => {
            expect(request.rawPath.split('/').slice(1).map(decodeURIComponent)).toEqual(pathSegments);
            expect(receivedQuery(request.rawQuery)).toEqual(expectedQuery(q));
            expect(request.body.toString('utf8')).toBe(call.body === undefined ? '' : JSON.stringify(call.body));
          });
        }),
        runs(50, 'call-roa-valid'),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'hostile method, path segments, query, body, action or version: a verified request, or an InvalidInput naming them and nothing sent',
    async () => {
      tally.sent = 0;
      tally.refused = 0;
      await fc.assert(
        fc.asyncProperty(roaCase, async ({ call, bad }) => {
          const { ctx } = testContext({ endpoint: cloud.url, env });
          await checkCall(() => callRoa(ctx, call), bad, (request) => {
            // Each id stays one segment and arrives unchanged.
            expect(request.rawPath.split('/').slice(1).map(decodeURIComponent)).toEqual(call.pathSegments);
            expect(receivedQuery(request.rawQuery)).toEqual(expectedQuery(call.query));
          });
        }),
        runs(150, 'call-roa-hostile'),
      );
      expectNoPollution();
      expect(tally.refused).toBeGreaterThan(0);
    },
    PROPERTY_TIMEOUT_MS,
  );
});

// ----------------------------------------------------------------------------------------- credentials

/** Text with something in the middle that cannot travel in a header or be an HMAC key (trimming keeps it). */
const badCredential = fc
  .tuple(
    fc.stringMatching(/^[A-Za-z0-9]{1,8}$/),
    fc.constantFrom('\r\n', '\n', '\r', '\u0000', '\t', '\u0085', '\u007f', '\ud800', 'é'),
    fc.stringMatching(/^[A-Za-z0-9]{1,8}$/),
  )
  .map(([a, bad, b]) => `${a}${bad}${b}`);

describe('callRpc and callRoa with hostile credentials', () => {
  it(
    'a control character, line break, NUL, non-ASCII or lone surrogate in the key id, secret or token is refused before sending, and never shown',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          secretMarker,
          fc.constantFrom('ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'ALIBABA_CLOUD_SECURITY_TOKEN'),
          badCredential,
          fc.option(fc.constantFrom('a,b', 'a:b', 'a;b', 'a=b'), { nil: undefined }),
          fc.boolean(),
          async (marker, variable, hostile, separator, roa) => {
            // Separators break only an AccessKey id; a secret or token is refused for what badCredential holds.
            const value = variable === 'ALIBABA_CLOUD_ACCESS_KEY_ID' ? (separator ?? hostile) : `${marker}${hostile}`;
            const { ctx, records } = testContext({ endpoint: cloud.url, env: { ...env, [variable]: value } });
            const before = seen();
            const error = await (roa
              ? callRoa(ctx, { product: 'searchengine', version: '2021-10-25', action: 'StopTask', method: 'PUT', pathSegments: ['openapi', 'x'] })
              : callRpc(ctx, { product: 'ecs', version: '2014-05-26', action: 'CancelTask', params: { TaskId: 't-1' } })
            ).then(
              () => undefined,
              (e: unknown) => e,
            );
            expect(isCancelKitError(error), String(error)).toBe(true);
            if (!isCancelKitError(error)) return;
            expect(['InvalidInput', 'Unauthenticated']).toContain(error.code);
            expect(error.providerCode).toBeUndefined();
            expect(seen()).toBe(before);
            const shown = `${error.message}\n${JSON.stringify(error)}\n${JSON.stringify(records)}`;
            expect(shown).not.toContain(marker);
          },
        ),
        runs(60, 'call-credentials'),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
