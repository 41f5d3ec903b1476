// Writes a plugin package's manifest as JSON: `dist/manifest.json` from the built `dist/manifest.js`.
//
//   "build": "tsc -p tsconfig.build.json && node ../../tools/scripts/emit-manifest.mjs"
//
// Why: hosts (`cancelkit plugins list`, `--help`, discovery in the server and emulator) only need the
// manifest's data, but `src/manifest.ts` builds its JSON Schema with zod at import time. With
// package.json `"cancelkit": { "manifest": "./dist/manifest.json" }` core's loader reads and parses this
// file instead of importing the module, so start-up never loads zod or the plugin's schema modules.
// `src/manifest.ts` stays the source of truth; this file is derived from it on every build.
//
// Usage: node emit-manifest.mjs [packageDir]   (default: the current directory, which `npm run` sets)
// Refuses (exit 1, nothing written) a manifest that JSON cannot represent exactly — a function, an
// undefined field, a Date, NaN — naming the first such path, so the JSON can never differ from the module.
import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

const SOURCE = 'dist/manifest.js';
const TARGET = 'dist/manifest.json';

/** The path of the first value JSON would drop or change, or undefined when it round-trips exactly. */
export function firstNonJsonValue(value, at = 'manifest') {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${at} (${value})`;
  if (typeof value !== 'object') return `${at} (${typeof value})`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) return `${at}[${i}] (a hole)`;
      const found = firstNonJsonValue(value[i], `${at}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return `${at} (${value.constructor?.name ?? 'a class instance'})`;
  for (const key of Object.keys(value)) {
    const found = firstNonJsonValue(value[key], `${at}.${key}`);
    if (found) return found;
  }
  return undefined;
}

/** Imports `<packageDir>/dist/manifest.js` and writes its default export to `<packageDir>/dist/manifest.json`. */
export async function emitManifest(packageDir) {
  const source = path.resolve(packageDir, SOURCE);
  const target = path.resolve(packageDir, TARGET);
  let manifest;
  try {
    manifest = (await import(pathToFileURL(source).href)).default;
  } catch (error) {
    throw new Error(`cannot import ${source} (build the package with tsc first): ${error.message}`);
  }
  const manifests = Array.isArray(manifest) ? manifest : [manifest];
  if (manifests.length === 0 || manifests.some((m) => typeof m !== 'object' || m === null || typeof m.id !== 'string')) {
    throw new Error(`${source} must default-export a plugin manifest (an object with an id) or an array of them`);
  }
  const bad = firstNonJsonValue(manifest);
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  if (bad || !isDeepStrictEqual(JSON.parse(text), manifest)) {
    throw new Error(`${source}: ${bad ?? 'the manifest'} cannot be written as JSON unchanged; use plain strings, numbers, booleans, arrays and objects`);
  }
  // Written beside the target and renamed, so a host never reads a half-written file.
  const partial = `${target}.${process.pid}.tmp`;
  writeFileSync(partial, text);
  renameSync(partial, target);
  return target;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await emitManifest(path.resolve(process.argv[2] ?? process.cwd()));
  } catch (error) {
    console.error(`emit-manifest: ${error.message}`);
    process.exitCode = 1;
  }
}
