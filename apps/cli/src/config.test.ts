import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SecretRegistry } from '@cancelkit/core/plugin';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigFile, registerConfigSecrets } from './config.js';
import { buildKitConfig } from './kit-config.js';

const dirs: string[] = [];
function dirWith(content?: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cancelkit-config-'));
  dirs.push(dir);
  if (content !== undefined) writeFileSync(path.join(dir, 'cancelkit.config.json'), content);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('config file', () => {
  it('a missing default file is an empty config; a missing explicit one is an error', () => {
    const dir = dirWith();
    expect(loadConfigFile(undefined, dir).content).toEqual({});
    expect(() => loadConfigFile('nope.json', dir)).toThrow(/Cannot read config file/);
  });

  it('rejects invalid JSON, unknown keys and wrong types, naming them', () => {
    expect(() => loadConfigFile(undefined, dirWith('{'))).toThrow(/is not valid JSON/);
    expect(() => loadConfigFile(undefined, dirWith('{"endpoint": "x"}'))).toThrow(/unknown key "endpoint"/);
    expect(() => loadConfigFile(undefined, dirWith('{"rateLimits": {"a": -1}}'))).toThrow(/"rateLimits" must be an object of positive numbers/);
    expect(() => loadConfigFile(undefined, dirWith('{"plugins": "x"}'))).toThrow(/"plugins" must be an array of strings/);
  });

  it('flags win over the file: --endpoint for one plugin, or every service in a batch; --qps for all', () => {
    const loaded = loadConfigFile(undefined, dirWith(JSON.stringify({ endpoints: { 'a.b': 'https://a.example' }, rateLimits: { 'a.b': 5 }, profile: 'p1', concurrency: 3 })));
    const single = buildKitConfig(loaded, { endpoint: 'http://127.0.0.1:1', endpointKey: 'a.b.c', qps: 2, profile: 'p2' }, { HOME: '/home/x' });
    expect(single).toMatchObject({ endpoints: { 'a.b': 'https://a.example', 'a.b.c': 'http://127.0.0.1:1' }, rateLimits: { '*': 2 }, profile: 'p2', concurrency: 3, homeDir: '/home/x' });
    const batch = buildKitConfig(loaded, { endpoint: 'http://127.0.0.1:1', endpointKey: '*' }, {});
    expect(batch.endpoints).toEqual({ '*': 'http://127.0.0.1:1' });
    expect(batch.rateLimits).toEqual({ 'a.b': 5 });
    expect(() => buildKitConfig(loaded, { endpoint: 'http://example.com' }, {})).toThrow(/--endpoint: plain http/);
    expect(buildKitConfig(loaded, { endpoint: 'http://example.com', allowInsecureHttp: true }, {}).allowInsecureHttp).toBe(true);
  });

  it('registers secret-looking provider settings for redaction', () => {
    const secrets = new SecretRegistry();
    registerConfigSecrets({ providers: { p: { accessKeyId: 'AKID-visible', accessKeySecret: 'hidden-secret', sk: 'hidden-sk-1' } } }, secrets);
    expect(secrets.redactString('AKID-visible hidden-secret hidden-sk-1')).toBe('AKID-visible [REDACTED] [REDACTED]');
  });
});
