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
    // A typo next to a secret: the error says where, never quoting the file.
    expect(() => loadConfigFile(undefined, dirWith('{"providers": {"alibaba": {"accessKeySecret": sk-abcdef123456}}}'))).toThrow(/is not valid JSON \(Unexpected token/);
    let message = '';
    try {
      loadConfigFile(undefined, dirWith('{"providers": {"alibaba": {\n  "accessKeySecret": sk-abcdef123456}}}'));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('is not valid JSON');
    expect(message).not.toContain('abcdef');
    expect(() => loadConfigFile(undefined, dirWith('{"endpoint": "x"}'))).toThrow(/unknown key "endpoint"/);
    expect(() => loadConfigFile(undefined, dirWith('{"rateLimits": {"a": -1}}'))).toThrow(/"rateLimits" must be an object of positive numbers/);
    expect(() => loadConfigFile(undefined, dirWith('{"plugins": "x"}'))).toThrow(/"plugins" must be an array of strings/);
  });

  it('rejects unknown keys and bad values inside "retry" and "wait" too', () => {
    expect(() => loadConfigFile(undefined, dirWith('{"retry": {"maxAttemps": 2}}'))).toThrow(/unknown key "retry\.maxAttemps"/);
    expect(() => loadConfigFile(undefined, dirWith('{"wait": {"timeout": 5000}}'))).toThrow(/unknown key "wait\.timeout"/);
    expect(() => loadConfigFile(undefined, dirWith('{"retry": {"baseDelayMs": "200"}}'))).toThrow(/"retry\.baseDelayMs" must be a number of 0 or more/);
    expect(() => loadConfigFile(undefined, dirWith('{"retry": {"maxDelayMs": -1}}'))).toThrow(/"retry\.maxDelayMs" must be a number of 0 or more/);
    expect(() => loadConfigFile(undefined, dirWith('{"retry": {"maxAttempts": 0.5}}'))).toThrow(/"retry\.maxAttempts" must be a positive integer/);
    expect(() => loadConfigFile(undefined, dirWith('{"wait": {"intervalMs": 0}}'))).toThrow(/"wait\.intervalMs" must be a positive number/);
    expect(loadConfigFile(undefined, dirWith('{"retry": {"maxAttempts": 2, "baseDelayMs": 0, "maxDelayMs": 50}, "wait": {"intervalMs": 10, "timeoutMs": 100}}')).content).toEqual({
      retry: { maxAttempts: 2, baseDelayMs: 0, maxDelayMs: 50 },
      wait: { intervalMs: 10, timeoutMs: 100 },
    });
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
