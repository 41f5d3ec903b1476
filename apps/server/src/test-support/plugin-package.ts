/**
 * Writes a plugin package to disk (package.json with the `cancelkit` entries, a manifest module and a
 * plugin module) that calls the fake cloud with fetch — so a spawned `cancelkit-server` can load it
 * through core's discovery exactly as it loads a published plugin.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function writeFakePluginPackage(dir: string, id = 'crash.jobs.job'): string {
  const pkgDir = path.join(dir, 'cancelkit-plugin-crash');
  mkdirSync(pkgDir, { recursive: true });
  const coreUrl = import.meta.resolve('@cancelkit/core/plugin');
  const manifest = {
    id,
    provider: 'crash',
    service: 'crash.jobs',
    operation: 'job',
    title: 'Crash-test job',
    docsUrl: 'https://example.invalid/crash',
    paramsSchema: { type: 'object', properties: { ids: { type: 'array', items: { type: 'string' }, minItems: 1 } }, required: ['ids'], additionalProperties: false },
    targetParam: 'ids',
    capabilities: { inspect: false, batch: true, wait: false },
    coreRange: '^0.1.0',
  };
  writeFileSync(
    path.join(pkgDir, 'package.json'),
    JSON.stringify({
      name: 'cancelkit-plugin-crash',
      version: '1.0.0',
      type: 'module',
      keywords: ['cancelkit-plugin'],
      cancelkit: { manifest: './manifest.js', plugin: './index.js' },
    }),
  );
  writeFileSync(path.join(pkgDir, 'manifest.js'), `export default ${JSON.stringify(manifest)};\n`);
  writeFileSync(
    path.join(pkgDir, 'index.js'),
    `import { definePlugin, invalidInput } from ${JSON.stringify(coreUrl)};
import manifest from './manifest.js';

export default definePlugin({
  manifest,
  parse(input) {
    const ids = input?.ids;
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((x) => typeof x === 'string' && x.length > 0)) {
      throw invalidInput([{ field: 'ids', message: 'must be a non-empty list of ids' }]);
    }
    return { ids };
  },
  targets: (params) => params.ids,
  select: (params, targets) => ({ ids: [...targets] }),
  async cancel(params, ctx) {
    const response = await fetch(ctx.endpoint + '/cancel', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ids: params.ids }),
      signal: ctx.signal,
    });
    return await response.json();
  },
});
`,
  );
  return pkgDir;
}
