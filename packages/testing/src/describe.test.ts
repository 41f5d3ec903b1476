/**
 * `describeCancellablePlugin` as an author meets it: a deliberately broken plugin, run by a real vitest
 * (a child process, so its red tests do not turn this run red), fails exactly the tests of the rules it
 * breaks, each with a message that starts with the rule id and names the plugin.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_KEY } from './test-support/fake-jobs.js';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const VITEST_CLI = path.join(path.dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');

interface AssertionResult {
  readonly ancestorTitles: readonly string[];
  readonly title: string;
  readonly status: string;
  readonly failureMessages: readonly string[];
}

let scratch: string;
let tests: AssertionResult[] = [];
let exitCode: number | undefined;

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'cancelkit-describe-'));
  const report = path.join(scratch, 'report.json');
  // The child must not think it is one of this run's workers.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST')));
  try {
    await promisify(execFile)(
      process.execPath,
      [VITEST_CLI, 'run', '--config', 'src/test-support/fixture.vitest.config.ts', '--reporter=json', `--outputFile=${report}`],
      { cwd: PACKAGE_DIR, env: { ...env, NO_COLOR: '1' }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
    );
    exitCode = 0;
  } catch (error) {
    exitCode = (error as { code?: number }).code;
  }
  const parsed = JSON.parse(readFileSync(report, 'utf8')) as { testResults: { assertionResults: AssertionResult[] }[] };
  tests = parsed.testResults.flatMap((file) => file.assertionResults);
}, 150_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function group(name: string): AssertionResult[] {
  return tests.filter((t) => t.ancestorTitles[0] === name);
}

function failedRules(name: string): string[] {
  return group(name)
    .filter((t) => t.status === 'failed')
    .map((t) => /^\[([^\]]+)\]/.exec(t.title)?.[1] ?? t.title);
}

describe('describeCancellablePlugin on a deliberately broken plugin', () => {
  it('registers one test per rule and makes the run fail', () => {
    expect(exitCode).toBe(1);
    expect(group('two-outcomes').length).toBeGreaterThan(10);
    expect(group('two-outcomes').every((t) => t.ancestorTitles[1] === 'cancelkit conformance: fake.jobs.job')).toBe(true);
  });

  it('two outcomes for one target: the cancel-outcomes tests fail, their messages naming the rule', () => {
    expect(failedRules('two-outcomes')).toEqual(['cancel-outcomes:cancellable', 'cancel-outcomes:not-cancellable', 'cancel-outcomes:not-found']);
    const failure = group('two-outcomes').find((t) => t.title.startsWith('[cancel-outcomes:cancellable]'))?.failureMessages.join('\n') ?? '';
    expect(failure).toMatch(
      /^(Error: )?\[cancel-outcomes:cancellable\] fake\.jobs\.job breaks the rule "cancel reports exactly one outcome per target: cancellable case":\n {2}- target job-\S+: 2 outcomes \(cancelled, cancelled\); exactly one outcome per target is required/,
    );
  });

  it('a secret in an error: the no-secret-leak test fails, naming the rule and where, never the secret', () => {
    expect(failedRules('secret-in-error')).toEqual(['no-secret-leak']);
    const failure = group('secret-in-error').find((t) => t.title.startsWith('[no-secret-leak]'))?.failureMessages.join('\n') ?? '';
    expect(failure).toMatch(
      /^(Error: )?\[no-secret-leak\] fake\.jobs\.job breaks the rule "no credential secret appears in any error, outcome, state or log record":\n/,
    );
    expect(failure).toContain('  - cancel(with a wrong secret) error.message contains a credential secret');
    expect(failure).not.toContain(FAKE_KEY.secret);
    expect(failure).not.toContain('wrong-');
  });
});
