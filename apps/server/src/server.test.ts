import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeCloud, fakeCloudPlugin, startFakeCloud } from './test-support/fake-cloud.js';
import { ADMIN_TOKEN, LIMITED_TOKEN, readEvents, startTestServer, type TestServer, tempDir } from './test-support/harness.js';

const PROBLEM = 'application/problem+json';

describe('cancelkit-server over real HTTP (fake cloud plugin)', () => {
  let cloud: FakeCloud;
  let server: TestServer;
  let temp: ReturnType<typeof tempDir>;

  beforeAll(async () => {
    cloud = await startFakeCloud();
    temp = tempDir();
    server = await startTestServer({
      plugins: [fakeCloudPlugin(), fakeCloudPlugin('fake.other.op', 'fake.other')],
      database: path.join(temp.dir, 'jobs.db'),
      cancelkit: { endpoints: { '*': cloud.url } },
    });
  });
  afterAll(async () => {
    await server?.close();
    await cloud?.close();
    temp?.remove();
  });

  it('answers health and readiness without a token', async () => {
    expect((await server.request('GET', '/healthz', { token: null })).json).toEqual({ status: 'ok' });
    const ready = await server.request('GET', '/readyz', { token: null });
    expect(ready.status).toBe(200);
    expect(ready.json).toMatchObject({ status: 'ready', plugins: 2 });
  });

  // Authentication and token scopes are tested against the emulator (emulator.test.ts).

  it('lists plugins with their params schemas', async () => {
    const one = await server.request('GET', '/v1/plugins/fake.jobs.job');
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({ id: 'fake.jobs.job', targetParam: 'ids', capabilities: { inspect: true } });
    expect(one.json.paramsSchema.properties.ids.type).toBe('array');
    const missing = await server.request('GET', '/v1/plugins/no.such.plugin');
    expect(missing.status).toBe(404);
    expect(missing.json.code).toBe('NotFound');
  });

  it('serves a job\'s event stream to GET only: no HEAD twin, which would never end for a running job', async () => {
    cloud.add('running', 'head-1');
    const done = await server.request('POST', '/v1/cancellations', { body: { plugin: 'fake.jobs.job', params: { ids: ['head-1'] } } });
    expect(done.status).toBe(200);
    expect((await server.request('GET', `/v1/cancellations/${done.json.id}/events`)).status).toBe(200);
    expect((await server.request('HEAD', `/v1/cancellations/${done.json.id}/events`)).status).toBe(404);
  });

  it('cancels a single target and answers 200 with the finished job', async () => {
    cloud.add('running', 'single-1');
    const answer = await server.request('POST', '/v1/cancellations', { body: { plugin: 'fake.jobs.job', params: { ids: ['single-1'] } } });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ kind: 'single', status: 'completed', requestedBy: 'admin', summary: { total: 1, cancelled: 1 } });
    expect(answer.json.targets[0]).toMatchObject({ plugin: 'fake.jobs.job', target: 'single-1', outcome: 'cancelled', attempts: 1, seq: 1 });
    expect(answer.json.targets[0].requestId).toMatch(/^fake-req-/);
    expect(answer.headers.get('location')).toBe(`/v1/cancellations/${answer.json.id}`);
    expect(cloud.ops.get('single-1')).toBe('cancelled');
    const again = await server.request('GET', answer.headers.get('location') ?? '');
    expect(again.json).toEqual(answer.json);
  });

  it('reports each outcome as a fact: not-found, already-finished, not-cancellable', async () => {
    cloud.add('done', 'fact-done');
    cloud.add('locked', 'fact-locked');
    const answer = await server.request('POST', '/v1/cancellations', { body: { plugin: 'fake.jobs.job', params: { ids: ['fact-missing', 'fact-done', 'fact-locked'] } } });
    expect(answer.status).toBe(200);
    const byTarget = Object.fromEntries(answer.json.targets.map((t: { target: string; outcome: string }) => [t.target, t.outcome]));
    expect(byTarget).toEqual({ 'fact-missing': 'not-found', 'fact-done': 'already-finished', 'fact-locked': 'not-cancellable' });
    expect(answer.json.targets.find((t: { target: string }) => t.target === 'fact-locked').reason).toBe('locked by maintenance');
    // The reply is built from the records the runner wrote; reading the job back gives the same.
    expect((await server.request('GET', answer.headers.get('location') ?? '')).json).toEqual(answer.json);
  });

  it('answers 202 for a single target when the client prefers respond-async', async () => {
    cloud.add('running', 'async-1');
    const answer = await server.request('POST', '/v1/cancellations', {
      body: { plugin: 'fake.jobs.job', params: { ids: ['async-1'] } },
      headers: { prefer: 'respond-async' },
    });
    expect(answer.status).toBe(202);
    expect(answer.headers.get('preference-applied')).toBe('respond-async');
    const events = await readEvents(`${server.url}${answer.json.links.events}`, ADMIN_TOKEN);
    expect(events.map((e) => e.event)).toEqual(['result', 'done']);
  });

  it('retries a retryable cloud failure and counts it', async () => {
    cloud.add('running', 'flaky-1');
    cloud.flaky.set('flaky-1', 1);
    const answer = await server.request('POST', '/v1/cancellations', { body: { plugin: 'fake.jobs.job', params: { ids: ['flaky-1'] }, precheck: false } });
    expect(answer.json.targets[0]).toMatchObject({ outcome: 'cancelled', attempts: 2 });
  });

  describe('problem+json for bad requests, and nothing sent to the cloud', () => {
    let callsBefore = 0;
    beforeAll(() => {
      callsBefore = cloud.calls.length;
    });
    afterAll(() => {
      expect(cloud.calls.length).toBe(callsBefore);
    });

    it('rejects unknown body keys: a request cannot pass an endpoint or credentials', async () => {
      const answer = await server.request('POST', '/v1/cancellations', {
        body: { plugin: 'fake.jobs.job', params: { ids: ['a-1'] }, endpoint: 'http://169.254.169.254', accessKeySecret: 'x' },
      });
      expect(answer.status).toBe(400);
      expect(answer.headers.get('content-type')).toContain(PROBLEM);
      expect(answer.json).toMatchObject({ type: 'urn:cancelkit:problem:invalid-input', title: 'Invalid input', status: 400, code: 'InvalidInput' });
      expect(answer.json.issues.map((i: { field: string }) => i.field).sort()).toEqual(['accessKeySecret', 'endpoint']);
      expect(answer.json.instance).toMatch(/^urn:cancelkit:request:/);

      const inParams = await server.request('POST', '/v1/cancellations', { body: { plugin: 'fake.jobs.job', params: { ids: ['a-1'], endpoint: 'http://evil.example' } } });
      expect(inParams.status).toBe(400);
      expect(inParams.json.issues).toEqual([expect.objectContaining({ field: 'params.endpoint' })]);
    });

    it("names every invalid param through the plugin's own parse", async () => {
      const answer = await server.request('POST', '/v1/cancellations', {
        body: { targets: [{ plugin: 'fake.jobs.job', params: { ids: ['ok-1'] } }, { plugin: 'fake.jobs.job', params: { ids: ['BAD ID'] } }, { plugin: 'nope.nope.nope', params: {} }] },
      });
      expect(answer.status).toBe(400);
      const fields = answer.json.issues.map((i: { field: string }) => i.field);
      expect(fields).toEqual(['targets.1.params.ids.0', 'targets.2.plugin']);
      expect(answer.json.issues[1].hint).toContain('fake.jobs.job');
    });

    it('rejects a body that is not a JSON object, malformed JSON, other media types and oversize bodies', async () => {
      const array = await server.request('POST', '/v1/cancellations', { body: [1, 2] });
      expect(array.status).toBe(400);
      expect(array.json.code).toBe('InvalidInput');
      const malformed = await server.request('POST', '/v1/cancellations', { rawBody: '{"plugin":', headers: { 'content-type': 'application/json' } });
      expect(malformed.status).toBe(400);
      expect(malformed.headers.get('content-type')).toContain(PROBLEM);
      const text = await server.request('POST', '/v1/cancellations', { rawBody: 'plugin=x', headers: { 'content-type': 'text/plain' } });
      expect(text.status).toBe(415);
      expect(text.json.code).toBe('InvalidInput');
      const huge = await server.request('POST', '/v1/cancellations', { body: { plugin: 'fake.jobs.job', params: { ids: ['x'.repeat(300 * 1024)] } } });
      expect(huge.status).toBe(413);
      expect(huge.json).toMatchObject({ status: 413, code: 'InvalidInput' });
      expect(malformed.json.detail).toMatch(/not valid JSON/);
    });

    it('refuses prototype-pollution keys and says which key, not that the JSON is invalid', async () => {
      const cases = [
        { body: '{"plugin":"fake.jobs.job","params":{"__proto__":{"x":1}}}', key: '__proto__', field: 'params.__proto__' },
        { body: '{"targets":[{"plugin":"fake.jobs.job","params":{"ids":["a"],"__proto__":{}}}]}', key: '__proto__', field: 'targets.0.params.__proto__' },
        { body: '{"constructor":{"prototype":{"polluted":"yes"}},"plugin":"fake.jobs.job","params":{}}', key: 'constructor.prototype', field: 'constructor.prototype' },
      ];
      for (const { body, key, field } of cases) {
        const answer = await server.request('POST', '/v1/cancellations', { rawBody: body, headers: { 'content-type': 'application/json' } });
        expect(answer.status, body).toBe(400);
        expect(answer.headers.get('content-type')).toContain(PROBLEM);
        expect(answer.json).toMatchObject({ code: 'InvalidInput', detail: `Body contains the key "${key}", which is not allowed.` });
        expect(answer.json.issues).toEqual([expect.objectContaining({ field })]);
      }
      // A "constructor" key without "prototype" is ordinary data, refused (or not) by the schemas alone.
      const plain = await server.request('POST', '/v1/cancellations', { rawBody: '{"plugin":"fake.jobs.job","params":{"ids":["a"]},"constructor":1}', headers: { 'content-type': 'application/json' } });
      expect(plain.json.issues).toEqual([expect.objectContaining({ field: 'constructor', message: 'is not an accepted field' })]);
      expect(({} as Record<string, unknown>)['x']).toBeUndefined();
    });

    it('limits the number of targets per request', async () => {
      const ids = Array.from({ length: 1001 }, (_, i) => `many-${i}`);
      const answer = await server.request('POST', '/v1/cancellations', { body: { plugin: 'fake.jobs.job', params: { ids } } });
      expect(answer.status).toBe(400);
      expect(answer.json.issues[0]).toMatchObject({ field: 'params', message: 'addresses 1001 targets; the limit is 1000' });
    });

    it('answers unknown routes and jobs with 404 problems', async () => {
      const route = await server.request('GET', '/v1/nothing-here');
      expect(route.status).toBe(404);
      expect(route.json).toMatchObject({ code: 'NotFound', status: 404 });
      // Without a token, /v1 answers 401 whether the route exists or not: nothing maps the API anonymously.
      for (const url of ['/v1/nothing-here', '/v1', '/v1/plugins/x/y/z?q=1']) {
        const anonymous = await server.request('GET', url, { token: null });
        expect(anonymous.status, url).toBe(401);
        expect(anonymous.headers.get('www-authenticate')).toContain('Bearer');
      }
      expect((await server.request('GET', '/nothing-here', { token: null })).status).toBe(404);
      const job = await server.request('GET', '/v1/cancellations/00000000-0000-0000-0000-000000000000');
      expect(job.status).toBe(404);
      expect(job.headers.get('content-type')).toContain(PROBLEM);
    });

    it('validates Idempotency-Key and the audit query', async () => {
      const key = await server.request('POST', '/v1/cancellations', { body: { plugin: 'fake.jobs.job', params: { ids: ['k-1'] } }, headers: { 'idempotency-key': 'has space' } });
      expect(key.status).toBe(400);
      expect(key.json.issues[0].field).toBe('Idempotency-Key');
      const query = await server.request('GET', '/v1/cancellations?outcome=exploded&since=yesterday');
      expect(query.status).toBe(400);
      expect(query.json.issues.map((i: { field: string }) => i.field).sort()).toEqual(['outcome', 'since']);
    });
  });

  describe('idempotency', () => {
    it('replays the stored job for the same key and body without calling the cloud again', async () => {
      cloud.add('running', 'idem-1');
      const body = { plugin: 'fake.jobs.job', params: { ids: ['idem-1'] } };
      const first = await server.request('POST', '/v1/cancellations', { body, headers: { 'idempotency-key': 'key-idem-1' } });
      expect(first.status).toBe(200);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      const callsAfterFirst = cloud.calls.length;
      // Same body with keys in another order: still the same request.
      const second = await server.request('POST', '/v1/cancellations', { body: { params: { ids: ['idem-1'] }, plugin: 'fake.jobs.job' }, headers: { 'idempotency-key': 'key-idem-1' } });
      expect(second.status).toBe(200);
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      expect(second.json).toEqual(first.json);
      expect(second.json.targets[0].outcome).toBe('cancelled');
      expect(cloud.calls.length).toBe(callsAfterFirst);
    });

    it('scopes keys per token', async () => {
      cloud.add('running', 'idem-4', 'idem-5');
      const a = await server.request('POST', '/v1/cancellations', { body: { plugin: 'fake.jobs.job', params: { ids: ['idem-4'] } }, headers: { 'idempotency-key': 'shared-key' } });
      const b = await server.request('POST', '/v1/cancellations', {
        token: LIMITED_TOKEN,
        body: { plugin: 'fake.jobs.job', params: { ids: ['idem-5'] } },
        headers: { 'idempotency-key': 'shared-key' },
      });
      expect(a.status).toBe(200);
      expect(b.status).toBe(200);
      expect(b.json.id).not.toBe(a.json.id);
    });

    it('calls the cloud once when 20 identical requests race', async () => {
      cloud.add('running', 'race-1');
      cloud.delayMs = 30;
      try {
        const body = { plugin: 'fake.jobs.job', params: { ids: ['race-1'] } };
        const answers = await Promise.all(
          Array.from({ length: 20 }, () => server.request('POST', '/v1/cancellations', { body, headers: { 'idempotency-key': 'race-key' } })),
        );
        expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
        expect(new Set(answers.map((a) => a.json.id)).size).toBe(1);
        expect(answers.every((a) => a.json.targets[0].outcome === 'cancelled')).toBe(true);
        expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).toHaveLength(19);
        expect(cloud.cancelCalls().filter((ids) => ids.includes('race-1'))).toHaveLength(1);
      } finally {
        cloud.delayMs = 0;
      }
    });
  });

  describe('batch jobs', () => {
    it('answers 202 and streams one SSE event per target, then done', async () => {
      const ids = Array.from({ length: 6 }, (_, i) => `batch-${i}`);
      cloud.add('running', ...ids.slice(0, 5));
      cloud.delayMs = 15;
      try {
        const answer = await server.request('POST', '/v1/cancellations', {
          body: { targets: ids.map((id) => ({ plugin: 'fake.jobs.job', params: { ids: [id] } })), concurrency: 2 },
        });
        expect(answer.status).toBe(202);
        expect(answer.json.kind).toBe('batch');
        expect(['queued', 'running']).toContain(answer.json.status);
        expect(answer.json.summary).toMatchObject({ total: 6 });
        const events = await readEvents(`${server.url}${answer.json.links.events}`, ADMIN_TOKEN);
        const results = events.filter((e) => e.event === 'result');
        expect(results).toHaveLength(6);
        expect(results.map((e) => Number(e.id))).toEqual([1, 2, 3, 4, 5, 6]);
        expect(new Set(results.map((e) => (e.data as { target: string }).target))).toEqual(new Set(ids));
        expect(events.at(-1)).toMatchObject({ event: 'done', data: { id: answer.json.id, status: 'completed', summary: { total: 6, cancelled: 5, 'not-found': 1, pending: 0 } } });

        // Resuming with Last-Event-ID sends only what came after it.
        const resumed = await readEvents(`${server.url}${answer.json.links.events}`, ADMIN_TOKEN, { 'last-event-id': '4' });
        expect(resumed.map((e) => e.id ?? e.event)).toEqual(['5', '6', 'done']);

        const job = await server.request('GET', `/v1/cancellations/${answer.json.id}`);
        expect(job.json).toMatchObject({ status: 'completed', summary: { cancelled: 5 } });
        expect(job.json.targets.every((t: { item: number; target: string }) => t.target === ids[t.item])).toBe(true);
      } finally {
        cloud.delayMs = 0;
      }
    });

    it('runs a dry run without cancelling anything or creating a job', async () => {
      cloud.add('running', 'dry-1');
      cloud.add('done', 'dry-2');
      const answer = await server.request('POST', '/v1/cancellations', {
        body: { targets: [{ plugin: 'fake.jobs.job', params: { ids: ['dry-1', 'dry-2'] } }], dryRun: true },
      });
      expect(answer.status).toBe(200);
      expect(answer.json.dryRun).toBe(true);
      expect(answer.json.plan.map((p: { target: string; action: string; expected: string }) => [p.target, p.action, p.expected])).toEqual([
        ['dry-1', 'cancel', 'cancelled'],
        ['dry-2', 'skip', 'already-finished'],
      ]);
      expect(cloud.ops.get('dry-1')).toBe('running');
      expect(cloud.cancelCalls().some((ids) => ids.includes('dry-1'))).toBe(false);
    });
  });

  describe('audit trail', () => {
    it('lists who asked, what, when, each outcome and the cloud request ids, with filters', async () => {
      cloud.add('running', 'audit-1');
      const created = await server.request('POST', '/v1/cancellations', { body: { plugin: 'fake.other.op', params: { ids: ['audit-1'] } } });
      expect(created.status).toBe(200);

      const all = await server.request('GET', '/v1/cancellations');
      expect(all.status).toBe(200);
      const entry = all.json.jobs[0];
      expect(entry).toMatchObject({ id: created.json.id, requestedBy: 'admin', plugins: ['fake.other.op'], items: [{ plugin: 'fake.other.op', params: { ids: ['audit-1'] } }] });
      expect(Date.parse(entry.createdAt)).toBeGreaterThan(Date.now() - 60_000);
      expect(entry.targets[0]).toMatchObject({ target: 'audit-1', outcome: 'cancelled' });
      expect(entry.targets[0].requestId).toMatch(/^fake-req-/);

      const byPlugin = await server.request('GET', '/v1/cancellations?plugin=fake.other.op');
      expect(byPlugin.json.jobs.map((j: { id: string }) => j.id)).toEqual([created.json.id]);
      const byOutcome = await server.request('GET', '/v1/cancellations?outcome=not-cancellable');
      expect(byOutcome.json.jobs.length).toBeGreaterThan(0);
      expect(byOutcome.json.jobs.every((j: { targets: { outcome: string }[] }) => j.targets.some((t) => t.outcome === 'not-cancellable'))).toBe(true);
      const future = await server.request('GET', `/v1/cancellations?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
      expect(future.json.jobs).toEqual([]);

      const page = await server.request('GET', '/v1/cancellations?limit=1');
      expect(page.json.jobs).toHaveLength(1);
      const next = await server.request('GET', `/v1/cancellations?limit=1&cursor=${page.json.nextCursor}`);
      expect(next.json.jobs[0].id).not.toBe(page.json.jobs[0].id);

      // A limited token sees only jobs of its plugins, and may not open others.
      const limited = await server.request('GET', '/v1/cancellations', { token: LIMITED_TOKEN });
      expect(limited.json.jobs.every((j: { plugins: string[] }) => j.plugins.every((p) => p === 'fake.jobs.job'))).toBe(true);
      expect((await server.request('GET', `/v1/cancellations/${created.json.id}`, { token: LIMITED_TOKEN })).status).toBe(403);
    });
  });

  it('serves an OpenAPI 3.1 document with every plugin params schema', async () => {
    const answer = await server.request('GET', '/openapi.json', { token: null });
    expect(answer.status).toBe(200);
    const doc = answer.json;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: 'cancelkit-server' });
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/plugins', '/v1/plugins/{id}', '/v1/cancellations', '/v1/cancellations/{id}', '/v1/cancellations/{id}/events', '/healthz', '/readyz', '/metrics']),
    );
    const plugin = fakeCloudPlugin();
    const { $schema: _ignored, ...expected } = plugin.manifest.paramsSchema as Record<string, unknown>;
    expect(doc.components.schemas.FakeJobsJobParams).toMatchObject(expected);
    expect(doc.components.schemas.FakeOtherOpParams).toBeDefined();
    expect(doc.components.schemas.SingleCancellation.discriminator.mapping).toEqual({
      'fake.jobs.job': '#/components/schemas/FakeJobsJobCancellation',
      'fake.other.op': '#/components/schemas/FakeOtherOpCancellation',
    });
    expect(doc.components.schemas.FakeJobsJobCancellation.additionalProperties).toBe(false);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    // Every $ref points at something that exists.
    const refs = [...answer.text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(doc.components.schemas[ref], ref).toBeDefined();
    expect(doc.paths['/v1/cancellations'].post.responses['400'].content['application/problem+json']).toBeDefined();
  });

  it('exposes Prometheus metrics: requests, outcomes per plugin, cloud latency, retries', async () => {
    const answer = await server.request('GET', '/metrics', { token: null });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toContain('text/plain');
    expect(answer.text).toMatch(/cancelkit_http_requests_total\{method="POST",route="\/v1\/cancellations",status="200"\} \d+/);
    expect(answer.text).toMatch(/cancelkit_target_outcomes_total\{plugin="fake.jobs.job",outcome="cancelled"\} \d+/);
    expect(answer.text).toMatch(/cancelkit_target_outcomes_total\{plugin="fake.jobs.job",outcome="not-found"\} \d+/);
    expect(answer.text).toMatch(/cancelkit_cloud_request_duration_seconds_count\{plugin="fake.jobs.job",kind="cancel",ok="true"\} \d+/);
    expect(answer.text).toMatch(/cancelkit_cloud_retries_total\{plugin="fake.jobs.job",code="Transient"\} 1/);
    expect(answer.text).toContain('cancelkit_jobs_running 0');
  });

  it('logs who asked for what, never the token', () => {
    const all = server.logs.join('');
    expect(all).toContain('"msg":"cancellation accepted"');
    expect(all).toContain('"requestedBy":"admin"');
    expect(all).not.toContain(ADMIN_TOKEN);
    expect(all).not.toContain(LIMITED_TOKEN);
  });
});

describe('per-token rate limit', () => {
  it('answers 429 with Retry-After once a token spends its burst, without slowing other tokens', async () => {
    const temp = tempDir();
    const server = await startTestServer({ plugins: [fakeCloudPlugin()], database: path.join(temp.dir, 'jobs.db'), limits: { rateLimit: { perSecond: 0.5, burst: 2 } } });
    try {
      expect((await server.request('GET', '/v1/plugins')).status).toBe(200);
      expect((await server.request('GET', '/v1/plugins')).status).toBe(200);
      const limited = await server.request('GET', '/v1/plugins');
      expect(limited.status).toBe(429);
      expect(limited.json).toMatchObject({ code: 'Throttled', status: 429 });
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await server.request('GET', '/v1/plugins', { token: LIMITED_TOKEN })).status).toBe(200);
    } finally {
      await server.close();
      temp.remove();
    }
  });
});

describe('failed-authentication limit per client address', () => {
  /** A server allowing 3 failed authentications per address, then 1 per second, on the given clock. */
  async function startLimitedServer(now: () => number) {
    const temp = tempDir();
    const server = await startTestServer({
      plugins: [fakeCloudPlugin()],
      database: path.join(temp.dir, 'jobs.db'),
      limits: { authFailureRateLimit: { perSecond: 1, burst: 3 } },
      now,
    });
    return { server, temp };
  }

  it('answers 429 once an address has failed too often, before looking at its token, and recovers', async () => {
    let clock = 1_000_000;
    const { server, temp } = await startLimitedServer(() => clock);
    try {
      for (let i = 0; i < 3; i++) expect((await server.request('GET', '/v1/plugins', { token: `wrong-token-number-${i}-0123456789` })).status).toBe(401);
      const limited = await server.request('GET', '/v1/plugins', { token: 'wrong-token-number-3-0123456789' });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('content-type')).toContain(PROBLEM);
      expect(limited.json).toMatchObject({ code: 'Throttled', status: 429, detail: 'Too many failed authentication attempts from this address.' });
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // The right token is refused too while the address is limited: a guesser must not learn it won.
      expect((await server.request('GET', '/v1/plugins')).status).toBe(429);
      // Unauthenticated routes are not affected.
      expect((await server.request('GET', '/healthz', { token: null })).status).toBe(200);
      clock += 1_000;
      expect((await server.request('GET', '/v1/plugins')).status).toBe(200);
      // Successes spend nothing: only failures count.
      clock += 10_000;
      for (let i = 0; i < 10; i++) expect((await server.request('GET', '/v1/plugins')).status).toBe(200);
    } finally {
      await server.close();
      temp.remove();
    }
  });

  it('counts and limits failures on /v1 routes that do not exist too: they are no way around the limit', async () => {
    let clock = 1_000_000;
    const { server, temp } = await startLimitedServer(() => clock);
    try {
      for (let i = 0; i < 3; i++) expect((await server.request('GET', '/v1/no-such-route', { token: `wrong-token-number-${i}-0123456789` })).status).toBe(401);
      // Guesses on an unknown /v1 route spend the address's allowance like any other /v1 route…
      expect((await server.request('GET', '/v1/no-such-route', { token: 'wrong-token-number-3-0123456789' })).status).toBe(429);
      expect((await server.request('GET', '/v1/plugins', { token: 'wrong-token-number-4-0123456789' })).status).toBe(429);
      // …and a limited address learns nothing there either: the right token gets the same 429, not a 404.
      const right = await server.request('GET', '/v1/no-such-route');
      expect(right.status).toBe(429);
      expect(right.json).toMatchObject({ code: 'Throttled', detail: 'Too many failed authentication attempts from this address.' });
      clock += 1_000;
      expect((await server.request('GET', '/v1/no-such-route')).status).toBe(404);
    } finally {
      await server.close();
      temp.remove();
    }
  });
});
