import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTokensEnv, sha256, TokenAuthenticator, TokenConfigError } from './auth.js';
import { ConfigError, parseFlags, resolveServerConfig } from './config.js';
import { TokenRateLimiter } from './rate-limit.js';
import { tempDir } from './test-support/harness.js';

describe('configuration', () => {
  const temp = tempDir();
  afterAll(() => temp.remove());

  it('defaults to the emulator backend when no cloud config is given', () => {
    const config = resolveServerConfig({}, {}, temp.dir);
    expect(config).toMatchObject({ backend: 'emulator', host: '127.0.0.1', port: 8080, tokens: [], database: undefined });
  });

  it('reads :memory: as the in-memory database from a flag, the environment or the file alike', () => {
    expect(resolveServerConfig({ database: ':memory:' }, {}, temp.dir).database).toBe(':memory:');
    expect(resolveServerConfig({}, { CANCELKIT_SERVER_DB: ':memory:' }, temp.dir).database).toBe(':memory:');
    expect(resolveServerConfig({ database: 'audit.db' }, {}, temp.dir).database).toBe(path.join(temp.dir, 'audit.db'));
  });

  it('layers file, environment and flags, and switches to the cloud when providers are configured', () => {
    const file = path.join(temp.dir, 'server.json');
    writeFileSync(
      file,
      JSON.stringify({
        port: 9000,
        database: 'data/jobs.db',
        tokens: [{ name: 'ci', token: 'ci-token-0123456789abcdef' }],
        providers: { alibaba: { accessKeyId: 'id', accessKeySecret: 'secret' } },
        retry: { maxAttempts: 2 },
        limits: { maxTargets: 10, rateLimit: { burst: 5 } },
      }),
    );
    const config = resolveServerConfig(
      { config: file, host: '0.0.0.0' },
      { CANCELKIT_SERVER_PORT: '9100', CANCELKIT_SERVER_TOKENS: 'ops:ops-token-0123456789abcdef:alibaba.ecs.task,alibaba.oos.execution' },
      '/',
    );
    expect(config.backend).toBe('cloud');
    expect(config.host).toBe('0.0.0.0');
    expect(config.port).toBe(9100);
    expect(config.database).toBe(path.join(temp.dir, 'data/jobs.db'));
    expect(config.tokens.map((t) => t.name)).toEqual(['ci', 'ops']);
    expect(config.tokens[1]?.plugins).toEqual(['alibaba.ecs.task', 'alibaba.oos.execution']);
    expect(config.cancelkit).toEqual({ providers: { alibaba: { accessKeyId: 'id', accessKeySecret: 'secret' } }, retry: { maxAttempts: 2 } });
    expect(config.limits).toEqual({ maxTargets: 10, rateLimit: { burst: 5 } });
    expect(resolveServerConfig({ config: file, backend: 'emulator' }, {}, '/').backend).toBe('emulator');
  });

  it('takes the plugins list of the project\u2019s cancelkit.config.json, unless its own config lists plugins', () => {
    const project = path.join(temp.dir, 'project');
    mkdirSync(project, { recursive: true });
    expect(resolveServerConfig({}, {}, project).plugins).toBeUndefined();
    writeFileSync(path.join(project, 'cancelkit.config.json'), JSON.stringify({ plugins: ['./vendor/acme'], output: 'json' }));
    expect(resolveServerConfig({}, {}, project).plugins).toEqual(['./vendor/acme']);
    const own = path.join(project, 'server.json');
    writeFileSync(own, JSON.stringify({ plugins: ['@cancelkit/plugin-alibaba-ecs'] }));
    expect(resolveServerConfig({ config: own }, {}, project).plugins).toEqual(['@cancelkit/plugin-alibaba-ecs']);
    writeFileSync(path.join(project, 'cancelkit.config.json'), JSON.stringify({ plugins: 'acme' }));
    expect(() => resolveServerConfig({}, {}, project)).toThrow(/cancelkit\.config\.json: "plugins" must be a list/);
    writeFileSync(path.join(project, 'cancelkit.config.json'), '{ "plugins": [');
    expect(() => resolveServerConfig({}, {}, project)).toThrow(/cancelkit\.config\.json is not valid JSON/);
  });

  it('names unknown keys and bad values in the config file', () => {
    const file = path.join(temp.dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ port: 'eighty', tokenz: [], limits: { bodyBytes: -1 } }));
    expect(() => resolveServerConfig({ config: file }, {}, '/')).toThrow(ConfigError);
    try {
      resolveServerConfig({ config: file }, {}, '/');
    } catch (error) {
      expect((error as Error).message).toMatch(/tokenz: unknown key/);
      expect((error as Error).message).toMatch(/port:/);
      expect((error as Error).message).toMatch(/limits\.bodyBytes:/);
    }
    expect(() => resolveServerConfig({ config: path.join(temp.dir, 'missing.json') }, {}, '/')).toThrow(/Cannot read the config file/);
  });

  it('refuses to serve the real clouds without API tokens', async () => {
    const { startServer } = await import('./start.js');
    await expect(startServer(resolveServerConfig({ backend: 'cloud', port: 0 }, {}, temp.dir), { print: () => {} })).rejects.toThrow(
      /No API tokens are configured.*CANCELKIT_SERVER_TOKENS/,
    );
  });

  it('parses flags and rejects unknown ones', () => {
    expect(parseFlags(['--config', 'a.json', '--port=0', '--emulator', '--db', 'x.db', '--log-level', 'warn'])).toEqual({
      config: 'a.json',
      port: 0,
      backend: 'emulator',
      database: 'x.db',
      logLevel: 'warn',
    });
    expect(() => parseFlags(['--port', 'http'])).toThrow(/not a port number/);
    expect(() => parseFlags(['--endpoint', 'x'])).toThrow(/Unknown option "--endpoint"/);
    expect(() => parseFlags(['--config'])).toThrow(/needs a value/);
    expect(() => parseFlags(['--host', ''])).toThrow(/--host needs a value/);
    expect(() => parseFlags(['--host='])).toThrow(/--host needs a value/);
  });
});

describe('tokens', () => {
  it('authenticates by SHA-256 digest, for plain and pre-hashed tokens', () => {
    const auth = new TokenAuthenticator([
      { name: 'a', token: 'token-a-0123456789abcdef' },
      { name: 'b', sha256: sha256('token-b-0123456789abcdef').toString('hex'), plugins: ['x.y.z'] },
    ]);
    expect(auth.authenticate('Bearer token-a-0123456789abcdef')?.name).toBe('a');
    const b = auth.authenticate('bearer token-b-0123456789abcdef');
    expect(b?.name).toBe('b');
    expect([...(b?.plugins ?? [])]).toEqual(['x.y.z']);
    expect(auth.authenticate('Bearer token-a-0123456789abcdeX')).toBeUndefined();
    expect(auth.authenticate('token-a-0123456789abcdef')).toBeUndefined();
    expect(auth.authenticate(undefined)).toBeUndefined();
  });

  it('refuses weak or ambiguous token configuration', () => {
    expect(() => new TokenAuthenticator([{ name: 'a', token: 'short' }])).toThrow(/at least 16 characters/);
    expect(() => new TokenAuthenticator([{ name: 'a' }])).toThrow(/exactly one of "token" or "sha256"/);
    expect(() => new TokenAuthenticator([{ name: 'a', sha256: 'abc' }])).toThrow(/64 hex digits/);
    expect(() =>
      new TokenAuthenticator([
        { name: 'a', token: 'same-token-0123456789' },
        { name: 'b', token: 'same-token-0123456789' },
      ]),
    ).toThrow(/same token/);
    expect(() => new TokenAuthenticator([{ name: 'a b', token: 'token-a-0123456789abcdef' }])).toThrow(TokenConfigError);
  });

  it('parses CANCELKIT_SERVER_TOKENS', () => {
    expect(parseTokensEnv('ci:tok-1234567890abcdef; ops:tok-abcdef1234567890:a.b.c,d.e.f')).toEqual([
      { name: 'ci', token: 'tok-1234567890abcdef' },
      { name: 'ops', token: 'tok-abcdef1234567890', plugins: ['a.b.c', 'd.e.f'] },
    ]);
    expect(() => parseTokensEnv('just-a-token')).toThrow(/entry 1 must look like name:token/);
  });
});

describe('per-token rate limiter', () => {
  it('allows a burst, then refills at the sustained rate', () => {
    let now = 0;
    const limiter = new TokenRateLimiter({ perSecond: 2, burst: 3 }, () => now);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 0]);
    expect(limiter.take('a')).toBe(500);
    expect(limiter.take('b')).toBe(0);
    now += 500;
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(500);
  });
});
