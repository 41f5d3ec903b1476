/**
 * `CallContext.endpointFor`: the config / `--endpoint` override, then the host's endpoint source for the
 * plugin's provider, then the provider's own default — and a source is held to the same URL rules as config.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCallContext } from './context.js';
import type { EndpointRequest, EndpointSource } from './endpoints.js';
import { isCancelKitError } from './errors.js';
import { createKit } from './light-kit.js';
import { type NamedServer, routingPlugin, startNamedServer } from './test-support/named-server.js';

function recordingSource(provider: string, url: string | undefined, description?: string): EndpointSource & { seen: EndpointRequest[] } {
  const seen: EndpointRequest[] = [];
  return {
    provider,
    ...(description !== undefined ? { description } : {}),
    seen,
    resolve(request) {
      seen.push(request);
      return url;
    },
  };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('createCallContext endpointFor', () => {
  const request = { product: 'ecs', region: 'cn-hangzhou' };

  it('prefers the config override, without asking the source', () => {
    const source = recordingSource('alibaba', 'https://source.example.test');
    const ctx = createCallContext({ endpoint: 'http://127.0.0.1:1', provider: 'alibaba', service: 'alibaba.ecs', endpointSources: [source] });
    expect(ctx.endpointFor(request)).toBe('http://127.0.0.1:1');
    expect(ctx.endpoint).toBe('http://127.0.0.1:1');
    expect(source.seen).toEqual([]);
  });

  it("asks the source for the plugin's provider, telling it provider, service, product and region", () => {
    const other = recordingSource('huaweicloud', 'https://other.example.test');
    const source = recordingSource('alibaba', 'https://ecs-vpc.cn-hangzhou.example.test');
    const ctx = createCallContext({ provider: 'alibaba', service: 'alibaba.ecs', endpointSources: [other, source] });
    expect(ctx.endpointFor(request)).toBe('https://ecs-vpc.cn-hangzhou.example.test');
    expect(ctx.endpointFor({})).toBe('https://ecs-vpc.cn-hangzhou.example.test');
    expect(source.seen).toEqual([
      { provider: 'alibaba', service: 'alibaba.ecs', product: 'ecs', region: 'cn-hangzhou' },
      { provider: 'alibaba', service: 'alibaba.ecs', product: undefined, region: undefined },
    ]);
    expect(other.seen).toEqual([]);
    expect(ctx.endpoint).toBeUndefined();
  });

  it('returns undefined (use the provider default) with no source for the provider, or when the source has no opinion', () => {
    expect(createCallContext().endpointFor(request)).toBeUndefined();
    const elsewhere = createCallContext({ provider: 'alibaba', service: 'alibaba.ecs', endpointSources: [recordingSource('huaweicloud', 'https://x.test')] });
    expect(elsewhere.endpointFor(request)).toBeUndefined();
    const undecided = recordingSource('alibaba', undefined);
    expect(createCallContext({ provider: 'alibaba', service: 'alibaba.ecs', endpointSources: [undecided] }).endpointFor(request)).toBeUndefined();
    expect(undecided.seen).toHaveLength(1);
  });

  it('refuses plain http off loopback from a source as InvalidInput naming the source, unless forced', () => {
    const source = recordingSource('alibaba', 'http://ecs.example.test', 'vault endpoint map');
    const ctx = createCallContext({ provider: 'alibaba', service: 'alibaba.ecs', endpointSources: [source] });
    const error = thrown(() => ctx.endpointFor(request));
    expect(isCancelKitError(error) && error.code).toBe('InvalidInput');
    expect((error as Error).message).toMatch(/^endpoint from vault endpoint map: plain http is only allowed for loopback/);
    const unnamed = createCallContext({ provider: 'alibaba', service: 'alibaba.ecs', endpointSources: [recordingSource('alibaba', 'ftp://host')] });
    expect(() => unnamed.endpointFor(request)).toThrowError(/endpoint from the host's alibaba endpoint source: protocol ftp: is not http\(s\)/);
    const forced = createCallContext({ provider: 'alibaba', service: 'alibaba.ecs', endpointSources: [source], allowInsecureHttp: true });
    expect(forced.endpointFor(request)).toBe('http://ecs.example.test');
    const loopback = createCallContext({ provider: 'alibaba', service: 'alibaba.ecs', endpointSources: [recordingSource('alibaba', 'http://127.0.0.1:8787')] });
    expect(loopback.endpointFor(request)).toBe('http://127.0.0.1:8787');
  });

  it('refuses a source answer that is not a string, and sources given without the plugin they serve', () => {
    const weird: EndpointSource = { provider: 'alibaba', description: 'weird', resolve: () => 42 as unknown as string };
    expect(() => createCallContext({ provider: 'alibaba', service: 'alibaba.ecs', endpointSources: [weird] }).endpointFor(request)).toThrowError(
      /endpoint from weird: is not a URL string/,
    );
    expect(() => createCallContext({ endpointSources: [weird] })).toThrowError(TypeError);
  });
});

describe('endpoint precedence through the engine, over real HTTP', () => {
  let config: NamedServer;
  let bound: NamedServer;
  let fallback: NamedServer;
  beforeAll(async () => {
    [config, bound, fallback] = await Promise.all([startNamedServer('config'), startNamedServer('source'), startNamedServer('default')]);
  });
  afterAll(async () => {
    await Promise.all([config.close(), bound.close(), fallback.close()]);
  });

  async function answeredBy(options: Parameters<typeof createKit>[0]): Promise<string | undefined> {
    const kit = createKit({ plugins: [routingPlugin(() => fallback.url)], ...options });
    try {
      const [result] = await kit.cancel('route.widgets.job', { id: 'w-1' });
      expect(result?.outcome, JSON.stringify(result)).toBe('cancelled');
      return result?.reason;
    } finally {
      await kit.close();
    }
  }

  it('config endpoint > bound source > provider default', async () => {
    const source = recordingSource('route', bound.url);
    expect(await answeredBy({ config: { endpoints: { 'route.widgets': config.url } }, endpointSources: [source] })).toBe('config');
    expect(source.seen).toEqual([]);
    expect(await answeredBy({ endpointSources: [source] })).toBe('source');
    expect(source.seen).toEqual([{ provider: 'route', service: 'route.widgets', product: 'widgets', region: 'region-1' }]);
    expect(await answeredBy({ endpointSources: [recordingSource('route', undefined)] })).toBe('default');
    expect(await answeredBy({})).toBe('default');
    expect(bound.hits).toEqual(['/cancel/w-1']);
  });

  it('a source answering plain http off loopback fails the target with InvalidInput and sends nothing', async () => {
    const before = fallback.hits.length + bound.hits.length;
    const kit = createKit({ plugins: [routingPlugin(() => fallback.url)], endpointSources: [recordingSource('route', 'http://widgets.example.test', 'widget router')] });
    const [result] = await kit.cancel('route.widgets.job', { id: 'w-2' });
    await kit.close();
    expect(result).toMatchObject({ outcome: 'failed', attempts: 1, error: { code: 'InvalidInput' } });
    expect(result?.error?.message).toContain('endpoint from widget router');
    expect(fallback.hits.length + bound.hits.length).toBe(before);
  });
});
