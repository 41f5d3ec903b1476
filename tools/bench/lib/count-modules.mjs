/**
 * Preloaded with `--import` into a profiled CLI run: counts the modules loaded, by package, and prints
 * the counts as one `MODULES {json}` line on stderr at exit. Uses Node's synchronous module hooks.
 */
import module from 'node:module';
import { packageOf } from './profile.mjs';

const counts = new Map();
module.registerHooks({
  load(url, context, nextLoad) {
    const name = url.startsWith('node:') ? '(node builtins)' : packageOf(url, '');
    counts.set(name, (counts.get(name) ?? 0) + 1);
    return nextLoad(url, context);
  },
});
process.once('exit', () => {
  const byPackage = Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]));
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  process.stderr.write(`MODULES ${JSON.stringify({ total, byPackage })}\n`);
});
