import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';
import type { CancelKitConfig } from './config.js';
import type { TargetResult } from './engine.js';
import { definePlugin } from './contract.js';
import { CancelKitError } from './errors.js';
import { createCancelKit } from './kit.js';
import { createKit } from './light-kit.js';
import { TokenBucket } from './rate-limit.js';
import { FakeCloud, fakePlugin, VirtualClock } from './test-support/fake-plugin.js';

function kitFor(cloud: FakeCloud, opts: { clock?: VirtualClock; config?: CancelKitConfig } = {}) {
  const clock = opts.clock ?? new VirtualClock();
  const kit = createCancelKit({
    plugins: [fakePlugin(cloud)],
    clock,
    config: { retry: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1_000 }, ...opts.config },
  });
  return { kit, clock };
}

async function collect(gen: AsyncIterable<TargetResult>): Promise<TargetResult[]> {
  const out: TargetResult[] = [];
  for await (const r of gen) out.push(r);
  return out;
}

describe('engine: single cancel', () => {
  it('pre-checks and reports a fact per target', async () => {
    const cloud = new FakeCloud();
    cloud.add('run');
    cloud.add('done', 'done');
    cloud.add('gone', 'cancelled');
    cloud.add('lock', 'locked');
    const { kit } = kitFor(cloud);
    const results = await kit.cancel('fake.jobs.job', { ids: ['run', 'done', 'gone', 'lock', 'nope'] });
    expect(results.map((r) => [r.target, r.outcome])).toEqual([
      ['run', 'cancelled'],
      ['done', 'already-finished'],
      ['gone', 'already-finished'],
      ['lock', 'not-cancellable'],
      ['nope', 'not-found'],
    ]);
    // Only the cancellable target was sent to the cloud.
    expect(cloud.cancelCalls).toEqual([['run']]);
    expect(results.find((r) => r.target === 'lock')?.reason).toBe('locked by maintenance');
    // A target the pre-check settled carries the inspect's request id, the cloud call that decided it.
    expect(results.find((r) => r.target === 'done')?.requestId).toBe('req-inspect');
    expect(results.find((r) => r.target === 'run')?.requestId).toBe('req-cancel');
  });

  it('skips the pre-check when asked and lets the cloud answer', async () => {
    const cloud = new FakeCloud();
    cloud.add('done', 'done');
    const { kit } = kitFor(cloud);
    const [result] = await kit.cancel('fake.jobs.job', { ids: ['done'] }, { precheck: false });
    expect(cloud.inspectCalls).toHaveLength(0);
    expect(cloud.cancelCalls).toEqual([['done']]);
    expect(result?.outcome).toBe('already-finished');
  });

  it('without the pre-check, a refusal explained through inspect keeps the cloud\u2019s request id and error', async () => {
    const cloud = new FakeCloud();
    cloud.add('lock', 'locked');
    cloud.poisoned.set('lock', { code: 'NotCancellable' });
    const { kit } = kitFor(cloud);
    const [result] = await kit.cancel('fake.jobs.job', { ids: ['lock'] }, { precheck: false });
    expect(cloud.cancelCalls).toEqual([['lock']]);
    expect(result).toMatchObject({
      outcome: 'not-cancellable',
      reason: 'locked by maintenance',
      requestId: 'req-fault',
      providerCode: 'Fake.NotCancellable',
      error: { code: 'NotCancellable', providerCode: 'Fake.NotCancellable', requestId: 'req-fault' },
    });
  });

  it('rejects invalid params before any request', async () => {
    const cloud = new FakeCloud();
    const { kit } = kitFor(cloud);
    await expect(kit.cancel('fake.jobs.job', { ids: [] })).rejects.toMatchObject({ code: 'InvalidInput', issues: [{ field: 'ids' }] });
    expect(cloud.cancelCalls).toHaveLength(0);
    expect(cloud.inspectCalls).toHaveLength(0);
  });

  it('names installed plugins for an unknown id', async () => {
    const { kit } = kitFor(new FakeCloud());
    await expect(kit.cancel('nope.x.y', {})).rejects.toMatchObject({ code: 'InvalidInput', hint: expect.stringContaining('fake.jobs.job') });
  });
});

describe('engine: retries', () => {
  it('retries throttling and transient errors with backoff, then succeeds', async () => {
    const cloud = new FakeCloud();
    cloud.add('a');
    cloud.cancelFaults = [{ code: 'Throttled' }, { code: 'Transient' }];
    const { kit, clock } = kitFor(cloud);
    const [r] = await kit.cancel('fake.jobs.job', { ids: ['a'] }, { precheck: false });
    expect(r?.outcome).toBe('cancelled');
    expect(r?.attempts).toBe(3);
    expect(cloud.cancelCalls).toHaveLength(3);
    expect(clock.sleeps.length).toBeGreaterThanOrEqual(2);
  });

  it('never retries a non-retryable error', async () => {
    for (const code of ['PermissionDenied', 'Unauthenticated', 'Unknown', 'InvalidInput'] as const) {
      const cloud = new FakeCloud();
      cloud.add('a');
      cloud.cancelFaults = [{ code }];
      const { kit } = kitFor(cloud);
      const [r] = await kit.cancel('fake.jobs.job', { ids: ['a'] }, { precheck: false });
      expect(cloud.cancelCalls, code).toHaveLength(1);
      expect(r?.outcome).toBe('failed');
      expect(r?.error).toMatchObject({ code, providerCode: `Fake.${code}`, requestId: 'req-fault' });
    }
  });

  it('gives up after maxAttempts and reports the last error', async () => {
    const cloud = new FakeCloud();
    cloud.add('a');
    cloud.cancelFaults = Array.from({ length: 10 }, () => ({ code: 'Throttled' as const }));
    const { kit } = kitFor(cloud, { config: { retry: { maxAttempts: 3 } } });
    const [r] = await kit.cancel('fake.jobs.job', { ids: ['a'] }, { precheck: false });
    expect(cloud.cancelCalls).toHaveLength(3);
    expect(r).toMatchObject({ outcome: 'failed', error: { code: 'Throttled', retryable: true } });
  });

  it('honours a server retry hint longer than the computed backoff', async () => {
    const cloud = new FakeCloud();
    cloud.add('a');
    cloud.cancelFaults = [{ code: 'Throttled', retryAfterMs: 7_000 }];
    const { kit, clock } = kitFor(cloud);
    await kit.cancel('fake.jobs.job', { ids: ['a'] }, { precheck: false });
    expect(clock.sleeps).toContain(7_000);
  });

  it('uses full jitter bounded by the exponential ceiling', () => {
    const retry = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1_000 };
    expect(backoffDelay(1, retry, undefined, () => 0.999)).toBe(99);
    expect(backoffDelay(3, retry, undefined, () => 0.5)).toBe(200);
    expect(backoffDelay(10, retry, undefined, () => 0.999)).toBe(999);
    expect(backoffDelay(2, retry, undefined, () => 0)).toBe(0);
    expect(backoffDelay(1, retry, 5_000, () => 0.5)).toBe(5_000);
  });
});

describe('engine: ambiguous failures are reconciled through inspect', () => {
  it('reports cancelled when the cloud applied the cancel before the connection reset', async () => {
    const cloud = new FakeCloud();
    cloud.add('a');
    cloud.cancelFaults = [{ code: 'Transient', ambiguous: true, applyFirst: true }];
    const { kit } = kitFor(cloud);
    const [r] = await kit.cancel('fake.jobs.job', { ids: ['a'] });
    expect(r?.outcome).toBe('cancelled');
    expect(cloud.cancelCalls).toHaveLength(1);
    expect(cloud.ops.get('a')?.status).toBe('cancelled');
  });

  it('retries when the reset happened before the cloud applied it', async () => {
    const cloud = new FakeCloud();
    cloud.add('a');
    cloud.cancelFaults = [{ code: 'Transient', ambiguous: true }];
    const { kit } = kitFor(cloud);
    const [r] = await kit.cancel('fake.jobs.job', { ids: ['a'] });
    expect(r?.outcome).toBe('cancelled');
    expect(cloud.cancelCalls).toHaveLength(2);
  });

  it('reports cancelled when an ambiguous attempt is applied late and the retry is refused', async () => {
    const cloud = new FakeCloud();
    cloud.add('a');
    cloud.cancelFaults = [{ code: 'Transient', ambiguous: true }];
    // The cloud applies the first (timed-out) attempt only after the engine's reconciliation looked.
    let looks = 0;
    cloud.afterInspect = () => {
      if (++looks === 2) cloud.ops.set('a', { status: 'cancelled' });
    };
    const { kit } = kitFor(cloud);
    const [r] = await kit.cancel('fake.jobs.job', { ids: ['a'] });
    // The retry answered already-finished; the engine asked the cloud again instead of believing it.
    expect(cloud.cancelCalls).toHaveLength(2);
    expect(r?.outcome).toBe('cancelled');
  });

  it('a raw AbortError not caused by the caller (a plugin\u2019s own timeout) is reconciled, not blindly re-sent', async () => {
    const cloud = new FakeCloud();
    cloud.add('a');
    const base = fakePlugin(cloud);
    // The cloud applies the cancel, then the plugin's own timer aborts the request before the answer arrives.
    const timingOut = definePlugin({
      ...base,
      async cancel(params: { ids: string[] }) {
        await cloud.cancel(params.ids);
        throw new DOMException('This operation was aborted', 'AbortError');
      },
    });
    const kit = createKit({ plugins: [timingOut], clock: new VirtualClock() });
    const [r] = await kit.cancel('fake.jobs.job', { ids: ['a'] }, { precheck: false });
    expect(cloud.cancelCalls).toHaveLength(1);
    expect(r).toMatchObject({ outcome: 'cancelled', attempts: 1 });
  });

  it('refines a NotCancellable answer into already-finished when inspect says so', async () => {
    const cloud = new FakeCloud();
    cloud.add('a', 'done');
    cloud.cancelFaults = [{ code: 'NotCancellable' }];
    const { kit } = kitFor(cloud);
    const [r] = await kit.cancel('fake.jobs.job', { ids: ['a'] }, { precheck: false });
    expect(r?.outcome).toBe('already-finished');
  });
});

describe('engine: exactly one final record per target', () => {
  it('fills a target the plugin forgot and drops duplicates and strangers', async () => {
    for (const misbehave of ['duplicate', 'omit', 'extra'] as const) {
      const cloud = new FakeCloud();
      cloud.add('a');
      cloud.add('b');
      cloud.misbehave = misbehave;
      const { kit } = kitFor(cloud);
      const results = await kit.cancel('fake.jobs.job', { ids: ['a', 'b'] }, { precheck: false });
      expect(results.map((r) => r.target), misbehave).toEqual(['a', 'b']);
      if (misbehave === 'omit') expect(results[0]).toMatchObject({ outcome: 'failed', error: { code: 'Unknown' } });
      else expect(results.every((r) => r.outcome === 'cancelled'), misbehave).toBe(true);
    }
  });

  it('a batch under random injected failures yields one record per target, never two, never zero', async () => {
    const cloud = new FakeCloud();
    const items = [];
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const kinds = ['Throttled', 'Transient', 'Unknown', 'PermissionDenied', 'NotFound'] as const;
    for (let i = 0; i < 300; i++) {
      const id = `op-${i}`;
      const r = rand();
      if (r < 0.7) cloud.add(id, 'running');
      else if (r < 0.8) cloud.add(id, 'done');
      else if (r < 0.9) cloud.add(id, 'locked');
      if (rand() < 0.2) cloud.poisoned.set(id, { code: kinds[Math.floor(rand() * kinds.length)] as (typeof kinds)[number], ambiguous: rand() < 0.5 });
      items.push({ plugin: 'fake.jobs.job', params: { ids: [id] } });
    }
    // Bad items must also produce a record each.
    items.push({ plugin: 'fake.jobs.job', params: { ids: [] } });
    items.push({ plugin: 'no.such.plugin', params: { id: 'x' } });
    const { kit } = kitFor(cloud);
    const results = await collect(kit.run(items, { concurrency: 7 }));
    expect(results).toHaveLength(302);
    const keys = results.map((r) => `${r.item}:${r.target}`);
    expect(new Set(keys).size).toBe(302);
    for (let i = 0; i < 300; i++) {
      const r = results.find((x) => x.target === `op-${i}`);
      expect(r, `op-${i}`).toBeDefined();
      // Every target reported cancelled really is cancelled in the cloud.
      if (r?.outcome === 'cancelled') expect(cloud.ops.get(`op-${i}`)?.status).toBe('cancelled');
    }
    expect(results.filter((r) => r.error?.code === 'InvalidInput')).toHaveLength(2);
  });

  it('bounds concurrency', async () => {
    const cloud = new FakeCloud();
    cloud.delayMs = 5;
    const items = Array.from({ length: 40 }, (_, i) => {
      cloud.add(`j${i}`);
      return { plugin: 'fake.jobs.job', params: { ids: [`j${i}`] } };
    });
    const kit = createCancelKit({ plugins: [fakePlugin(cloud)] });
    const results = await collect(kit.run(items, { concurrency: 3, precheck: false }));
    expect(results).toHaveLength(40);
    expect(cloud.maxInFlight).toBe(3);
  });

  it('items whose plugin or target cannot be spelled (objects with a throwing toString) still get one InvalidInput record each', async () => {
    const cloud = new FakeCloud();
    cloud.add('ok');
    const { kit } = kitFor(cloud);
    const hostile = { toString: 0 } as unknown as string;
    const results = await collect(
      kit.run(
        [
          { plugin: hostile, params: [] },
          { plugin: 'fake.jobs.job', params: { ids: [hostile] } },
          { plugin: 'x'.repeat(100_000), params: {} },
          { plugin: 'fake.jobs.job', params: { ids: ['ok'] } },
        ],
        { concurrency: 1 },
      ),
    );
    expect(results.map((r) => [r.item, r.outcome, r.error?.code])).toEqual([
      [0, 'failed', 'InvalidInput'],
      [1, 'failed', 'InvalidInput'],
      [2, 'failed', 'InvalidInput'],
      [3, 'cancelled', undefined],
    ]);
    expect(results[0]).toMatchObject({ plugin: '<object>', target: '#1' });
    expect(results[1]?.target).toBe('#2');
    expect(results[2]?.plugin.length).toBeLessThanOrEqual(256);
    expect(results[2]?.error?.message.length).toBeLessThan(200);
    expect(cloud.cancelCalls).toEqual([['ok']]);
  });

  it('skips targets the caller already settled (resume)', async () => {
    const cloud = new FakeCloud();
    cloud.add('a');
    cloud.add('b');
    const { kit } = kitFor(cloud);
    const results = await collect(
      kit.run([{ plugin: 'fake.jobs.job', params: { ids: ['a', 'b'] } }], { skip: (_p, t) => t === 'a', precheck: false }),
    );
    expect(results.map((r) => r.target)).toEqual(['b']);
    expect(cloud.cancelCalls).toEqual([['b']]);
  });

  it('resuming an item of a multi-target plugin without select: a settled target gets no second record', async () => {
    const cloud = new FakeCloud();
    cloud.add('a');
    cloud.add('b');
    const plugin = fakePlugin(cloud);
    const { select: _dropped, ...withoutSelect } = plugin;
    const kit = createCancelKit({ plugins: [definePlugin(withoutSelect)], clock: new VirtualClock() });
    const results = await collect(kit.run([{ plugin: 'fake.jobs.job', params: { ids: ['a', 'b'] } }], { skip: (_p, t) => t === 'a', precheck: false }));
    expect(results.map((r) => [r.target, r.outcome])).toEqual([['b', 'cancelled']]);
  });

  it('the same target on two batch items is sent once; the second item gets a copy of its record', async () => {
    for (const concurrency of [1, 4]) {
      const cloud = new FakeCloud();
      cloud.add('a');
      cloud.add('b');
      const { kit } = kitFor(cloud);
      const results = await collect(
        kit.run(
          [
            { plugin: 'fake.jobs.job', params: { ids: ['a'] } },
            { plugin: 'fake.jobs.job', params: { ids: ['a', 'b'] } },
            { plugin: 'fake.jobs.job', params: { ids: ['a'] } },
          ],
          { concurrency, precheck: false },
        ),
      );
      // One cancel per target, however many items name it; one record per item and target.
      expect(cloud.cancelCalls.flat().sort(), `concurrency ${concurrency}`).toEqual(['a', 'b']);
      const byItem = results.map((r) => `${r.item}:${r.target}:${r.outcome}:${r.attempts}`).sort();
      expect(byItem).toEqual(['0:a:cancelled:1', '1:a:cancelled:0', '1:b:cancelled:1', '2:a:cancelled:0']);
      const copy = results.find((r) => r.item === 2);
      expect(copy?.requestId).toBe(results.find((r) => r.item === 0)?.requestId);
      expect(copy?.reason).toContain('Batch item 1 addresses the same target');
    }
  });

  it('a consumer that stops reading stops the batch: nothing more is sent, and nothing runs on unseen', async () => {
    const cloud = new FakeCloud();
    cloud.delayMs = 10;
    let pulled = 0;
    function* items() {
      for (let i = 0; i < 50; i++) {
        cloud.add(`m${i}`);
        pulled++;
        yield { plugin: 'fake.jobs.job', params: { ids: [`m${i}`] } };
      }
    }
    const kit = createCancelKit({ plugins: [fakePlugin(cloud)] });
    const seen: TargetResult[] = [];
    for await (const r of kit.run(items(), { concurrency: 2, precheck: false })) {
      seen.push(r);
      if (seen.length === 3) break;
    }
    // return() resolved only after the in-flight cancels settled; from then on the cloud hears nothing.
    const sent = cloud.cancelCalls.length;
    expect(sent).toBeLessThanOrEqual(5);
    expect(pulled).toBeLessThanOrEqual(5);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(cloud.cancelCalls.length).toBe(sent);
    expect(pulled).toBeLessThanOrEqual(5);
  });

  it('on abort, unstarted targets still get a record and nothing more is sent', async () => {
    const cloud = new FakeCloud();
    cloud.delayMs = 20;
    const items = Array.from({ length: 20 }, (_, i) => {
      cloud.add(`k${i}`);
      return { plugin: 'fake.jobs.job', params: { ids: [`k${i}`] } };
    });
    const kit = createCancelKit({ plugins: [fakePlugin(cloud)] });
    const controller = new AbortController();
    const results: TargetResult[] = [];
    for await (const r of kit.run(items, { concurrency: 2, precheck: false, signal: controller.signal })) {
      results.push(r);
      if (results.length === 3) controller.abort();
    }
    expect(results).toHaveLength(20);
    expect(new Set(results.map((r) => r.target)).size).toBe(20);
    expect(cloud.cancelCalls.length).toBeLessThan(10);
    const aborted = results.filter((r) => r.outcome === 'failed');
    expect(aborted.length).toBeGreaterThan(10);
    for (const r of results) if (r.outcome === 'cancelled') expect(cloud.ops.get(r.target)?.status).toBe('cancelled');
  });
});

describe('engine: rate limiting', () => {
  it('holds each service to its qps', async () => {
    const cloud = new FakeCloud();
    const clock = new VirtualClock();
    const items = Array.from({ length: 21 }, (_, i) => {
      cloud.add(`r${i}`);
      return { plugin: 'fake.jobs.job', params: { ids: [`r${i}`] } };
    });
    const kit = createCancelKit({ plugins: [fakePlugin(cloud)], clock, config: { rateLimits: { 'fake.jobs': 10 } } });
    const start = clock.now();
    const results = await collect(kit.run(items, { concurrency: 5, precheck: false }));
    expect(results).toHaveLength(21);
    // A rate the user set has a burst of 1: 20 more tokens at 10 qps take at least 2 s of (virtual) time.
    expect(clock.now() - start).toBeGreaterThanOrEqual(2_000);
    expect(clock.now() - start).toBeLessThan(2_500);
  });

  it('keeps services independent and uses the manifest default', async () => {
    const cloudA = new FakeCloud();
    const cloudB = new FakeCloud();
    const clock = new VirtualClock();
    for (let i = 0; i < 10; i++) {
      cloudA.add(`a${i}`);
      cloudB.add(`b${i}`);
    }
    const kit = createCancelKit({
      plugins: [
        fakePlugin(cloudA, { id: 'fake.slow.job', service: 'fake.slow', defaultQps: 1 }),
        fakePlugin(cloudB, { id: 'fake.fast.job', service: 'fake.fast' }),
      ],
      clock,
    });
    const fast = await kit.cancel('fake.fast.job', { ids: ['b0'] }, { precheck: false });
    expect(fast[0]?.outcome).toBe('cancelled');
    expect(clock.sleeps).toHaveLength(0);
    const t0 = clock.now();
    for (let i = 0; i < 3; i++) await kit.cancel('fake.slow.job', { ids: [`a${i}`] }, { precheck: false });
    expect(clock.now() - t0).toBeGreaterThanOrEqual(2_000);
  });
});

describe('engine: ctx.send paces every request and retries reads one by one', () => {
  /** A plugin whose inspect lists three pages and whose cancel is one request, all through ctx.send. */
  function pagingPlugin(pages: { faults: Map<number, string[]>; sent: string[] }) {
    const request = (name: string) => async () => {
      pages.sent.push(name);
      const code = pages.faults.get(Number(name.slice(-1)))?.shift();
      if (code === 'Throttled') throw new CancelKitError('Throttled', `throttled on ${name}`);
      if (code === 'Reset') throw new CancelKitError('Transient', `reset on ${name}`, { ambiguous: true });
      return name;
    };
    return definePlugin<{ id: string }>({
      manifest: {
        id: 'paging.jobs.job',
        provider: 'paging',
        service: 'paging.jobs',
        operation: 'job',
        title: 'Paging job',
        docsUrl: 'https://example.invalid/docs',
        paramsSchema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        targetParam: 'id',
        capabilities: { inspect: true, batch: false, wait: false },
        coreRange: '^0.1.0',
      },
      parse: (input) => ({ id: String((input as { id?: unknown }).id) }),
      targets: (params) => [params.id],
      async inspect(params, ctx) {
        for (const page of [1, 2, 3]) await ctx.send(request(`list-page-${page}`), { readOnly: true });
        return [{ target: params.id, found: true, terminal: false, cancelled: false, cancellable: true }];
      },
      async cancel(params, ctx) {
        await ctx.send(request('cancel-0'), { readOnly: false });
        return [{ target: params.id, outcome: 'cancelled' }];
      },
    });
  }

  it('a throttled page is retried alone: the pages before it are not listed again', async () => {
    const pages = { faults: new Map([[2, ['Throttled', 'Reset']]]), sent: [] as string[] };
    const kit = createCancelKit({ plugins: [pagingPlugin(pages)], clock: new VirtualClock(), config: { retry: { maxAttempts: 4 } } });
    const [state] = await kit.inspect('paging.jobs.job', { id: 'j1' });
    expect(state).toMatchObject({ found: true });
    expect(pages.sent).toEqual(['list-page-1', 'list-page-2', 'list-page-2', 'list-page-2', 'list-page-3']);
  });

  it('a read retried to the limit fails the inspect without the whole inspect being retried again', async () => {
    const pages = { faults: new Map([[2, ['Throttled', 'Throttled', 'Throttled', 'Throttled', 'Throttled']]]), sent: [] as string[] };
    const kit = createCancelKit({ plugins: [pagingPlugin(pages)], clock: new VirtualClock(), config: { retry: { maxAttempts: 3 } } });
    await expect(kit.inspect('paging.jobs.job', { id: 'j1' })).rejects.toMatchObject({ code: 'Throttled' });
    expect(pages.sent).toEqual(['list-page-1', 'list-page-2', 'list-page-2', 'list-page-2']);
  });

  it('a mutating request is sent once by ctx.send; the engine owns its retry', async () => {
    const pages = { faults: new Map([[0, ['Throttled']]]), sent: [] as string[] };
    const kit = createCancelKit({ plugins: [pagingPlugin(pages)], clock: new VirtualClock(), config: { retry: { maxAttempts: 3 } } });
    const [result] = await kit.cancel('paging.jobs.job', { id: 'j1' }, { precheck: false });
    expect(result).toMatchObject({ outcome: 'cancelled', attempts: 2 });
    expect(pages.sent).toEqual(['cancel-0', 'cancel-0']);
  });

  it('every request takes its own token: a three-page inspect at 10 qps spends 200 ms of waiting', async () => {
    const clock = new VirtualClock();
    const pages = { faults: new Map<number, string[]>(), sent: [] as string[] };
    const kit = createCancelKit({ plugins: [pagingPlugin(pages)], clock, config: { rateLimits: { 'paging.jobs': 10 } } });
    const start = clock.now();
    await kit.inspect('paging.jobs.job', { id: 'j1' });
    await kit.inspect('paging.jobs.job', { id: 'j2' });
    // Six requests at a burst of 1: five waits of 100 ms. One token per inspect call would have waited 100.
    expect(clock.now() - start).toBe(500);
  });
});

describe('engine: rate limit bursts', () => {
  function timedPlugin(clock: VirtualClock, sent: number[], defaultQps?: number) {
    const base = fakePlugin(new FakeCloud(), { id: 'fake.timed.job', service: 'fake.timed', ...(defaultQps !== undefined ? { defaultQps } : {}) });
    return definePlugin<{ id: string }>({
      manifest: base.manifest,
      parse: (i) => i as { id: string },
      targets: (p) => [p.id],
      async cancel(p) {
        sent.push(clock.now());
        return [{ target: p.id, outcome: 'cancelled' }];
      },
    });
  }
  const items = (n: number) => Array.from({ length: n }, (_, i) => ({ plugin: 'fake.timed.job', params: { id: `t${i}` } }));

  it('never sends more than a user-set qps in any one-second window', async () => {
    const clock = new VirtualClock();
    const sent: number[] = [];
    const kit = createKit({ plugins: [timedPlugin(clock, sent)], clock, config: { rateLimits: { '*': 10 } } });
    const t0 = clock.now();
    const results = await collect(kit.run(items(35), { concurrency: 8, precheck: false }));
    expect(results.filter((r) => r.outcome === 'cancelled')).toHaveLength(35);
    for (const t of sent) expect(sent.filter((s) => s >= t && s < t + 1_000).length).toBeLessThanOrEqual(10);
    // Steady at the rate: 34 tokens after the first take 3.4 s.
    expect(clock.now() - t0).toBeGreaterThanOrEqual(3_400);
    expect(clock.now() - t0).toBeLessThan(3_800);
  });

  it('does not lose the rate to late timers, and still holds any second to qps + 1', async () => {
    // Every sleep ends 1 ms late, as real timers do on a busy event loop.
    const clock = new VirtualClock();
    const late = { now: () => clock.now(), sleep: (ms: number, signal?: AbortSignal) => clock.sleep(ms + 1, signal) };
    const bucket = new TokenBucket(500, 1, late);
    const t0 = clock.now();
    const sent: number[] = [];
    for (let i = 0; i < 1_001; i++) {
      await bucket.take();
      sent.push(clock.now());
    }
    // 1,000 tokens after the first at 500 qps: 2 s (a strict cap would lose 1 ms per 2 ms wait: 3 s).
    expect(clock.now() - t0).toBeLessThan(2_100);
    for (const t of sent) expect(sent.filter((s) => s >= t && s < t + 1_000).length).toBeLessThanOrEqual(501);
  });

  it("keeps the manifest default's burst of a fifth of its qps", async () => {
    const clock = new VirtualClock();
    const sent: number[] = [];
    const kit = createKit({ plugins: [timedPlugin(clock, sent, 20)], clock });
    const t0 = clock.now();
    await collect(kit.run(items(6), { concurrency: 8, precheck: false }));
    // 20 qps: a burst of 4 goes at once, then one every 50 ms.
    expect(sent.slice(0, 4)).toEqual([t0, t0, t0, t0]);
    expect((sent[4] ?? t0) - t0).toBeGreaterThanOrEqual(50);
  });
});

describe('engine: plan and wait', () => {
  it('plan matches what a real run then does, and never mutates', async () => {
    const cloud = new FakeCloud();
    cloud.add('run');
    cloud.add('done', 'done');
    cloud.add('lock', 'locked');
    const { kit } = kitFor(cloud);
    const plan = await kit.plan('fake.jobs.job', { ids: ['run', 'done', 'lock', 'nope'] });
    expect(cloud.cancelCalls).toHaveLength(0);
    expect(plan.map((p) => [p.target, p.action, p.expected])).toEqual([
      ['run', 'cancel', 'cancelled'],
      ['done', 'skip', 'already-finished'],
      ['lock', 'skip', 'not-cancellable'],
      ['nope', 'skip', 'not-found'],
    ]);
    const real = await kit.cancel('fake.jobs.job', { ids: ['run', 'done', 'lock', 'nope'] });
    expect(real.map((r) => r.outcome)).toEqual(plan.map((p) => p.expected));
  });

  it('plan matches the real run for a target inspect did not report (the pre-check sends its cancel)', async () => {
    const cloud = new FakeCloud();
    cloud.add('a');
    cloud.add('b', 'done');
    // An inspect that answers for some targets only: the pre-check decides nothing for 'a' and sends its cancel.
    const base = fakePlugin(cloud);
    const partial = definePlugin({ ...base, inspect: async (params: { ids: string[] }) => (await cloud.inspect(params.ids)).filter((s) => s.target !== 'a') });
    const kit = createKit({ plugins: [partial], clock: new VirtualClock() });
    const plan = await kit.plan('fake.jobs.job', { ids: ['a', 'b'] });
    expect(cloud.cancelCalls).toHaveLength(0);
    const real = await kit.cancel('fake.jobs.job', { ids: ['a', 'b'] });
    expect(cloud.cancelCalls).toEqual([['a']]);
    expect(plan.map((p) => [p.target, p.action, p.expected])).toEqual([
      ['a', 'cancel', 'cancelled'],
      ['b', 'skip', 'already-finished'],
    ]);
    expect(real.map((r) => r.outcome)).toEqual(plan.map((p) => p.expected));
  });

  it('wait polls until terminal or times out', async () => {
    const cloud = new FakeCloud();
    cloud.add('a');
    const { kit, clock } = kitFor(cloud, { config: { wait: { intervalMs: 1_000, timeoutMs: 5_000 } } });
    const [r] = await kit.cancel('fake.jobs.job', { ids: ['a'] }, { wait: true });
    expect(r?.waited).toMatchObject({ terminal: true, timedOut: false, status: 'cancelled' });

    cloud.add('stuck', 'locked');
    const t0 = clock.now();
    const [w] = await kit.wait('fake.jobs.job', { ids: ['stuck'] });
    expect(w).toMatchObject({ terminal: false, timedOut: true });
    expect(clock.now() - t0).toBeGreaterThanOrEqual(5_000);
  });

  it('wait keeps polling through transient inspect failures, but stops at once when inspect is refused for good', async () => {
    const cloud = new FakeCloud();
    cloud.add('a', 'locked');
    const { kit, clock } = kitFor(cloud, { config: { wait: { intervalMs: 1_000, timeoutMs: 600_000 } } });
    // A principal that may cancel but not read: every poll would be refused until the timeout.
    cloud.inspectFaults = [{ code: 'Transient' }, { code: 'PermissionDenied' }, { code: 'PermissionDenied' }];
    const t0 = clock.now();
    const [w] = await kit.wait('fake.jobs.job', { ids: ['a'] });
    expect(w).toMatchObject({ terminal: false, timedOut: false, gaveUp: { code: 'PermissionDenied', message: 'injected PermissionDenied' } });
    expect(cloud.inspectCalls).toHaveLength(2);
    expect(clock.now() - t0).toBeLessThan(600_000);
  });
});
