/**
 * End-to-end helpers: spawn the BUILT CLI (`dist/bin.js`) with the running Node binary, and start the
 * real emulator with the five plugins' emulations on 127.0.0.1, port 0.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_CREDENTIALS, type RunningEmulator, type StartEmulatorOptions, startEmulator } from '@cancelkit/emulator';
import ecs from '@cancelkit/plugin-alibaba-ecs/emulation';
import oos from '@cancelkit/plugin-alibaba-oos/emulation';
import opensearch from '@cancelkit/plugin-alibaba-opensearch/emulation';
import tair from '@cancelkit/plugin-alibaba-tair/emulation';
import dds from '@cancelkit/plugin-huaweicloud-dds/emulation';

export const CLI_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/bin.js');

export const EMULATIONS = [ecs, tair, oos, opensearch, dds];

export function startTestEmulator(options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  return startEmulator({ port: 0, host: '127.0.0.1', emulations: EMULATIONS, ...options });
}

/** A scratch directory (cwd / HOME of the spawned CLI) removed by `cleanup`. */
export function scratchDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cancelkit-e2e-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Environment for the CLI: the demo key through the providers' standard variables, nothing else of ours. */
export function cliEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: home,
    NO_COLOR: '1',
    ALIBABA_CLOUD_ACCESS_KEY_ID: DEMO_CREDENTIALS.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: DEMO_CREDENTIALS.accessKeySecret,
    HUAWEICLOUD_SDK_AK: DEMO_CREDENTIALS.accessKeyId,
    HUAWEICLOUD_SDK_SK: DEMO_CREDENTIALS.accessKeySecret,
    HUAWEICLOUD_SDK_PROJECT_ID: DEMO_CREDENTIALS.projectId,
    ...extra,
  };
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface SpawnOptions {
  cwd: string;
  env: Record<string, string>;
  stdin?: string;
  nodeArgs?: string[];
}

export function spawnCli(args: readonly string[], options: SpawnOptions): { child: ChildProcess; done: Promise<CliRun>; stdout: () => string } {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI_BIN, ...args], { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  if (options.stdin !== undefined) child.stdin?.end(options.stdin);
  else child.stdin?.end();
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done, stdout: () => stdout };
}

export function runCli(args: readonly string[], options: SpawnOptions): Promise<CliRun> {
  return spawnCli(args, options).done;
}

/** Parses `-o ndjson` output into records and the summary line. */
export function parseNdjsonOutput(stdout: string): { records: Record<string, unknown>[]; summary: Record<string, number> | undefined } {
  const lines = stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const summaryLine = lines.find((l) => 'summary' in l);
  return { records: lines.filter((l) => !('summary' in l)), summary: summaryLine?.summary as Record<string, number> | undefined };
}
