/**
 * A third-party plugin from outside the workspace: examples/cancelkit-plugin-acme is built, packed with
 * `npm pack`, installed into a temporary project outside the workspace next to the CLI, and used from
 * there: discovered by keyword or by an explicit `plugins` list, cancelling against the emulator, and
 * refused with a clear message when its core range does not admit the running core.
 *
 * There is no registry for unpublished packages, so "installing" is what npm does for a package whose
 * dependencies are already present: the tarball is unpacked into node_modules, and its dependencies
 * (zod, @cancelkit/core) and the CLI are linked from the workspace.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CancellablePlugin } from '@cancelkit/core';
import type { ServiceEmulation } from '@cancelkit/core/emulation';
import { DEMO_CREDENTIALS, type RunningEmulator, startEmulator } from '@cancelkit/emulator';
import { runConformance } from '@cancelkit/testing';

const ROOT = path.resolve(fileURLToPath(new URL('..', import.meta.url)), '..');
const EXAMPLE = path.join(ROOT, 'examples', 'cancelkit-plugin-acme');
const execFileAsync = promisify(execFile);

interface CliRun {
  status: number;
  stdout: string;
  stderr: string;
}

let scratch: string;
let project: string;
let tarball: string;
let packedFiles: string[];

function link(target: string, at: string): void {
  mkdirSync(path.dirname(at), { recursive: true });
  symlinkSync(target, at, 'dir');
}

/** Unpacks an npm tarball (its files sit under `package/`) as node_modules/<name>. */
function unpack(file: string, into: string): void {
  mkdirSync(into, { recursive: true });
  const tar = spawnSync('tar', ['-xzf', file, '-C', into, '--strip-components=1'], { encoding: 'utf8' });
  if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
}

/** A project outside the workspace with the CLI and the plugin's dependencies installed. */
function newProject(name: string): string {
  const dir = path.join(scratch, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  const modules = path.join(dir, 'node_modules');
  link(path.join(ROOT, 'apps', 'cli'), path.join(modules, '@cancelkit', 'cli'));
  link(path.join(ROOT, 'apps', 'server'), path.join(modules, '@cancelkit', 'server'));
  link(path.join(ROOT, 'packages', 'core'), path.join(modules, '@cancelkit', 'core'));
  link(realpathSync(path.join(ROOT, 'node_modules', 'zod')), path.join(modules, 'zod'));
  return dir;
}

async function cli(cwd: string, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const bin = path.join(cwd, 'node_modules', '@cancelkit', 'cli', 'dist', 'bin.js');
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [bin, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: scratch, NO_COLOR: '1', ...env },
      timeout: 30_000,
    });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { status: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

beforeAll(async () => {
  scratch = realpathSync(mkdtempSync(path.join(tmpdir(), 'cancelkit-third-party-')));
  rmSync(path.join(EXAMPLE, 'dist'), { recursive: true, force: true });
  const build = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', path.join(EXAMPLE, 'tsconfig.json')], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`building the example failed:\n${build.stdout}${build.stderr}`);
  const { stdout } = await execFileAsync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', scratch], { cwd: EXAMPLE });
  const [report] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  if (!report) throw new Error('npm pack printed no report');
  tarball = path.join(scratch, report.filename);
  packedFiles = report.files.map((f) => f.path).sort();
  project = newProject('ops-project');
  unpack(tarball, path.join(project, 'node_modules', 'cancelkit-plugin-acme'));
}, 60_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('cancelkit-plugin-acme, installed outside the workspace', () => {
  it('packs built files, types, README and LICENSE only', () => {
    expect(path.basename(tarball)).toBe('cancelkit-plugin-acme-0.1.0.tgz');
    expect(packedFiles.filter((f) => !/^(dist\/.+\.(js|d\.ts|js\.map)|README\.md|LICENSE|package\.json)$/.test(f))).toEqual([]);
    expect(packedFiles).toEqual(expect.arrayContaining(['dist/index.js', 'dist/manifest.js', 'dist/emulation.js', 'dist/index.d.ts', 'README.md', 'LICENSE']));
    expect(packedFiles.some((f) => f.includes('test'))).toBe(false);
  });

  it('is discovered by the CLI through its cancelkit-plugin keyword', async () => {
    const listed = await cli(project, ['plugins', 'list', '--output', 'json']);
    expect(listed.status, listed.stderr).toBe(0);
    const { plugins, problems } = JSON.parse(listed.stdout) as { plugins: Array<Record<string, unknown>>; problems: unknown[] };
    expect(plugins.find((p) => p.id === 'acme.jobs.job')).toMatchObject({
      package: 'cancelkit-plugin-acme',
      version: '0.1.0',
      title: 'Cancel a job (Acme Jobs)',
      params: [{ name: 'jobId', flag: '--job-id', required: true, target: true }],
    });
    expect(problems).toEqual([]);
  });

  describe('against the emulator playing the installed package’s emulation', () => {
    let emulator: RunningEmulator;
    const env = { ACME_API_KEY_ID: DEMO_CREDENTIALS.accessKeyId, ACME_API_KEY_SECRET: DEMO_CREDENTIALS.accessKeySecret };

    beforeAll(async () => {
      // The emulator loads the emulation the way `cancelkit emulator` does: from the package's ./emulation entry.
      emulator = await startEmulator({ port: 0, plugins: ['cancelkit-plugin-acme'], resolveFrom: project });
    });
    afterAll(async () => {
      await emulator?.stop();
    });

    it('cancels a running job', async () => {
      expect(emulator.services).toContain('acme.jobs');
      const job = emulator.createOperation('acme.jobs', { status: 'running' });
      const run = await cli(project, ['cancel', 'acme.jobs.job', '--job-id', job.id, '--endpoint', emulator.url, '--output', 'json'], env);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).not.toContain(DEMO_CREDENTIALS.accessKeySecret);
      const printed = JSON.parse(run.stdout) as { results?: Array<Record<string, unknown>> } | Array<Record<string, unknown>>;
      const records = Array.isArray(printed) ? printed : (printed.results ?? []);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ plugin: 'acme.jobs.job', target: job.id, outcome: 'cancelled' });
      expect(emulator.listOperations('acme.jobs').find((op) => op.id === job.id)?.status).toBe('cancelled');
      expect(emulator.requests().map((r) => r.action)).toEqual(expect.arrayContaining(['GetJob', 'CancelJob']));
    });

    it('reports a finalizing job as not cancellable, with exit code 6', async () => {
      const job = emulator.createOperation('acme.jobs', { status: 'finalizing' });
      const run = await cli(project, ['cancel', 'acme.jobs.job', '--job-id', job.id, '--endpoint', emulator.url, '--output', 'json'], env);
      expect(run.status).toBe(6);
      expect(run.stdout).toContain('"outcome": "not-cancellable"');
    });

    it('refuses a wrong secret as unauthenticated (exit code 3) without printing it', async () => {
      const job = emulator.createOperation('acme.jobs', { status: 'running' });
      const wrong = 'not-the-right-secret-123';
      const run = await cli(project, ['cancel', 'acme.jobs.job', '--job-id', job.id, '--endpoint', emulator.url, '--output', 'json'], {
        ...env,
        ACME_API_KEY_SECRET: wrong,
      });
      expect(run.status).toBe(3);
      expect(run.stdout + run.stderr).toContain('InvalidApiKey');
      expect(run.stdout + run.stderr).not.toContain(wrong);
    });
  });

  it('is found through an explicit "plugins" list in cancelkit.config.json, with keyword discovery off', async () => {
    const dir = newProject('explicit-project');
    unpack(tarball, path.join(dir, 'vendor', 'acme'));
    writeFileSync(path.join(dir, 'cancelkit.config.json'), JSON.stringify({ plugins: ['./vendor/acme'], discover: false }));
    const listed = await cli(dir, ['plugins', 'list', '--output', 'json']);
    expect(listed.status, listed.stderr).toBe(0);
    const { plugins } = JSON.parse(listed.stdout) as { plugins: Array<{ id: string; package: string }> };
    expect(plugins.map((p) => p.id)).toEqual(['acme.jobs.job']);
  });

  it('refuses a plugin whose core range excludes the running core, naming both versions', async () => {
    const dir = newProject('future-project');
    const installed = path.join(dir, 'node_modules', 'cancelkit-plugin-acme');
    unpack(tarball, installed);
    // The same package, built for a core that does not exist yet.
    const manifestFile = path.join(installed, 'dist', 'manifest.js');
    const source = readFileSync(manifestFile, 'utf8');
    expect(source).toContain("coreRange: '^0.1.0'");
    writeFileSync(manifestFile, source.replace("coreRange: '^0.1.0'", "coreRange: '^9.0.0'"));

    const listed = await cli(dir, ['plugins', 'list', '--output', 'json']);
    const { plugins, problems } = JSON.parse(listed.stdout) as { plugins: Array<{ id: string }>; problems: Array<{ package: string; problem: string }> };
    expect(plugins.map((p) => p.id)).not.toContain('acme.jobs.job');
    expect(problems).toEqual([
      {
        package: 'cancelkit-plugin-acme',
        version: '0.1.0',
        problem: expect.stringContaining('supports @cancelkit/core ^9.0.0, but the running core is 0.1.0'),
      },
    ]);

    const run = await cli(dir, ['cancel', 'acme.jobs.job', '--job-id', 'job-1', '--endpoint', 'http://127.0.0.1:9']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/acme\.jobs\.job.*supports @cancelkit\/core \^9\.0\.0, but the running core is 0\.1\.0/);
  });
});

interface ServerRun {
  url: string;
  token: string;
  emulatorUrl: string;
  stop(): Promise<void>;
}

/** Starts `cancelkit-server` (emulator backend, port 0) as installed in `cwd`; resolves once it listens. */
function startServerIn(cwd: string): Promise<ServerRun> {
  const bin = path.join(cwd, 'node_modules', '@cancelkit', 'server', 'dist', 'bin.js');
  const child: ChildProcess = spawn(process.execPath, [bin, '--port', '0', '--log-level', 'warn'], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: scratch },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`cancelkit-server did not start:\n${stderr}`));
    }, 20_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
      const token = /dev token[^:]*: (\S+)/.exec(stderr)?.[1];
      const emulatorUrl = /in-process emulator at (http:\/\/\S+)/.exec(stderr)?.[1];
      if (url && token && emulatorUrl) {
        clearTimeout(timer);
        resolve({ url, token, emulatorUrl, stop });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`cancelkit-server exited with ${code}:\n${stderr}`));
    });
  });
}

async function json(url: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, init);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('cancelkit-server, installed next to the plugin outside the workspace', () => {
  it('finds the plugin by keyword, serves it, and cancels through it against its in-process emulator', async () => {
    const server = await startServerIn(project);
    try {
      const auth = { authorization: `Bearer ${server.token}` };
      const listed = await json(`${server.url}/v1/plugins`, { headers: auth });
      expect(listed.status).toBe(200);
      expect(JSON.stringify(listed.body)).toContain('acme.jobs.job');
      const created = await json(`${server.emulatorUrl}/_emulator/operations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ service: 'acme.jobs', status: 'running' }),
      });
      const jobId = String(created.body.id);
      const cancelled = await json(`${server.url}/v1/cancellations`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ plugin: 'acme.jobs.job', params: { jobId } }),
      });
      expect(cancelled.status).toBe(200);
      expect(JSON.stringify(cancelled.body), JSON.stringify(cancelled.body)).toContain('"outcome":"cancelled"');
      const state = await json(`${server.emulatorUrl}/_emulator/operations?service=acme.jobs`);
      expect((state.body.operations as Array<{ id: string; status: string }>).find((op) => op.id === jobId)?.status).toBe('cancelled');
    } finally {
      await server.stop();
    }
  });

  it('serves exactly the plugins listed in the project\u2019s cancelkit.config.json', async () => {
    const dir = newProject('server-explicit-project');
    unpack(tarball, path.join(dir, 'vendor', 'acme'));
    writeFileSync(path.join(dir, 'cancelkit.config.json'), JSON.stringify({ plugins: ['./vendor/acme'] }));
    const server = await startServerIn(dir);
    try {
      const listed = await json(`${server.url}/v1/plugins`, { headers: { authorization: `Bearer ${server.token}` } });
      const ids = (listed.body.plugins as Array<{ id: string }>).map((p) => p.id);
      expect(ids).toEqual(['acme.jobs.job']);
    } finally {
      await server.stop();
    }
  });

  it('refuses to start with a listed plugin whose core range excludes the running core, naming both versions', async () => {
    const dir = newProject('server-future-project');
    const installed = path.join(dir, 'vendor', 'acme');
    unpack(tarball, installed);
    const manifestFile = path.join(installed, 'dist', 'manifest.js');
    writeFileSync(manifestFile, readFileSync(manifestFile, 'utf8').replace("coreRange: '^0.1.0'", "coreRange: '^9.0.0'"));
    writeFileSync(path.join(dir, 'cancelkit.config.json'), JSON.stringify({ plugins: ['./vendor/acme'] }));
    await expect(startServerIn(dir)).rejects.toThrow(/exited with 1[\s\S]*supports @cancelkit\/core \^9\.0\.0, but the running core is 0\.1\.0/);
  });
});

// The conformance kit, run against the installed tarball's build (the example's own test runs it on the
// sources; the generator test shows those sources are what the generator makes, and pass unchanged).
describe('the installed package under the conformance kit', () => {
  it('passes every rule', async () => {
    const installed = path.join(project, 'node_modules', 'cancelkit-plugin-acme', 'dist');
    const { default: plugin } = (await import(pathToFileURL(path.join(installed, 'index.js')).href)) as { default: CancellablePlugin<unknown> };
    const { default: emulation } = (await import(pathToFileURL(path.join(installed, 'emulation.js')).href)) as { default: ServiceEmulation };
    const results = await runConformance(plugin, {
      emulation,
      cases: {
        cancellable: { operation: { status: 'running' }, params: (op) => ({ jobId: op.id }) },
        notCancellable: { operation: { status: 'finalizing' }, params: (op) => ({ jobId: op.id }) },
        notFound: { params: { jobId: 'job-that-never-was' } },
        invalid: [{}, { jobId: 'job 1' }],
      },
      config: { env: { ACME_API_KEY_ID: DEMO_CREDENTIALS.accessKeyId, ACME_API_KEY_SECRET: DEMO_CREDENTIALS.accessKeySecret } },
    });
    expect(results.filter((r) => r.status !== 'passed')).toEqual([]);
  });
});
