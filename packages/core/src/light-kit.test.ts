import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createKit } from './light-kit.js';
import { FakeCloud, fakePlugin } from './test-support/fake-plugin.js';

const run = promisify(execFile);

/**
 * Loads light-kit.ts in a fresh Node (type stripping, `.js` specifiers mapped to the `.ts` sources) with a
 * resolve hook that records every module, builds a kit and prints what was loaded.
 */
const CHILD = `
import { registerHooks } from 'node:module';
const loaded = [];
registerHooks({
  resolve(specifier, context, next) {
    let result;
    try {
      result = next(specifier, context);
    } catch (error) {
      if (!specifier.startsWith('.') || !specifier.endsWith('.js')) throw error;
      result = next(specifier.slice(0, -3) + '.ts', context);
    }
    loaded.push(result.url);
    return result;
  },
});
const { createKit } = await import(process.argv[1]);
const kit = createKit({ config: { rateLimits: { '*': 5 } } });
await kit.close();
process.stdout.write(JSON.stringify({ loaded, manifests: kit.manifests().length }));
`;

describe('createKit (the @cancelkit/core/kit entry)', () => {
  it('does not load inversify, reflect-metadata or got', async () => {
    const entry = fileURLToPath(new URL('./light-kit.ts', import.meta.url));
    const { stdout } = await run(process.execPath, ['--experimental-transform-types', '--no-warnings', '--input-type=module', '-e', CHILD, entry], {
      timeout: 20_000,
    });
    const { loaded, manifests } = JSON.parse(stdout) as { loaded: string[]; manifests: number };
    expect(manifests).toBe(0);
    expect(loaded.some((url) => url.endsWith('/light-kit.ts'))).toBe(true);
    expect(loaded.some((url) => url.endsWith('/engine.ts'))).toBe(true);
    expect(loaded.filter((url) => /inversify|reflect-metadata|\/got\//.test(url))).toEqual([]);
  });

  it('runs the same facade as createCancelKit, without a container', async () => {
    const cloud = new FakeCloud();
    cloud.add('a');
    const kit = createKit({ plugins: [fakePlugin(cloud)] });
    expect('container' in kit).toBe(false);
    expect(kit.manifests().map((m) => m.id)).toEqual(['fake.jobs.job']);
    const [result] = await kit.cancel('fake.jobs.job', { ids: ['a'] });
    expect(result).toMatchObject({ target: 'a', outcome: 'cancelled', attempts: 1 });
    await kit.close();
    expect(() => createKit({ plugins: [fakePlugin(cloud), fakePlugin(cloud)] })).toThrowError(/Two plugins claim the id/);
  });
});
