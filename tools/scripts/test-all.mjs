#!/usr/bin/env node
// `npm test`: build, typecheck, lint and vitest across every project through nx, then one plain summary
// line `<N> passed, <M> failed` summed from vitest's JSON reports, so a CI log shows the count at once.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const reports = path.join(root, 'reports', 'vitest');
const extra = process.argv.slice(2);

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(`npm test needs Node >= 22.12, running ${process.version}. Run it as \`npm test\` after \`npm ci\`.`);
  process.exit(1);
}

// Property tests and fault matrices draw their inputs from RELIABILITY_SEED. `npm test` (and so CI) fixes it:
// a red run replays the same inputs, and a commit cannot go red on a draw its predecessor never made.
// `RELIABILITY_SEED=random npm test` explores fresh inputs and prints the seed that replays them.
const FIXED_SEED = '20261205';
const seedSetting = process.env.RELIABILITY_SEED?.trim() ?? '';
const seed = seedSetting === '' ? FIXED_SEED : seedSetting === 'random' ? String(Math.floor(Math.random() * 0x7fffffff)) : seedSetting;
process.env.RELIABILITY_SEED = seed;
console.log(`property and fault seed: RELIABILITY_SEED=${seed}${seedSetting === 'random' ? ' (drawn at random; set it to replay this run)' : ''}`);

rmSync(reports, { recursive: true, force: true });
const run = (label, cmd, args) => {
  console.log(`\n▶ ${label}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
  return r.status ?? 1;
};
const nx = path.join(root, 'node_modules', '.bin', 'nx');
const biome = path.join(root, 'node_modules', '.bin', 'biome');
const lintStatus = run('lint', biome, ['check', '.']);
const nxStatus = run('build, typecheck, test', nx, [
  'run-many',
  '-t',
  'build',
  'typecheck',
  'test',
  '--output-style=static',
  ...extra,
]);

let passed = 0;
let failed = 0;
let files = 0;
if (existsSync(reports)) {
  // One report per project at reports/vitest/<package name>.json, the path nx.json declares as the test
  // target's output, so a test run nx replays from its cache restores the report it counts.
  for (const name of readdirSync(reports, { recursive: true, encoding: 'utf8' })) {
    if (!name.endsWith('.json')) continue;
    const report = JSON.parse(readFileSync(path.join(reports, name), 'utf8'));
    files++;
    passed += report.numPassedTests ?? 0;
    failed += report.numFailedTests ?? 0;
    // A suite that failed to load counts its file, not its tests: surface it as a failure.
    for (const suite of report.testResults ?? []) {
      if (suite.status === 'failed' && (suite.assertionResults ?? []).length === 0) failed++;
    }
  }
}
// Every project with a test target must leave its report, run or replayed from nx's cache; a missing one
// means tests that were never counted, which must not pass as green. Forwarded nx flags (`--projects`, say)
// narrow the run, so the listing takes them too.
const listed = spawnSync(nx, ['show', 'projects', '--with-target', 'test', '--json', ...extra.filter((a) => a.startsWith('--projects') || a.startsWith('--exclude'))], { cwd: root, encoding: 'utf8' });
const expected = listed.status === 0 ? JSON.parse(listed.stdout) : [];
const missing = expected.filter((name) => !existsSync(path.join(reports, `${name}.json`)));
if (listed.status !== 0) console.error('could not list the projects with a test target (nx show projects)');
for (const name of missing) console.error(`No vitest report from ${name}: its tests were not counted.`);
if (files === 0) console.error('No vitest report was written: no project ran its tests.');
const incomplete = listed.status !== 0 || missing.length > 0;
const status = lintStatus !== 0 || nxStatus !== 0 || failed > 0 || files === 0 || incomplete ? 1 : 0;
if (lintStatus !== 0) console.error('lint failed');
if (nxStatus !== 0) console.error('nx reported a failed task (build, typecheck or test)');
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(status);
