import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_CONCURRENCY } from './commands.js';
import { main } from './main.js';
import type { ResultRecord, Summary } from './records.js';
import { captureIo, createFixtureWorkspace, FIXTURE_TOKEN, type FixtureCloud, type FixtureWorkspace, startFixtureCloud } from './test-support/fixture.js';

let cloud: FixtureCloud;
let ws: FixtureWorkspace;

beforeAll(async () => {
  cloud = await startFixtureCloud();
  ws = createFixtureWorkspace({ config: { retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } } });
});
afterAll(async () => {
  await cloud.stop();
  ws.cleanup();
});
beforeEach(() => {
  cloud.jobs.clear();
  cloud.requests.length = 0;
});

async function cli(args: string[], options: { env?: Record<string, string | undefined>; tty?: boolean; stdin?: string } = {}) {
  const io = captureIo({ cwd: ws.dir, ...options });
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err(), io };
}

const job = (id: string, ...extra: string[]) => ['cancel', 'fixture.jobs.job', '--region', 'r1', '--job-id', id, '--endpoint', cloud.url, '-o', 'json', ...extra];

function parse(out: string): { results: ResultRecord[]; summary: Summary } {
  return JSON.parse(out) as { results: ResultRecord[]; summary: Summary };
}

describe('single-target cancel', () => {
  it('cancels a running job: exit 0, one record with the request id', async () => {
    cloud.jobs.set('job-1', 'running');
    const r = await cli(job('job-1'));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const doc = parse(r.out);
    expect(doc.results).toHaveLength(1);
    expect(doc.results[0]).toMatchObject({ plugin: 'fixture.jobs.job', target: 'job-1', outcome: 'cancelled', attempts: 1 });
    expect(doc.results[0]?.requestId).toMatch(/^req-\d+$/);
    expect(doc.summary).toEqual({ total: 1, cancelled: 1, alreadyFinished: 0, notCancellable: 0, notFound: 0, failed: 0 });
    expect(cloud.jobs.get('job-1')).toBe('cancelled');
  });

  it.each([
    ['done', 'already-finished', 0],
    ['locked', 'not-cancellable', 6],
    [undefined, 'not-found', 5],
    ['unauthorized', 'failed', 3],
    ['throttle', 'failed', 7],
    ['boom', 'failed', 8],
  ] as const)('a %s job → %s, exit %i', async (status, outcome, exit) => {
    if (status) cloud.jobs.set('job-2', status);
    const r = await cli(job('job-2'));
    expect(r.code).toBe(exit);
    expect(parse(r.out).results[0]?.outcome).toBe(outcome);
    expect(cloud.cancelRequests()).toHaveLength(0);
  });

  it('permission denied on cancel → exit 4 with the provider code', async () => {
    cloud.jobs.set('job-3', 'forbidden');
    const r = await cli(job('job-3'));
    expect(r.code).toBe(4);
    expect(parse(r.out).results[0]?.error).toMatchObject({ code: 'PermissionDenied', providerCode: 'Forbidden' });
  });

  it('--no-precheck sends the cancel without inspecting', async () => {
    cloud.jobs.set('job-4', 'done');
    const r = await cli(job('job-4', '--no-precheck'));
    expect(r.code).toBe(0);
    expect(parse(r.out).results[0]?.outcome).toBe('already-finished');
    expect(cloud.requests.map((q) => q.method)).toEqual(['POST']);
  });

  it('--wait reports the terminal status', async () => {
    cloud.jobs.set('job-5', 'running');
    const r = await cli(job('job-5', '--wait', '--timeout', '5s'));
    expect(r.code).toBe(0);
    expect(parse(r.out).results[0]).toMatchObject({ outcome: 'cancelled', waited: { terminal: true, timedOut: false, status: 'cancelled' } });
  });

  it('Ctrl-C during the pre-check: the record says no cancel was sent, exit 130', async () => {
    cloud.jobs.set('job-pre', 'slow');
    const io = captureIo({ cwd: ws.dir });
    const running = main(job('job-pre'), io);
    await new Promise((r) => setTimeout(r, 50));
    io.signal('SIGINT');
    expect(await running).toBe(130);
    const record = parse(io.out()).results[0];
    expect(record).toMatchObject({ outcome: 'failed', attempts: 0 });
    expect(record?.error?.message).toContain('no cancel request was sent');
    expect(record?.error?.message).not.toContain('may or may not');
    expect(cloud.cancelRequests()).toHaveLength(0);
  });

  it('--quiet prints results only with an explicit --output json|ndjson', async () => {
    const args = (id: string) => ['cancel', 'fixture.jobs.job', '--region', 'r1', '--job-id', id, '--endpoint', cloud.url, '-q'];
    cloud.jobs.set('job-q1', 'running');
    const implicit = await cli(args('job-q1'));
    expect(implicit.code).toBe(0);
    expect(implicit.out).toBe('');
    expect(implicit.err).toBe('');
    expect(cloud.jobs.get('job-q1')).toBe('cancelled');
    cloud.jobs.set('job-q2', 'running');
    const explicit = await cli([...args('job-q2'), '-o', 'json']);
    expect(parse(explicit.out).results[0]).toMatchObject({ target: 'job-q2', outcome: 'cancelled' });
    const missing = await cli(args('job-q3'));
    expect(missing.code).toBe(5);
    expect(missing.out).toBe('');
  });

  it('never prints the credential, even when the cloud echoes it and with --debug', async () => {
    cloud.jobs.set('job-6', 'echo-secret');
    const r = await cli([...job('job-6'), '--debug']);
    expect(r.code).toBe(8);
    expect(r.out + r.err).not.toContain(FIXTURE_TOKEN);
    expect(r.out).toContain('[REDACTED]');
    expect(r.err).toContain('"level":"debug"');
  });

  it('table output is aligned, uncoloured without a TTY, coloured with FORCE_COLOR unless NO_COLOR', async () => {
    cloud.jobs.set('job-7', 'running');
    const plain = await cli(job('job-7').slice(0, -2).concat('-o', 'table'));
    expect(plain.out).toMatch(/^PLUGIN\s+TARGET\s+OUTCOME\s+REQUEST ID\s+DETAIL\n/);
    expect(plain.out).toContain('1 target: 1 cancelled');
    expect(plain.out).not.toContain('\u001b[');
    cloud.jobs.set('job-7', 'running');
    const coloured = await cli(job('job-7').slice(0, -2).concat('-o', 'table'), { env: { FIXTURE_TOKEN, FORCE_COLOR: '1' } });
    expect(coloured.out).toContain('\u001b[32mcancelled');
    cloud.jobs.set('job-7', 'running');
    const noColor = await cli(job('job-7').slice(0, -2).concat('-o', 'table'), { env: { FIXTURE_TOKEN, FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(noColor.out).not.toContain('\u001b[');
  });

  it('defaults to table on a TTY and json otherwise', async () => {
    cloud.jobs.set('job-8', 'running');
    const tty = await cli(job('job-8').slice(0, -2), { tty: true });
    expect(tty.out).toMatch(/^\S*PLUGIN/);
    cloud.jobs.set('job-8', 'running');
    const piped = await cli(job('job-8').slice(0, -2));
    expect(() => JSON.parse(piped.out)).not.toThrow();
  });

  it('ndjson ends with a summary line', async () => {
    cloud.jobs.set('job-9', 'running');
    const r = await cli(job('job-9').slice(0, -2).concat('-o', 'ndjson'));
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ outcome: 'cancelled' });
    expect(lines[1]).toMatchObject({ summary: { total: 1, cancelled: 1 } });
  });

  it('array params take comma-separated values and yield one record per target', async () => {
    cloud.jobs.set('a-1', 'running');
    cloud.jobs.set('a-2', 'done');
    const r = await cli(['cancel', 'fixture.jobs.bulk', '--ids', 'a-1,a-2', '--ids', 'a-3', '--endpoint', cloud.url, '-o', 'json']);
    const doc = parse(r.out);
    expect(doc.results.map((x) => [x.target, x.outcome])).toEqual([
      ['a-1', 'cancelled'],
      ['a-2', 'already-finished'],
      ['a-3', 'not-found'],
    ]);
    expect(r.code).toBe(9);
  });
});

describe('usage errors: exit 2, nothing sent', () => {
  afterEach(() => {
    expect(cloud.requests).toHaveLength(0);
  });

  it('an unknown flag names the flag and suggests the right one', async () => {
    const r = await cli(['cancel', 'fixture.jobs.job', '--region', 'r1', '--job', 'job-1', '--endpoint', cloud.url]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('Unknown flag --job');
    expect(r.err).toContain('Did you mean --job-id?');
    expect(r.out).toBe('');
  });

  it('a missing required param names its flag and shows the fix', async () => {
    const r = await cli(['cancel', 'fixture.jobs.job', '--region', 'r1', '--endpoint', cloud.url]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--job-id is required (pass --job-id <string>)');
    expect(r.err).toContain('cancelkit cancel fixture.jobs.job --help');
  });

  it("the plugin's own validation is reported with flag names", async () => {
    const r = await cli(['cancel', 'fixture.jobs.job', '--region', 'r1', '--job-id', 'nope', '--endpoint', cloud.url]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--job-id must look like job-… (e.g. job-1)');
  });

  it('a number param that is not a number', async () => {
    const r = await cli(['cancel', 'fixture.jobs.job', '--region', 'r1', '--job-id', 'job-1', '--priority', 'high']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--priority "high" is not an integer');
  });

  it('a flag without its value', async () => {
    const r = await cli(['cancel', 'fixture.jobs.job', '--region', 'r1', '--job-id']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--job-id needs a value');
  });

  it('an unknown plugin suggests the closest', async () => {
    const r = await cli(['cancel', 'fixture.jobs.jobs', '--job-id', 'job-1']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('Unknown plugin "fixture.jobs.jobs"');
    expect(r.err).toContain('Did you mean fixture.jobs.job?');
  });

  it('an unknown command suggests the closest', async () => {
    const r = await cli(['cancle']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('Did you mean `cancelkit cancel`?');
  });

  it('plain http to a non-loopback endpoint is refused before any request; the fix is the flag', async () => {
    const r = await cli(['cancel', 'fixture.jobs.job', '--region', 'r1', '--job-id', 'job-1', '--endpoint', 'http://example.com']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--endpoint: plain http is only allowed for loopback');
    expect(r.err).toContain('hint: Use an https URL, or pass --allow-insecure-http');
    expect(r.err).not.toContain('allowInsecureHttp');
  });

  it('bad --output, --timeout without --wait, bad --concurrency', async () => {
    expect((await cli([...job('job-1'), '-o', 'yaml'])).code).toBe(2);
    const t = await cli([...job('job-1'), '--timeout', '5m']);
    expect(t.code).toBe(2);
    expect(t.err).toContain('--timeout only applies with --wait');
    const c = await cli(['cancel', '--from', 'x.ndjson', '--concurrency', '0']);
    expect(c.code).toBe(2);
    const negative = await cli(['cancel', '--from', 'x.ndjson', '--concurrency', '-3']);
    expect(negative.code).toBe(2);
    expect(negative.err).toContain('--concurrency must be a positive integer (got "-3")');
    expect(negative.err).not.toContain('needs a value');
  });

  it('the error line carries no stack trace unless --debug', async () => {
    const r = await cli(['cancel', 'fixture.jobs.job', '--bogus']);
    expect(r.err).not.toMatch(/\n\s+at /);
    const d = await cli(['cancel', 'fixture.jobs.job', '--bogus', '--debug']);
    expect(d.err).toMatch(/\n\s+at /);
  });
});

describe('help', () => {
  it('global help lists every command, examples and the exit codes', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const word of ['cancel', 'plan', 'inspect', 'plugins', 'emulator', 'demo', 'completion', 'Exit codes', 'not cancellable', '--journal']) {
      expect(r.out).toContain(word);
    }
  });

  it("`cancel <id> --help` shows the plugin's flags, descriptions, docs and examples without loading it", async () => {
    const throwing = createFixtureWorkspace({ implementationThrows: true });
    try {
      const io = captureIo({ cwd: throwing.dir });
      const code = await main(['cancel', 'fixture.jobs.job', '--help'], io);
      expect(code).toBe(0);
      const out = io.out();
      expect(out).toContain('--job-id <string>');
      expect(out).toContain('Id of the job to cancel. (required) (target)');
      expect(out).toContain('https://example.invalid/fixture-jobs');
      expect(out).toContain('cancelkit cancel fixture.jobs.job --region r1 --job-id job-1');
    } finally {
      throwing.cleanup();
    }
  });

  it('demo --help states the concurrency the demo really uses', async () => {
    const r = await cli(['demo', '--help']);
    expect(r.code).toBe(0);
    const line = r.out.split('\n').find((l) => l.includes('--concurrency'));
    expect(line).toContain(`(default ${DEMO_CONCURRENCY})`);
    expect(line).not.toContain('(default 8)');
  });

  it('--version prints the CLI and core versions', async () => {
    const r = await cli(['--version']);
    expect(r.out).toMatch(/^cancelkit \d+\.\d+\.\d+ \(@cancelkit\/core \d+\.\d+\.\d+/);
  });
});

describe('plan and inspect', () => {
  it('plan says what would happen and sends no cancel', async () => {
    cloud.jobs.set('p-1', 'running');
    cloud.jobs.set('p-2', 'locked');
    const r = await cli(['plan', 'fixture.jobs.bulk', '--ids', 'p-1,p-2,p-3', '--endpoint', cloud.url, '-o', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { results: { target: string; action: string; expected: string }[] };
    expect(doc.results.map((x) => [x.target, x.action, x.expected])).toEqual([
      ['p-1', 'cancel', 'cancelled'],
      ['p-2', 'skip', 'not-cancellable'],
      ['p-3', 'skip', 'not-found'],
    ]);
    expect(cloud.cancelRequests()).toHaveLength(0);
  });

  it('plan --from: one plan record per target (bad lines included), nothing cancelled', async () => {
    cloud.jobs.set('job-f1', 'running');
    cloud.jobs.set('job-f2', 'locked');
    cloud.jobs.set('f-4', 'running');
    cloud.jobs.set('f-5', 'done');
    const file = ws.file(
      'plan.ndjson',
      [
        JSON.stringify({ plugin: 'fixture.jobs.job', params: { region: 'r1', jobId: 'job-f1' } }),
        JSON.stringify({ plugin: 'fixture.jobs.job', params: { region: 'r1', jobId: 'job-f2' } }),
        JSON.stringify({ plugin: 'fixture.jobs.job', params: { region: 'r1', jobId: 'job-f3' } }),
        JSON.stringify({ plugin: 'fixture.jobs.bulk', params: { ids: ['f-4', 'f-5'] } }),
        '{"plugin":"fixture.jobs.job","params":{',
      ].join('\n'),
    );
    const r = await cli(['plan', '--from', file, '--endpoint', cloud.url, '--concurrency', '2', '-o', 'json']);
    const doc = JSON.parse(r.out) as { results: { line: number; plugin: string; target: string; action: string; expected: string; error?: { code: string } }[]; summary: Summary };
    expect(doc.results.map((x) => [x.line, x.target, x.action, x.expected]).sort()).toEqual(
      [
        [1, 'job-f1', 'cancel', 'cancelled'],
        [2, 'job-f2', 'skip', 'not-cancellable'],
        [3, 'job-f3', 'skip', 'not-found'],
        [4, 'f-4', 'cancel', 'cancelled'],
        [4, 'f-5', 'skip', 'already-finished'],
        [5, 'line 5', 'skip', 'failed'],
      ].sort(),
    );
    expect(doc.results.find((x) => x.line === 5)).toMatchObject({ plugin: 'fixture.jobs.job', error: { code: 'InvalidInput' } });
    expect(doc.summary).toEqual({ total: 6, cancelled: 2, alreadyFinished: 1, notCancellable: 1, notFound: 1, failed: 1 });
    // A line that could not be planned makes it a partial result, as for cancel --from.
    expect(r.code).toBe(9);
    expect(cloud.cancelRequests()).toHaveLength(0);
    expect(cloud.jobs.get('job-f1')).toBe('running');
  });

  it('plan --from -: CSV from stdin, ndjson streamed, exit 0 when every target could be planned; the table says nothing was sent', async () => {
    cloud.jobs.set('job-g1', 'running');
    cloud.jobs.set('g-2', 'done');
    const csv = 'plugin,region,job-id,ids\nfixture.jobs.job,r1,job-g1,\nfixture.jobs.bulk,,,"g-2"\n';
    const r = await cli(['plan', '--from', '-', '--endpoint', cloud.url, '-o', 'ndjson'], { stdin: csv });
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    expect(lines.slice(0, 2).map((l) => [l.target, l.expected]).sort()).toEqual([
      ['g-2', 'already-finished'],
      ['job-g1', 'cancelled'],
    ]);
    expect(lines[2]).toEqual({ summary: { total: 2, cancelled: 1, alreadyFinished: 1, notCancellable: 0, notFound: 0, failed: 0 } });
    const table = await cli(['plan', '--from', '-', '--endpoint', cloud.url, '-o', 'table'], { stdin: csv });
    expect(table.out).toMatch(/LINE\s+PLUGIN\s+TARGET\s+ACTION\s+EXPECTED/);
    expect(table.out).toContain('would cancel');
    expect(table.out).toContain('plan (nothing was sent): 2 targets');
    expect(cloud.cancelRequests()).toHaveLength(0);
  });

  it('plan --from: a target whose inspect fails gets expected "failed" and its error; all failing alike → that exit code', async () => {
    cloud.jobs.set('job-h1', 'unauthorized');
    cloud.jobs.set('job-h2', 'unauthorized');
    const file = ws.file('plan-fail.ndjson', ['job-h1', 'job-h2'].map((id) => JSON.stringify({ plugin: 'fixture.jobs.job', params: { region: 'r', jobId: id } })).join('\n'));
    const r = await cli(['plan', '--from', file, '--endpoint', cloud.url, '-o', 'json']);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.out) as { results: { expected: string; requestId: string | null; error?: { code: string; providerCode?: string } }[] };
    expect(doc.results).toHaveLength(2);
    for (const x of doc.results) {
      expect(x).toMatchObject({ expected: 'failed', error: { code: 'Unauthenticated', providerCode: 'Auth.Failed' } });
      expect(x.requestId).toMatch(/^req-\d+$/);
    }
    expect((await cli(['inspect', '--from', file])).err).toContain('cancelkit plan --from FILE');
  });

  it('inspect shows state; exit 5 when the target does not exist', async () => {
    cloud.jobs.set('job-i', 'running');
    const found = await cli(['inspect', 'fixture.jobs.job', '--region', 'r1', '--job-id', 'job-i', '--endpoint', cloud.url, '-o', 'json']);
    expect(found.code).toBe(0);
    expect(JSON.parse(found.out).results[0]).toMatchObject({ target: 'job-i', found: true, status: 'running', cancellable: true });
    const missing = await cli(['inspect', 'fixture.jobs.job', '--region', 'r1', '--job-id', 'job-x', '--endpoint', cloud.url, '-o', 'json']);
    expect(missing.code).toBe(5);
  });

  it('an error during inspect is one line with a hint and its exit code', async () => {
    cloud.jobs.set('job-u', 'unauthorized');
    const r = await cli(['inspect', 'fixture.jobs.job', '--region', 'r1', '--job-id', 'job-u', '--endpoint', cloud.url]);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/^error: key revoked\n\(provider code Auth.Failed, request id req-\d+\)\n$/);
  });

  it.each([
    ['plan', 'SIGINT', 130],
    ['plan', 'SIGTERM', 143],
    ['inspect', 'SIGINT', 130],
    ['inspect', 'SIGTERM', 143],
  ] as const)('%s interrupted by %s while the cloud answers exits %i, not as a transient failure', async (command, signal, exit) => {
    cloud.jobs.set('job-int', 'slow');
    const io = captureIo({ cwd: ws.dir });
    const running = main([command, 'fixture.jobs.job', '--region', 'r1', '--job-id', 'job-int', '--endpoint', cloud.url, '-o', 'json'], io);
    const deadline = Date.now() + 5000;
    while (cloud.requests.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    io.signal(signal);
    expect(await running).toBe(exit);
    expect(io.err()).toContain(`Interrupted (${signal})`);
    expect(io.err()).not.toContain('    at ');
  });
});

describe('plugins', () => {
  it('list reads manifests only: a plugin whose implementation throws on import is still listed', async () => {
    const throwing = createFixtureWorkspace({ implementationThrows: true });
    try {
      const io = captureIo({ cwd: throwing.dir });
      expect(await main(['plugins', 'list', '-o', 'json'], io)).toBe(0);
      const doc = JSON.parse(io.out()) as { plugins: { id: string; params: { flag: string; required: boolean }[] }[] };
      expect(doc.plugins.map((p) => p.id)).toEqual(['fixture.jobs.bulk', 'fixture.jobs.job']);
      expect(doc.plugins[1]?.params).toContainEqual(expect.objectContaining({ flag: '--job-id', required: true }));
      const info = captureIo({ cwd: throwing.dir });
      expect(await main(['plugins', 'info', 'fixture.jobs.job', '-o', 'table'], info)).toBe(0);
      expect(info.out()).toContain('--region <string>');
      // Using it does import it, and that failure is one clear error line.
      const use = captureIo({ cwd: throwing.dir });
      expect(await main(['cancel', 'fixture.jobs.job', '--region', 'r', '--job-id', 'job-1'], use)).toBe(1);
      expect(use.err()).toContain('the fixture implementation was imported');
    } finally {
      throwing.cleanup();
    }
  });

  it('table output on a terminal', async () => {
    const r = await cli(['plugins', 'list'], { tty: true });
    expect(r.out).toMatch(/PLUGIN\s+TITLE\s+PARAMS/);
    expect(r.out).toContain('fixture.jobs.job');
    expect(r.out).toContain('--region --job-id [--priority]');
  });
});

describe('batches', () => {
  it('NDJSON: one record per target, bad lines become failed records, exit 9', async () => {
    cloud.jobs.set('job-b1', 'running');
    cloud.jobs.set('job-b2', 'done');
    cloud.jobs.set('b-3', 'running');
    const file = ws.file(
      'batch.ndjson',
      [
        JSON.stringify({ plugin: 'fixture.jobs.job', params: { region: 'r1', jobId: 'job-b1' } }),
        '{not json',
        JSON.stringify({ plugin: 'fixture.jobs.job', params: { region: 'r1', 'job-id': 'job-b2' } }),
        JSON.stringify({ plugin: 'no.such.plugin', params: {} }),
        '',
        JSON.stringify({ plugin: 'fixture.jobs.bulk', params: { ids: ['b-3', 'b-4'] } }),
        JSON.stringify({ plugin: 'fixture.jobs.job', params: { region: 'r1', jobId: 'bad id' } }),
      ].join('\n'),
    );
    const r = await cli(['cancel', '--from', file, '--endpoint', cloud.url, '-o', 'json']);
    const doc = parse(r.out);
    expect(r.code).toBe(9);
    expect(doc.results).toHaveLength(7);
    const byLine = (line: number) => doc.results.filter((x) => x.line === line);
    expect(byLine(1)[0]).toMatchObject({ target: 'job-b1', outcome: 'cancelled' });
    expect(byLine(2)[0]).toMatchObject({ outcome: 'failed', target: 'line 2', error: { code: 'InvalidInput' } });
    expect(byLine(2)[0]?.error?.message).toContain('line 2 is not valid JSON');
    expect(byLine(3)[0]).toMatchObject({ target: 'job-b2', outcome: 'already-finished' });
    expect(byLine(4)[0]).toMatchObject({ plugin: 'no.such.plugin', outcome: 'failed', error: { code: 'InvalidInput' } });
    expect(byLine(6).map((x) => [x.target, x.outcome])).toEqual([
      ['b-3', 'cancelled'],
      ['b-4', 'not-found'],
    ]);
    expect(byLine(7)[0]).toMatchObject({ target: 'bad id', outcome: 'failed' });
    expect(doc.summary).toEqual({ total: 7, cancelled: 2, alreadyFinished: 1, notCancellable: 0, notFound: 1, failed: 3 });
  });

  it('CSV with kebab or camel headers, from stdin; array cells are comma lists', async () => {
    cloud.jobs.set('job-c1', 'running');
    cloud.jobs.set('c-2', 'running');
    cloud.jobs.set('c-3', 'running');
    const csv = 'plugin,region,job-id,ids\nfixture.jobs.job,r1,job-c1,\nfixture.jobs.bulk,,,"c-2,c-3"\nfixture.jobs.job,r1\n';
    const r = await cli(['cancel', '--from', '-', '--endpoint', cloud.url, '-o', 'ndjson'], { stdin: csv });
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as ResultRecord & { summary?: Summary });
    const records = lines.filter((l) => !l.summary);
    expect(records.map((x) => [x.line, x.target, x.outcome])).toEqual(
      expect.arrayContaining([
        [4, 'line 4', 'failed'],
        [2, 'job-c1', 'cancelled'],
        [3, 'c-2', 'cancelled'],
        [3, 'c-3', 'cancelled'],
      ]),
    );
    expect(records).toHaveLength(4);
    expect(lines[lines.length - 1]?.summary).toMatchObject({ total: 4, cancelled: 3, failed: 1 });
  });

  it('a progress line on stderr only when stderr is a terminal; --quiet silences it and the table', async () => {
    const ids = ['job-p1', 'job-p2', 'job-p3'];
    const file = ws.file('progress.ndjson', ids.map((id) => JSON.stringify({ plugin: 'fixture.jobs.job', params: { region: 'r', jobId: id } })).join('\n'));
    for (const id of ids) cloud.jobs.set(id, 'running');
    const tty = await cli(['cancel', '--from', file, '--endpoint', cloud.url, '-o', 'ndjson'], { tty: true });
    expect(tty.err).toContain('\r\u001b[2K[');
    expect(tty.err).toContain('3/3');
    expect(tty.err).toMatch(/3 cancelled, 0 finished/);
    for (const id of ids) cloud.jobs.set(id, 'running');
    const piped = await cli(['cancel', '--from', file, '--endpoint', cloud.url, '-o', 'ndjson']);
    expect(piped.err).toBe('');
    for (const id of ids) cloud.jobs.set(id, 'running');
    const quiet = await cli(['cancel', '--from', file, '--endpoint', cloud.url, '--quiet', '-o', 'table'], { tty: true });
    expect(quiet.err).toBe('');
    expect(quiet.out).toBe('');
    expect(quiet.code).toBe(0);
  });

  it('ndjson on the terminal the progress line is drawn on: no record line carries the bar, none is left on screen', async () => {
    const ids = Array.from({ length: 6 }, (_, i) => `job-t${i}`);
    for (const id of ids) cloud.jobs.set(id, 'slow');
    const file = ws.file('tty-ndjson.ndjson', ids.map((id) => JSON.stringify({ plugin: 'fixture.jobs.job', params: { region: 'r', jobId: id } })).join('\n'));
    // stdout and stderr are the same terminal: what they write lands on one screen.
    const io = captureIo({ cwd: ws.dir, tty: true });
    let screen = '';
    const terminal = { write: (s: string) => (screen += s), isTTY: true, columns: 120 };
    const code = await main(['cancel', '--from', file, '--concurrency', '2', '--endpoint', cloud.url, '-o', 'ndjson'], { ...io, stdout: terminal, stderr: terminal });
    expect(code).toBe(0);
    // What a terminal shows: `\r` returns to the line's start and ESC[2K erases the line.
    const shown = screen.split('\n').map((line) => line.split('\r').reduce((shownSoFar, part) => (part.startsWith('\u001b[2K') ? part.slice(4) : part + shownSoFar.slice(part.length)), ''));
    expect(screen).toContain('6/6');
    expect(shown.filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>)).toHaveLength(7);
  });

  it('--wait applies to every target of a batch', async () => {
    cloud.jobs.set('job-w1', 'running');
    const file = ws.file('wait.ndjson', JSON.stringify({ plugin: 'fixture.jobs.job', params: { region: 'r', jobId: 'job-w1' } }));
    const r = await cli(['cancel', '--from', file, '--endpoint', cloud.url, '--wait', '--timeout', '5s', '-o', 'json']);
    expect(r.code).toBe(0);
    expect(parse(r.out).results[0]).toMatchObject({ outcome: 'cancelled', waited: { terminal: true } });
  });

  it('every target failing the same way exits with that code', async () => {
    const file = ws.file('missing.ndjson', ['job-m1', 'job-m2'].map((id) => JSON.stringify({ plugin: 'fixture.jobs.job', params: { region: 'r', jobId: id } })).join('\n'));
    const r = await cli(['cancel', '--from', file, '--endpoint', cloud.url, '-o', 'json']);
    expect(r.code).toBe(5);
  });

  it('--journal: a re-run skips settled targets and retries failed ones', async () => {
    cloud.jobs.set('job-j1', 'running');
    cloud.jobs.set('job-j2', 'boom');
    const file = ws.file('journal.ndjson', ['job-j1', 'job-j2'].map((id) => JSON.stringify({ plugin: 'fixture.jobs.job', params: { region: 'r', jobId: id } })).join('\n'));
    const journal = path.join(ws.dir, 'run.journal');
    const first = await cli(['cancel', '--from', file, '--journal', journal, '--endpoint', cloud.url, '-o', 'json']);
    expect(first.code).toBe(9);
    expect(readFileSync(journal, 'utf8').trim().split('\n')).toHaveLength(2);
    cloud.jobs.set('job-j2', 'running');
    cloud.requests.length = 0;
    const second = await cli(['cancel', '--from', file, '--journal', journal, '--endpoint', cloud.url, '-o', 'json']);
    expect(second.code).toBe(0);
    const doc = parse(second.out);
    expect(doc.results.map((x) => x.target)).toEqual(['job-j2']);
    // The summary covers every target of the batch, including the one an earlier run settled.
    expect(doc.summary).toMatchObject({ total: 2, cancelled: 2, skipped: 1 });
    expect(cloud.requests.some((q) => q.path.includes('job-j1'))).toBe(false);
  });

  it('--journal: a failure journalled after a settled outcome (a bad line naming the same target) does not make a re-run cancel it again', async () => {
    cloud.jobs.set('job-d1', 'running');
    // Line 2 names the same job but lacks its region: a failed record for job-d1 on every run.
    const file = ws.file(
      'journal-dup.ndjson',
      [JSON.stringify({ plugin: 'fixture.jobs.job', params: { region: 'r', jobId: 'job-d1' } }), JSON.stringify({ plugin: 'fixture.jobs.job', params: { jobId: 'job-d1' } })].join('\n'),
    );
    const journal = path.join(ws.dir, 'journal-dup.journal');
    const args = ['cancel', '--from', file, '--journal', journal, '--no-precheck', '--endpoint', cloud.url, '-o', 'json'];
    expect((await cli(args)).code).toBe(9);
    expect(cloud.cancelRequests('job-d1')).toHaveLength(1);
    for (let run = 0; run < 2; run++) {
      const again = await cli(args);
      expect(again.code).toBe(9);
      expect(parse(again.out).summary).toMatchObject({ total: 2, cancelled: 1, failed: 1, skipped: 1 });
    }
    // Settled by the first run: never sent again, even without the pre-check.
    expect(cloud.cancelRequests('job-d1')).toHaveLength(1);
  });

  it('the journal never holds the credential, even when the cloud echoes it', async () => {
    cloud.jobs.set('job-js1', 'echo-secret');
    const file = ws.file('journal-secret.ndjson', JSON.stringify({ plugin: 'fixture.jobs.job', params: { region: 'r', jobId: 'job-js1' } }));
    const journal = path.join(ws.dir, 'journal-secret.journal');
    const r = await cli(['cancel', '--from', file, '--journal', journal, '--endpoint', cloud.url, '-o', 'json']);
    expect(r.code).toBe(8);
    expect(r.out).toContain('[REDACTED]');
    const text = readFileSync(journal, 'utf8');
    expect(text).not.toContain(FIXTURE_TOKEN);
    expect((JSON.parse(text.trim()) as ResultRecord).error?.message).toBe('server echoed [REDACTED]');
  });

  it("a resumed batch's exit code and summary count the outcomes earlier runs settled", async () => {
    const file = ws.file('resume-missing.ndjson', ['job-r1', 'job-r2', 'job-r3'].map((id) => JSON.stringify({ plugin: 'fixture.jobs.job', params: { region: 'r', jobId: id } })).join('\n'));
    const journal = path.join(ws.dir, 'resume-missing.journal');
    const args = ['cancel', '--from', file, '--journal', journal, '--endpoint', cloud.url, '-o', 'json'];
    const first = await cli(args);
    expect(first.code).toBe(5);
    cloud.requests.length = 0;
    const again = await cli(args);
    expect(again.code).toBe(5);
    expect(parse(again.out)).toEqual({ results: [], summary: { total: 3, cancelled: 0, alreadyFinished: 0, notCancellable: 0, notFound: 3, failed: 0, skipped: 3 } });
    expect(cloud.requests).toHaveLength(0);
    // One more target, cancellable: settled earlier as not found + cancelled now = a partial batch.
    cloud.jobs.set('job-r4', 'running');
    const more = ws.file('resume-more.ndjson', ['job-r1', 'job-r2', 'job-r3', 'job-r4'].map((id) => JSON.stringify({ plugin: 'fixture.jobs.job', params: { region: 'r', jobId: id } })).join('\n'));
    const mixed = await cli(['cancel', '--from', more, '--journal', journal, '--endpoint', cloud.url, '-o', 'json']);
    expect(mixed.code).toBe(9);
    expect(parse(mixed.out).summary).toMatchObject({ total: 4, cancelled: 1, notFound: 3, skipped: 3 });
  });

  it('stdout closing mid-batch (EPIPE) stops quietly: nothing new starts, every settled result is journalled, exit 141', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `job-e${i}`);
    for (const id of ids) cloud.jobs.set(id, 'slow');
    const file = ws.file('epipe.ndjson', ids.map((id) => JSON.stringify({ plugin: 'fixture.jobs.job', params: { region: 'r', jobId: id } })).join('\n'));
    const journal = path.join(ws.dir, 'epipe.journal');
    const io = captureIo({ cwd: ws.dir });
    const running = main(['cancel', '--from', file, '--journal', journal, '--concurrency', '2', '--no-precheck', '--endpoint', cloud.url, '-o', 'ndjson'], io);
    await new Promise((r) => setTimeout(r, 60));
    io.closeStdout();
    expect(await running).toBe(141);
    expect(io.err()).toBe('');
    const cancelled = ids.filter((id) => cloud.jobs.get(id) === 'cancelled');
    expect(cancelled.length).toBeGreaterThanOrEqual(1);
    expect(cancelled.length).toBeLessThan(12);
    expect(cloud.cancelRequests()).toHaveLength(cancelled.length);
    const journalled = readFileSync(journal, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as ResultRecord).target);
    expect(journalled.sort()).toEqual(cancelled.sort());
  });

  it('SIGINT stops starting new targets, settles in-flight ones, reports the rest, exits 130', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `job-s${i}`);
    for (const id of ids) cloud.jobs.set(id, 'slow');
    const file = ws.file('slow.ndjson', ids.map((id) => JSON.stringify({ plugin: 'fixture.jobs.job', params: { region: 'r', jobId: id } })).join('\n'));
    const journal = path.join(ws.dir, 'slow.journal');
    const io = captureIo({ cwd: ws.dir });
    const running = main(['cancel', '--from', file, '--journal', journal, '--concurrency', '2', '--no-precheck', '--endpoint', cloud.url, '-o', 'ndjson'], io);
    await new Promise((r) => setTimeout(r, 60));
    io.signal('SIGINT');
    const code = await running;
    expect(code).toBe(130);
    const lines = io.out().trim().split('\n').map((l) => JSON.parse(l) as ResultRecord & { summary?: Summary });
    const records = lines.filter((l) => !l.summary);
    expect(records).toHaveLength(12);
    const done = records.filter((x) => x.outcome === 'cancelled');
    expect(done.length).toBeGreaterThanOrEqual(1);
    expect(done.length).toBeLessThan(12);
    const notStarted = records.filter((x) => x.outcome === 'failed');
    expect(notStarted.every((x) => x.error?.message.startsWith('Not started'))).toBe(true);
    // Only what was really cancelled was sent and journalled.
    expect(cloud.cancelRequests()).toHaveLength(done.length);
    expect(readFileSync(journal, 'utf8').trim().split('\n')).toHaveLength(done.length);
    expect(io.err()).toContain('Interrupted (SIGINT)');
  });
});

describe('completion', () => {
  it('prints scripts and completes commands, plugin ids and plugin flags', async () => {
    for (const shell of ['bash', 'zsh', 'fish']) {
      const r = await cli(['completion', shell]);
      expect(r.code).toBe(0);
      expect(r.out).toContain('cancelkit __complete');
    }
    expect((await cli(['completion', 'tcsh'])).code).toBe(2);
    expect((await cli(['__complete', 'ca'])).out).toBe('cancel\n');
    expect((await cli(['__complete', 'cancel', 'fixture.jobs.j'])).out).toBe('fixture.jobs.job\n');
    expect((await cli(['__complete', 'cancel', 'fixture.jobs.job', '--job'])).out).toBe('--job-id\n');
    expect((await cli(['__complete', 'plan', '--output', 'n'])).out).toBe('ndjson\n');
    expect((await cli(['__complete', 'plugins', 'info', 'fixture.jobs.b'])).out).toBe('fixture.jobs.bulk\n');
  });

  it('completes the value of -o and of a plugin param, not flags or plugin ids', async () => {
    expect((await cli(['__complete', 'plan', '-o', 'n'])).out).toBe('ndjson\n');
    expect((await cli(['__complete', 'cancel', '-o', ''])).out).toBe('table\njson\nndjson\n');
    // A param's value is free text: no candidates, so the script falls back to file names.
    expect((await cli(['__complete', 'cancel', 'fixture.jobs.job', '--region', ''])).out).toBe('');
    expect((await cli(['__complete', 'cancel', 'fixture.jobs.job', '--region', 'r1', '--job'])).out).toBe('--job-id\n');
  });
});
