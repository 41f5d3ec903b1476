import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoverEmulations } from './discover.js';
import { startEmulator } from './server.js';
import { send } from './test-support/http.js';
import { stopAll } from './test-support/start.js';

let dir: string;

/** Writes a plugin package whose emulation answers `GET /ping/{name}` without authentication. */
function writePlugin(root: string, name: string, options: { keyword?: boolean; coreRange?: string } = {}): string {
  const pkgDir = path.join(root, 'node_modules', name);
  mkdirSync(pkgDir, { recursive: true });
  const service = `${name.replace(/[^a-z]/g, '')}.svc`;
  writeFileSync(
    path.join(pkgDir, 'package.json'),
    JSON.stringify({
      name,
      version: '1.0.0',
      type: 'module',
      keywords: options.keyword === false ? [] : ['cancelkit-plugin'],
      cancelkit: { manifest: './manifest.js', plugin: './plugin.js', emulation: './emulation.js' },
    }),
  );
  writeFileSync(
    path.join(pkgDir, 'manifest.js'),
    `export default ${JSON.stringify({
      id: `${service}.op`,
      provider: 'test',
      service,
      operation: 'op',
      title: 'test',
      docsUrl: 'https://example.com',
      paramsSchema: { type: 'object' },
      targetParam: 'id',
      capabilities: { inspect: false, batch: false, wait: false },
      coreRange: options.coreRange ?? '>=0.0.0',
    })};\n`,
  );
  writeFileSync(path.join(pkgDir, 'plugin.js'), 'export default [];\n');
  writeFileSync(
    path.join(pkgDir, 'emulation.js'),
    `const protocol = {
  name: 'open-${service}', provider: 'test',
  identify: (r) => (r.rawPath.startsWith('/ping/') ? { params: {} } : undefined),
  claims: () => false,
  authenticate: () => ({ ok: true, scheme: 'none', accessKeyId: 'anyone' }),
  errorResponse: (e, requestId) => ({ status: e.status, body: { code: e.code, requestId } }),
  unknownApi: () => Object.assign(new Error('no api'), { $$type: 'cancelkit.emulated-error', status: 404, code: 'NoApi' }),
  throttled: () => Object.assign(new Error('slow down'), { $$type: 'cancelkit.emulated-error', status: 429, code: 'Throttled' }),
  serverError: () => Object.assign(new Error('oops'), { $$type: 'cancelkit.emulated-error', status: 500, code: 'Oops' }),
  newRequestId: () => 'req-1',
  responseHeaders: (id) => ({ 'x-req': id }),
};
export default {
  $$type: 'cancelkit.emulation', service: '${service}', protocol, fields: {},
  createOperation: (fields, ctx) => ({ service: '${service}', id: ctx.newId('op-'), status: 'new' }),
  routes: [{ style: 'rest', method: 'GET', path: '/ping/{name}', action: 'Ping',
    handler: (call) => ({ status: 200, body: { pong: call.pathParams.name, service: '${service}' } }) }],
};
`,
  );
  return pkgDir;
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cancelkit-emulator-plugins-'));
});
afterEach(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('emulations from plugin packages', () => {
  it('loads explicit plugin packages by directory and serves them', async () => {
    const pkgDir = writePlugin(dir, 'plugin-alpha', { keyword: false });
    const emulator = await startEmulator({ port: 0, plugins: [pkgDir] });
    try {
      expect(emulator.services).toEqual(['pluginalpha.svc']);
      const res = await send(emulator.url, { path: '/ping/a%2Fb' });
      expect(res.json).toEqual({ pong: 'a/b', service: 'pluginalpha.svc' });
      expect(emulator.createOperation('pluginalpha.svc').id).toMatch(/^op-/);
    } finally {
      await emulator.stop();
    }
  });

  it('refuses an explicit plugin that cannot be used, naming it', async () => {
    const pkgDir = writePlugin(dir, 'plugin-old', { coreRange: '^99.0.0' });
    await expect(startEmulator({ port: 0, plugins: [pkgDir] })).rejects.toThrow(/plugins: plugin-old: .*\^99\.0\.0/);
    await expect(startEmulator({ port: 0, plugins: [path.join(dir, 'missing')] })).rejects.toMatchObject({ code: 'InvalidInput' });
  });

  it('finds keyword packages, skipping (and logging) unusable ones', async () => {
    writePlugin(dir, 'plugin-beta');
    writePlugin(dir, 'plugin-gamma', { coreRange: '^99.0.0' });
    writePlugin(dir, 'not-a-plugin', { keyword: false });
    const lines: string[] = [];
    const emulations = await discoverEmulations({ searchFrom: [dir], resolveFrom: dir, log: (l) => lines.push(l) });
    expect(emulations.map((e) => e.service)).toEqual(['pluginbeta.svc']);
    expect(lines).toEqual([expect.stringContaining('skipping plugin package plugin-gamma')]);
  });
});
