/**
 * `npm run bench`: measures every figure of the performance budget (issue 11) and prints a readable table
 * and a JSON report. Each figure is a ratio against a baseline taken in the same run, with its target and
 * a mark: pass, short, invalid (the run did not do what it claims) or error (the harness could not
 * measure it). Benchmarks never fail CI: the exit code is 0 whatever the marks.
 *
 *   node tools/bench/run.mjs [--quick] [--only cold-start,library,signing,server,batch,size]
 *                            [--no-profile] [--json] [--markdown] [--out FILE] [--report FILE]
 *
 * --quick   smaller counts for development (about a minute); the full run takes 3–5 minutes on 2 cores.
 * --only    run some groups only.
 * --no-profile  skip the CPU profiles taken for groups that missed a target.
 * --json    print only the JSON report on stdout.  --markdown  also print the table as Markdown.
 * --out     where to write the JSON report (default reports/bench/latest.json).
 * --report  print the table of an earlier JSON report (with --markdown too) and measure nothing.
 *
 * Needs the workspace built (`npm run bench` builds it first). Everything runs on 127.0.0.1; every
 * process started is stopped.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { measureBatch } from './batch.mjs';
import { measureColdStart } from './cold-start.mjs';
import { diagnose } from './diagnose.mjs';
import { CLI_BIN, ROOT_DIR, startEmulatorProcess } from './lib/emulator.mjs';
import { installCleanup, stopAllChildren } from './lib/proc.mjs';
import { formatTarget, formatValue } from './lib/stats.mjs';
import { measureLibrary } from './library.mjs';
import { measureServer } from './server.mjs';
import { measureSigning } from './signing.mjs';
import { measureSize } from './size.mjs';

const GROUPS = [
  { name: 'cold-start', needs: [CLI_BIN], measure: measureColdStart, emulator: true },
  { name: 'library', needs: [], measure: measureLibrary, emulator: true },
  { name: 'signing', needs: [], measure: measureSigning, emulator: false },
  { name: 'server', needs: [path.join(ROOT_DIR, 'apps', 'server', 'dist', 'index.js')], measure: measureServer, emulator: true },
  { name: 'batch', needs: [CLI_BIN], measure: measureBatch, emulator: true },
  { name: 'size', needs: [], measure: measureSize, emulator: false },
];

const BUILT = ['core', 'emulator', 'alibaba-openapi', 'huaweicloud-apig', 'plugin-alibaba-ecs'].map((p) => path.join(ROOT_DIR, 'packages', p, 'dist', 'index.js'));

function parseOptions() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      'no-profile': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      markdown: { type: 'boolean', default: false },
      out: { type: 'string', default: path.join(ROOT_DIR, 'reports', 'bench', 'latest.json') },
      report: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const only = values.only?.split(',').map((s) => s.trim());
  const unknown = only?.filter((name) => !GROUPS.some((g) => g.name === name)) ?? [];
  if (values.help || unknown.length > 0) {
    if (unknown.length > 0) console.error(`unknown group(s): ${unknown.join(', ')}`);
    console.error(`usage: node tools/bench/run.mjs [--quick] [--only ${GROUPS.map((g) => g.name).join(',')}] [--no-profile] [--json] [--markdown] [--out FILE] [--report FILE]`);
    process.exit(unknown.length > 0 ? 2 : 0);
  }
  return { ...values, only };
}

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

function errorFigure(group, message) {
  return { id: group, title: `${group}: not measured`, value: Number.NaN, unit: '', mark: 'error', note: message, measured: {} };
}

/** What the last column shows: the raw numbers, then anything that qualifies them. */
function measuredText(f) {
  return [f.detail, f.note].filter(Boolean).join('; ');
}

function table(figures) {
  const rows = figures.map((f) => [f.title, Number.isNaN(f.value) || f.value === null ? '—' : formatValue(f.value, f.unit), formatTarget(f.target, f.unit), f.mark, measuredText(f)]);
  const header = ['figure', 'value', 'target', 'mark', 'measured'];
  const widths = header.map((h, i) => Math.min(i === 0 ? 70 : i === 4 ? 90 : 20, Math.max(h.length, ...rows.map((r) => r[i].length))));
  const line = (cells) => cells.map((c, i) => (c.length > widths[i] ? `${c.slice(0, widths[i] - 1)}…` : c.padEnd(widths[i]))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function markdown(figures) {
  const esc = (s) => s.replaceAll('|', '\\|');
  const lines = ['| figure | value | target | mark | measured |', '|---|---|---|---|---|'];
  for (const f of figures) {
    lines.push(
      `| ${esc(f.title)} | ${Number.isNaN(f.value) || f.value === null ? '—' : formatValue(f.value, f.unit)} | ${formatTarget(f.target, f.unit)} | ${f.mark} | ${esc(measuredText(f))} |`,
    );
  }
  return lines.join('\n');
}

function printDiagnosis(diagnosis) {
  const lines = [];
  const section = (title, profile) => {
    if (!profile) return;
    lines.push(`\n${title} (${profile.profiledMs} ms profiled${profile.wallMs ? `, ${profile.wallMs} ms wall` : ''}); time by package that asked for it:`);
    for (const row of profile.byCaller.slice(0, 8)) lines.push(`  ${String(row.selfMs).padStart(8)} ms  ${(row.share * 100).toFixed(0).padStart(3)}%  ${row.name}`);
    lines.push('  top functions:');
    for (const row of profile.topFunctions.slice(0, 6)) lines.push(`  ${String(row.selfMs).padStart(8)} ms  ${row.name}`);
  };
  for (const [group, d] of Object.entries(diagnosis)) {
    if (d.error) lines.push(`\n${group}: profiling failed: ${d.error}`);
    section('CLI cold start profile', d.cliProfile);
    if (d.modules?.byPackage) {
      const top = Object.entries(d.modules.byPackage)
        .slice(0, 10)
        .map(([name, n]) => `${name} ${n}`)
        .join(', ');
      lines.push(`\nmodules loaded by one \`cancelkit cancel\`: ${d.modules.total} (${top}, …)`);
    }
    if (d.imports) {
      lines.push(`\nimport cost in a fresh process (compile cache warm), over an empty one of ${d.imports.emptyProcessMs} ms:`);
      for (const row of d.imports.rows) lines.push(`  ${String(row.ms).padStart(8)} ms  ${row.module}`);
    }
    section('library cancel profile (2,000 calls)', d.libraryProfile);
    section('signAcs3 profile', d.acs3Profile);
    section('signSdkHmacSha256 profile', d.sdkHmacProfile);
    section('server profile under load', d.serverProfile);
  }
  return lines.join('\n');
}

/** The header line, the table, the summary and the profiles of a report. */
function printReport(report, options) {
  console.log(
    `\ncancelkit benchmarks — ${report.date}, node ${report.node}, ${report.cpus}, load ${report.loadAverage.before[0]} → ${report.loadAverage.after[0]}${report.quick ? ', QUICK' : ''}\n`,
  );
  console.log(table(report.figures));
  const s = report.summary;
  console.log(`\n${s.pass} pass, ${s.short} short, ${s.info} info, ${s.invalid} invalid, ${s.error} error — ${report.durationSeconds} s`);
  if (Object.keys(report.diagnosis ?? {}).length > 0) console.log(printDiagnosis(report.diagnosis));
  if (options.markdown) console.log(`\n${markdown(report.figures)}`);
}

async function main() {
  const options = parseOptions();
  if (options.report) {
    // Print an earlier report again (e.g. to paste its table into docs/performance.md); measures nothing.
    printReport(JSON.parse(readFileSync(options.report, 'utf8')), options);
    return;
  }
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 12)) {
    console.error(`the benchmarks need Node >= 22.12 (this is ${process.version}); run them through \`npm run bench\``);
    process.exit(1);
  }
  installCleanup();
  const log = options.json ? () => {} : (line) => console.error(`· ${line}`);
  const started = Date.now();
  const loadBefore = os.loadavg();
  const groups = GROUPS.filter((g) => !options.only || options.only.includes(g.name));
  const missingBuild = BUILT.filter((f) => !existsSync(f));
  const figures = [];
  let emulator;
  let diagnosis = {};
  try {
    if (missingBuild.length > 0) throw new Error(`build the workspace first (npm run build): missing ${missingBuild.join(', ')}`);
    if (groups.some((g) => g.emulator)) emulator = await startEmulatorProcess();
    for (const group of groups) {
      const missing = group.needs.filter((f) => !existsSync(f));
      if (missing.length > 0) {
        figures.push(errorFigure(group.name, `not built: ${missing.map((m) => path.relative(ROOT_DIR, m)).join(', ')}`));
        continue;
      }
      const groupStart = Date.now();
      log(`${group.name}…`);
      try {
        figures.push(...(await group.measure({ emulator, quick: options.quick, log })));
      } catch (error) {
        figures.push(errorFigure(group.name, error instanceof Error ? error.message : String(error)));
      }
      log(`${group.name} took ${((Date.now() - groupStart) / 1000).toFixed(1)} s`);
    }
    if (!options['no-profile']) diagnosis = await diagnose(figures, { emulator, quick: options.quick, log });
  } catch (error) {
    figures.push(errorFigure('bench', error instanceof Error ? error.message : String(error)));
  } finally {
    await emulator?.stop();
    await stopAllChildren();
  }

  const report = {
    date: new Date(started).toISOString(),
    commit: gitCommit(),
    quick: options.quick,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown'}`,
    loadAverage: { before: loadBefore.map((l) => Math.round(l * 100) / 100), after: os.loadavg().map((l) => Math.round(l * 100) / 100) },
    durationSeconds: Math.round((Date.now() - started) / 100) / 10,
    summary: Object.fromEntries(['pass', 'short', 'info', 'invalid', 'error'].map((m) => [m, figures.filter((f) => f.mark === m).length])),
    figures,
    diagnosis,
  };
  mkdirSync(path.dirname(options.out), { recursive: true });
  writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  printReport(report, options);
  console.log(`\nJSON report: ${path.relative(process.cwd(), options.out) || options.out}`);
}

await main();
