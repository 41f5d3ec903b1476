/**
 * Hostile input to `callApig` (fast-check), against a loopback gateway (127.0.0.1, port 0, stopped after)
 * that counts every request, malformed ones included, and verifies every signature with this package's
 * verifier. A call either reaches the gateway once, verified, with each id one path segment and every
 * query value unchanged, or is refused with an InvalidInput naming the bad field before anything is sent.
 * Hostile credentials are refused before sending too. Runs scale with RELIABILITY_SCALE.
 */
import { isCancelKitError } from '@cancelkit/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApigCall, callApig } from './client.js';
import { testContext } from './test-support/context.js';
import { type GatewayRequest, startTestGateway, type TestGateway } from './test-support/gateway.js';
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

const AK = 'HPUAPROPERTYAK000001';
const SK = 'cancelkit-property-sk-0123456789';
const PID = '0123456789abcdef0123456789abcdef';

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway({ [AK]: { secret: SK } });
});
afterAll(() => gateway.close());

const seen = () => gateway.seen.length + gateway.malformed;

function receivedQuery(rawQuery: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of rawQuery.split('&').filter(Boolean)) {
    const eq = pair.indexOf('=');
    Object.defineProperty(out, decodeURIComponent(eq === -1 ? pair : pair.slice(0, eq)), { value: decodeURIComponent(eq === -1 ? '' : pair.slice(eq + 1)), enumerable: true });
  }
  return out;
}

function expectedQuery(values: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries((values ?? {}) as Record<string, unknown>)) if (value !== undefined) out[name] = String(value);
  return out;
}

const tally = { sent: 0, refused: 0 };

/** One call: a verified request that arrived once, or an InvalidInput naming only hostile fields, nothing sent. */
async function checkCall(call: ApigCall, bad: readonly string[]): Promise<void> {
  const context = testContext({ endpoint: gateway.url, providerConfig: { ak: AK, sk: SK } });
  try {
    const before = seen();
    const outcome = await attemptAsync(() => callApig(context.ctx, call));
    if (!outcome.ok) {
      tally.refused++;
      expectNamedRefusal(outcome.error, (root) => bad.includes(root), [SK]);
      expect(seen(), 'a refused call sent a request').toBe(before);
      return;
    }
    tally.sent++;
    expect(seen()).toBe(before + 1);
    const last = gateway.seen.at(-1) as GatewayRequest;
    expect(last.verdict).toMatchObject({ ok: true, accessKeyId: AK });
    expect(last.rawPath.split('/').slice(1).map(decodeURIComponent)).toEqual(call.pathSegments);
    expect(receivedQuery(last.rawQuery)).toEqual(expectedQuery(call.query));
    expect(last.method).toBe(call.method);
    expect(last.body.toString('utf8')).toBe(call.body === undefined ? '' : JSON.stringify(call.body));
    if (call.projectId !== undefined) expect(last.headers['x-project-id']).toBe(call.projectId);
  } finally {
    await context.close();
  }
}

const apigMethod = fc.constantFrom('GET', 'DELETE', 'POST', 'PUT', 'PATCH') as fc.Arbitrary<ApigCall['method']>;
const segment = fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).filter((s) => s !== '.' && s !== '..');
const queryName = fc.stringMatching(/^[a-z][a-z0-9_]{0,15}$/).filter((n) => n !== 'constructor' && n !== 'prototype');
const query = fc.dictionary(queryName, fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.integer(), fc.boolean()), { maxKeys: 4 });
const jsonBody = fc.option(fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.integer(), fc.boolean())), { nil: undefined });

const validCall = fc.record({ method: apigMethod, jobId: segment, query, body: jsonBody, projectId: fc.constantFrom(PID, 'project-0001', undefined) }).map(
  ({ method, jobId, query: q, body, projectId }): ApigCall => ({
    service: 'dds',
    region: 'cn-north-4',
    method,
    pathSegments: ['v3', PID, 'scheduled-jobs', jobId],
    query: q,
    ...(body !== undefined && method !== 'GET' ? { body } : {}),
    ...(projectId !== undefined ? { projectId } : {}),
    operation: 'CancelScheduledTask',
  }),
);

type Field = 'method' | 'pathSegments' | 'query' | 'projectId' | 'body' | 'operation';
const cyclic: Record<string, unknown> = {};
cyclic.self = cyclic;
const HOSTILE: Record<Field, fc.Arbitrary<unknown>> = {
  method: fc.oneof(junk, fc.constantFrom('get', 'TRACE', 'GET\r\n', 'DELETE ')),
  pathSegments: fc.oneof(
    junk,
    fc.constant([]),
    fc.array(fc.oneof(segment, hostileString, junk), { minLength: 1, maxLength: 6 }),
    fc.tuple(fc.array(segment, { maxLength: 3 }), fc.constantFrom('..', '.', '', 'a\ud800', 'x'.repeat(3_000), 5, null)).map(([ok, bad]) => [...ok, bad]),
    fc.array(fc.constant('x'.repeat(2_000)), { minLength: 9, maxLength: 10 }),
  ),
  query: fc.oneof(
    hostileRecord(query),
    fc.tuple(query, queryName, fc.constantFrom(Number.NaN, Number.NEGATIVE_INFINITY, 'x'.repeat(20_000), 'a\ud800', {}, [1], 1n)).map(([base, name, value]) => ({ ...base, [name]: value })),
    fc.array(fc.tuple(queryName, fc.string({ minLength: 9_000, maxLength: 9_000 })), { minLength: 2, maxLength: 3 }).map((pairs) => Object.fromEntries(pairs)),
  ),
  projectId: fc.oneof(junk, fc.constantFrom('p\r\nX-Injected: 1', 'p 1', 'é', '')),
  body: fc.oneof(fc.constant(10n), fc.constant(cyclic), fc.constant({ big: 1n })),
  operation: fc.oneof(junk, fc.constantFrom('Cancel\r\nX', '')),
};

const hostileCall = fc
  .tuple(validCall, fc.subarray(['method', 'pathSegments', 'query', 'projectId', 'body', 'operation'] as Field[], { minLength: 1 }))
  .chain(([call, bad]) =>
    fc.tuple(...bad.map((field) => HOSTILE[field])).map((values) => {
      const next: Record<string, unknown> = { ...call };
      bad.forEach((field, i) => {
        next[field] = values[i];
      });
      return { call: next as unknown as ApigCall, bad: bad as readonly string[] };
    }),
  );

describe('callApig under hostile input', () => {
  it(
    'valid calls arrive once, verified, each id one segment and every value unchanged',
    async () => {
      await fc.assert(
        fc.asyncProperty(validCall, (call) => checkCall(call, [])),
        runs(50, 'apig-valid'),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'hostile method, path segments, query, project id, body or operation: a verified request, or an InvalidInput naming them and nothing sent',
    async () => {
      tally.sent = 0;
      tally.refused = 0;
      await fc.assert(
        fc.asyncProperty(hostileCall, ({ call, bad }) => checkCall(call, bad)),
        runs(150, 'apig-hostile'),
      );
      expectNoPollution();
      expect(tally.refused).toBeGreaterThan(0);
    },
    PROPERTY_TIMEOUT_MS,
  );

  it('refuses a GET with a body, and a non-object call, as InvalidInput before sending', async () => {
    const before = seen();
    const context = testContext({ endpoint: gateway.url, providerConfig: { ak: AK, sk: SK } });
    try {
      await expect(callApig(context.ctx, { service: 'dds', region: 'cn-north-4', method: 'GET', pathSegments: ['v3'], body: { a: 1 } })).rejects.toMatchObject({
        code: 'InvalidInput',
        issues: [{ field: 'body' }],
      });
      await expect(callApig(context.ctx, null as never)).rejects.toMatchObject({ code: 'InvalidInput' });
    } finally {
      await context.close();
    }
    expect(seen()).toBe(before);
  });
});

/** Text with something in the middle that cannot travel in a header or be an HMAC key (trimming keeps it). */
const badCredential = fc
  .tuple(
    fc.stringMatching(/^[A-Za-z0-9]{1,8}$/),
    fc.constantFrom('\r\n', '\n', '\r', '\u0000', '\t', ' ', '\u0085', '\u007f', '\ud800'),
    fc.stringMatching(/^[A-Za-z0-9]{1,8}$/),
  )
  .map(([a, bad, b]) => `${a}${bad}${b}`);

describe('callApig with hostile credentials', () => {
  it(
    'a control character, line break, NUL, space or lone surrogate in the AK, SK, security token or IAM token is refused before sending, and never shown',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          secretMarker,
          fc.constantFrom('ak', 'sk', 'securityToken', 'authToken'),
          badCredential,
          fc.option(fc.constantFrom('a,b', 'é'), { nil: undefined }),
          async (marker, field, hostile, akOnly) => {
            const config: Record<string, string> =
              field === 'ak'
                ? { ak: akOnly ?? hostile, sk: SK }
                : field === 'authToken'
                  ? { authToken: `${marker}${hostile}` }
                  : { ak: AK, sk: SK, [field]: `${marker}${hostile}` };
            const context = testContext({ endpoint: gateway.url, providerConfig: config });
            const before = seen();
            try {
              const error = await callApig(context.ctx, { service: 'dds', region: 'cn-north-4', method: 'DELETE', pathSegments: ['v3', PID, 'scheduled-jobs', 'j'], projectId: PID }).then(
                () => undefined,
                (e: unknown) => e,
              );
              expect(isCancelKitError(error), String(error)).toBe(true);
              if (!isCancelKitError(error)) return;
              expect(['InvalidInput', 'Unauthenticated']).toContain(error.code);
              expect(error.providerCode).toBeUndefined();
              expect(seen()).toBe(before);
              expect(`${error.message}\n${JSON.stringify(error)}\n${JSON.stringify(context.logs)}`).not.toContain(marker);
            } finally {
              await context.close();
            }
          },
        ),
        runs(60, 'apig-credentials'),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
