import { ContainerModule } from 'inversify';
import { describe, expect, it } from 'vitest';
import type { CredentialSource } from './credentials.js';
import type { EndpointSource } from './endpoints.js';
import { definePlugin, isCancellablePlugin } from './contract.js';
import { createCancelKit, createPluginModule } from './kit.js';
import { type LogRecord, SecretRegistry, createLogger } from './logger.js';
import { FakeCloud, fakePlugin } from './test-support/fake-plugin.js';
import { routingPlugin, startNamedServer } from './test-support/named-server.js';
import { TOKENS } from './tokens.js';
import { CORE_VERSION } from './version.js';

interface TestCreds {
  key: string;
  secret: string;
}
const defaultSource: CredentialSource<TestCreds> = {
  provider: 'fake',
  description: 'test default',
  resolve: async () => ({ key: 'default-key', secret: 'default-secret-value' }),
  secretsOf: (c) => [c.secret],
};

describe('createCancelKit', () => {
  it('binds plugins given as objects or ContainerModules under the multi-bound token', () => {
    const a = fakePlugin(new FakeCloud(), { id: 'fake.a.job', service: 'fake.a' });
    const b = fakePlugin(new FakeCloud(), { id: 'fake.b.job', service: 'fake.b' });
    const kit = createCancelKit({ plugins: [a, createPluginModule(b)] });
    expect(kit.manifests().map((m) => m.id).sort()).toEqual(['fake.a.job', 'fake.b.job']);
    expect(kit.container.getAll(TOKENS.Plugin)).toHaveLength(2);
  });

  it('refuses two plugins with one id and a plugin built for another core', () => {
    const cloud = new FakeCloud();
    expect(() => createCancelKit({ plugins: [fakePlugin(cloud), fakePlugin(cloud)] })).toThrowError(/Two plugins claim the id "fake.jobs.job"/);
    expect(() => createCancelKit({ plugins: [fakePlugin(cloud, { coreRange: '^9.0.0' })] })).toThrowError(
      new RegExp(`supports @cancelkit/core \\^9\\.0\\.0, but the running core is ${CORE_VERSION.replace(/\./g, '\\.')}`),
    );
  });

  it('lets the host override a provider credential source and redacts its secrets', async () => {
    const records: LogRecord[] = [];
    let seen: TestCreds | undefined;
    const plugin = definePlugin<{ id: string }>({
      manifest: { ...fakePlugin(new FakeCloud()).manifest, id: 'fake.creds.job', provider: 'fake' },
      parse: (i) => i as { id: string },
      targets: (p) => [p.id],
      credentialSources: [defaultSource],
      async cancel(p, ctx) {
        seen = await ctx.credentials(defaultSource);
        ctx.logger.info(`using ${seen.secret}`);
        return [{ target: p.id, outcome: 'cancelled' }];
      },
    });
    const override: CredentialSource<TestCreds> = { ...defaultSource, description: 'host', resolve: async () => ({ key: 'host-key', secret: 'host-secret-value' }) };
    const kit = createCancelKit({
      plugins: [plugin],
      modules: [
        new ContainerModule(({ bind }) => {
          bind(TOKENS.CredentialSource).toConstantValue(override);
        }),
      ],
      logger: undefined,
    });
    // The logger is bound by the kit; use one that shares the kit's registry to prove redaction.
    const logged = createCancelKit({
      plugins: [plugin],
      credentialSources: [override],
      secrets: kit.secrets,
      logger: createLogger({ sink: (r) => records.push(r), secrets: kit.secrets }),
    });
    await kit.cancel('fake.creds.job', { id: 'x' });
    expect(seen?.key).toBe('host-key');
    await logged.cancel('fake.creds.job', { id: 'y' });
    expect(JSON.stringify(records)).not.toContain('host-secret-value');
    expect(records[0]?.message).toContain('[REDACTED]');
  });

  it('passes endpoint overrides by plugin id, service or wildcard, refusing plain http off loopback', async () => {
    let endpoint: string | undefined;
    const plugin = definePlugin<{ id: string }>({
      manifest: { ...fakePlugin(new FakeCloud()).manifest, id: 'fake.ep.job', service: 'fake.ep' },
      parse: (i) => i as { id: string },
      targets: (p) => [p.id],
      async cancel(p, ctx) {
        endpoint = ctx.endpoint;
        return [{ target: p.id, outcome: 'cancelled' }];
      },
    });
    await createCancelKit({ plugins: [plugin], config: { endpoints: { 'fake.ep': 'http://127.0.0.1:9' } } }).cancel('fake.ep.job', { id: 'a' });
    expect(endpoint).toBe('http://127.0.0.1:9');
    await createCancelKit({ plugins: [plugin], config: { endpoints: { '*': 'https://example.test' } } }).cancel('fake.ep.job', { id: 'a' });
    expect(endpoint).toBe('https://example.test');
    const [r] = await createCancelKit({ plugins: [plugin], config: { endpoints: { '*': 'http://example.test' } } }).cancel('fake.ep.job', { id: 'a' });
    expect(r).toMatchObject({ outcome: 'failed', error: { code: 'InvalidInput' } });
  });

  it('honours an EndpointSource a host ContainerModule binds, over a real request', async () => {
    const [hostRoute, fallback] = await Promise.all([startNamedServer('host route'), startNamedServer('default')]);
    const routed: EndpointSource = { provider: 'route', description: 'host router', resolve: ({ region }) => (region === 'region-1' ? hostRoute.url : undefined) };
    const kit = createCancelKit({
      plugins: [routingPlugin(() => fallback.url)],
      modules: [
        new ContainerModule(({ bind }) => {
          bind(TOKENS.EndpointSource).toConstantValue(routed);
        }),
      ],
    });
    try {
      expect(kit.container.getAll(TOKENS.EndpointSource)).toEqual([routed]);
      const [result] = await kit.cancel('route.widgets.job', { id: 'w-1' });
      expect(result).toMatchObject({ outcome: 'cancelled', reason: 'host route' });
      expect(hostRoute.hits).toEqual(['/cancel/w-1']);
      expect(fallback.hits).toEqual([]);
    } finally {
      await kit.close();
      await Promise.all([hostRoute.close(), fallback.close()]);
    }
  });

  it('uses the SecretRegistry a host ContainerModule binds (or rebinds) for what plugins register', async () => {
    const plugin = definePlugin<{ id: string }>({
      manifest: { ...fakePlugin(new FakeCloud()).manifest, id: 'fake.secret.job' },
      parse: (i) => i as { id: string },
      targets: (p) => [p.id],
      async cancel(p, ctx) {
        ctx.addSecret('derived-token-value');
        return [{ target: p.id, outcome: 'cancelled' }];
      },
    });
    for (const how of ['bind', 'rebind'] as const) {
      const hostSecrets = new SecretRegistry();
      const kit = createCancelKit({
        plugins: [plugin],
        modules: [
          new ContainerModule((options) => {
            options[how](TOKENS.SecretRegistry).toConstantValue(hostSecrets);
          }),
        ],
      });
      expect(kit.container.get(TOKENS.SecretRegistry)).toBe(hostSecrets);
      expect(kit.secrets).toBe(hostSecrets);
      await kit.cancel('fake.secret.job', { id: 'x' });
      expect(hostSecrets.redactString('token derived-token-value')).toBe('token [REDACTED]');
    }
  });

  it('definePlugin returns a frozen, tagged plain object', () => {
    const p = fakePlugin(new FakeCloud());
    expect(isCancellablePlugin(p)).toBe(true);
    expect(Object.isFrozen(p)).toBe(true);
    expect(isCancellablePlugin({ ...p, $$type: 'other' })).toBe(false);
  });
});
