/**
 * The built CLI as a process: usage errors send nothing, `plugins list` imports no plugin
 * implementation (nor the engine's heavy dependencies), `demo` runs on its own, `emulator` serves and
 * stops cleanly on a signal, help and version work.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunningEmulator } from '@cancelkit/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Summary } from '../records.js';
import { cliEnv, runCli, scratchDir, spawnCli, startTestEmulator } from '../test-support/e2e.js';

let emulator: RunningEmulator;
const scratch = scratchDir();
const env = () => cliEnv(scratch.dir);

beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(async () => {
  await emulator.stop();
  scratch.cleanup();
});

describe('the built CLI', () => {
  it('usage errors exit 2 and send no request', async () => {
    emulator.reset();
    const ep = ['--endpoint', emulator.url];
    const runs = await Promise.all([
      runCli(['cancel', 'alibaba.ecs.task', '--region-id', 'cn-hangzhou', ...ep], { cwd: scratch.dir, env: env() }),
      runCli(['cancel', 'alibaba.ecs.task', '--region-id', 'cn-hangzhou', '--task-id', 't-1', '--tsak', 'x', ...ep], { cwd: scratch.dir, env: env() }),
      runCli(['cancel', 'alibaba.ecs.task', '--region-id', 'NOT A REGION', '--task-id', 't-1', ...ep], { cwd: scratch.dir, env: env() }),
      runCli(['cancel', 'alibaba.tair.ops-event', '--ids', '1,abc', ...ep], { cwd: scratch.dir, env: env() }),
      runCli(['cancel', 'alibaba.nope.task', '--task-id', 't-1', ...ep], { cwd: scratch.dir, env: env() }),
      runCli(['plan', 'huaweicloud.dds.scheduled-job', '--job-id', 'j', ...ep], { cwd: scratch.dir, env: env() }),
      runCli(['cancel', 'alibaba.ecs.task', '--region-id', 'cn-hangzhou', '--task-id', 't-1', '--endpoint', 'http://203.0.113.7'], { cwd: scratch.dir, env: env() }),
    ]);
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^error: .+\n(hint: .+\n)?$/);
    }
    expect(runs[0]?.stderr).toContain('--task-id is required');
    expect(runs[1]?.stderr).toContain('Unknown flag --tsak');
    expect(runs[2]?.stderr).toContain('--region-id');
    expect(runs[3]?.stderr).toContain('--ids');
    expect(runs[5]?.stderr).toContain('--region is required');
    expect(emulator.requests()).toEqual([]);
  });

  it('plugins list reads manifests only: no plugin implementation, no engine dependencies', async () => {
    const hook = path.join(scratch.dir, 'record-loads.mjs');
    const loaded = path.join(scratch.dir, 'loaded.txt');
    writeFileSync(
      hook,
      `import { registerHooks } from 'node:module';
import { appendFileSync } from 'node:fs';
registerHooks({ load(url, context, nextLoad) { appendFileSync(${JSON.stringify(loaded)}, url + '\\n'); return nextLoad(url, context); } });
`,
    );
    writeFileSync(loaded, '');
    const run = await runCli(['plugins', 'list', '-o', 'json'], { cwd: scratch.dir, env: env(), nodeArgs: ['--import', hook] });
    expect(run.code, run.stderr).toBe(0);
    const ids = (JSON.parse(run.stdout) as { plugins: { id: string }[] }).plugins.map((p) => p.id);
    expect(ids).toEqual(expect.arrayContaining(['alibaba.ecs.task', 'alibaba.tair.ops-event', 'alibaba.oos.execution', 'alibaba.opensearch.fsm-task', 'huaweicloud.dds.scheduled-job']));
    const urls = readFileSync(loaded, 'utf8').split('\n').filter(Boolean);
    // First-party plugins ship dist/manifest.json, which core reads as data: no plugin module and no zod.
    expect(urls.filter((u) => /\/(plugin-[a-z-]+|cancelkit-plugin-[^/]+)\/dist\//.test(u))).toEqual([]);
    expect(urls.filter((u) => /\/node_modules\/(got|inversify|reflect-metadata|zod)\//.test(u))).toEqual([]);
    expect(urls.filter((u) => u.includes('/emulator/dist/'))).toEqual([]);
  });

  it('--debug logs JSON lines on stderr and never a secret', async () => {
    const op = emulator.createOperation('alibaba.ecs', { taskStatus: 'Processing' });
    const run = await runCli(['cancel', 'alibaba.ecs.task', '--region-id', String(op.regionId), '--task-id', op.id, '--endpoint', emulator.url, '--debug', '-o', 'json'], {
      cwd: scratch.dir,
      env: env(),
    });
    expect(run.code, run.stderr).toBe(0);
    const logLines = run.stderr.split('\n').filter((l) => l.startsWith('{'));
    expect(logLines.length).toBeGreaterThan(0);
    for (const line of logLines) expect(() => JSON.parse(line)).not.toThrow();
    expect(run.stdout + run.stderr).not.toContain('cancelkit-demo-sk');
  });

  it('cancel <id> --help shows the plugin flags from its manifest', async () => {
    const run = await runCli(['cancel', 'alibaba.opensearch.fsm-task', '--help'], { cwd: scratch.dir, env: env() });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('--fsm-id <string>');
    expect(run.stdout).toContain('--instance-id <string>');
    expect(run.stdout).toContain('Docs:');
    expect(run.stdout).toContain('cancelkit cancel alibaba.opensearch.fsm-task');
  });

  it('--help lists commands and exit codes; --version prints versions', async () => {
    const [help, version] = await Promise.all([runCli(['--help'], { cwd: scratch.dir, env: env() }), runCli(['--version'], { cwd: scratch.dir, env: env() })]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:');
    expect(version.stdout).toMatch(/^cancelkit \d+\.\d+\.\d+ /);
  });

  it('demo runs with no credentials and no network, and exits 0', async () => {
    const run = await runCli(['demo', '-o', 'json'], { cwd: scratch.dir, env: { PATH: process.env.PATH ?? '', HOME: scratch.dir } });
    expect(run.code, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout) as { results: { outcome: string }[]; summary: Summary };
    expect(doc.results.length).toBeGreaterThanOrEqual(9);
    expect(doc.summary.cancelled).toBeGreaterThanOrEqual(5);
    expect(doc.summary.notFound).toBeGreaterThanOrEqual(1);
    expect(doc.summary.alreadyFinished + doc.summary.notCancellable).toBeGreaterThanOrEqual(2);
    expect(run.stderr).toContain('The demo ran as designed');
  });

  it('emulator: prints URL and credentials, serves cancels, stops cleanly on SIGTERM and SIGINT', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const server = spawnCli(['emulator', '--port', '0'], { cwd: scratch.dir, env: { PATH: process.env.PATH ?? '', HOME: scratch.dir } });
      const deadline = Date.now() + 30_000;
      let url: string | undefined;
      while (!url && Date.now() < deadline) {
        url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(server.stdout())?.[1];
        if (!url) await new Promise((r) => setTimeout(r, 25));
      }
      expect(url, server.stdout()).toBeDefined();
      expect(server.stdout()).toContain('cancelkit-demo-ak');
      const created = (await (
        await fetch(`${url}/_emulator/operations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ service: 'alibaba.oos' }) })
      ).json()) as { id: string; regionId: string };
      const cancel = await runCli(['cancel', 'alibaba.oos.execution', '--region-id', created.regionId, '--execution-id', created.id, '--endpoint', url as string, '-o', 'json'], {
        cwd: scratch.dir,
        env: env(),
      });
      expect(cancel.code, cancel.stderr).toBe(0);
      server.child.kill(signal);
      const stopped = await server.done;
      expect(stopped.code, stopped.stderr).toBe(0);
      expect(stopped.stderr).toContain(`emulator stopped (${signal})`);
    }
  });
});
