/**
 * Secrets never show: every CLI command and every server route runs with debug logging, against the
 * emulator configured with distinctive fake secrets (AccessKey secrets, an STS secret and token, a Huawei
 * SK, an IAM token, API tokens, and wrong secrets that get refused), with faults on so retries and errors
 * are logged too. All stdout, stderr, journals and log output are scanned: zero hits.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createCancelKit, createLogger, type LogRecord, SecretRegistry } from '@cancelkit/core';
import ecs from '@cancelkit/plugin-alibaba-ecs';
import oos from '@cancelkit/plugin-alibaba-oos';
import opensearch from '@cancelkit/plugin-alibaba-opensearch';
import tair from '@cancelkit/plugin-alibaba-tair';
import dds from '@cancelkit/plugin-huaweicloud-dds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, runCli, type ServerProcess, spawnNode, CLI_BIN, startServerProcess, workDir } from './support/processes.js';
import { seedFor } from './support/scale.js';
import { API_TOKENS, api, serverConfig, waitForJob } from './support/server.js';
import { kitConfig, populate, PROVIDERS, SECRET_VALUES, SECRETS, startWorld, type World } from './support/world.js';

/** Refused on purpose: a wrong secret and a guessed API token must not be echoed either. */
const WRONG_SECRET = 'reliability-WRONG-secret-0d9e8f7a6b5c';
const GUESSED_TOKEN = 'reliability-guessed-api-token-4f3e2d1c0b';
const ALL_SECRETS = [...SECRET_VALUES, API_TOKENS.admin, API_TOKENS.ecsOnly, WRONG_SECRET, GUESSED_TOKEN];

/** The secrets found in `text`, in any of the spellings they could be printed in. */
function leaks(text: string): string[] {
  return ALL_SECRETS.filter((secret) => [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')].some((form) => text.includes(form)));
}

let world: World;
const work = workDir('secrets');
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world.stop();
  work.cleanup();
});

/** A fresh operation per service and the CLI flags / params that address it. */
function targets(label: string) {
  const population = populate(world, 10, seedFor(`secrets-${label}`), `z${label}`);
  return population;
}

interface Captured {
  label: string;
  text: string;
}

function credentialSetups(): { label: string; config: Record<string, unknown>; env: Record<string, string> }[] {
  return [
    { label: 'config AK/SK', config: { providers: PROVIDERS }, env: {} },
    {
      label: 'environment AK/SK',
      config: {},
      env: {
        ALIBABA_CLOUD_ACCESS_KEY_ID: SECRETS.alibabaAccessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRETS.alibabaSecret,
        HUAWEICLOUD_SDK_AK: SECRETS.huaweiAk,
        HUAWEICLOUD_SDK_SK: SECRETS.huaweiSk,
        HUAWEICLOUD_SDK_PROJECT_ID: SECRETS.huaweiProjectId,
      },
    },
    {
      label: 'STS key and IAM token',
      config: {
        providers: {
          alibaba: { accessKeyId: SECRETS.alibabaStsAccessKeyId, accessKeySecret: SECRETS.alibabaStsSecret, securityToken: SECRETS.alibabaStsToken },
          huaweicloud: { authToken: SECRETS.huaweiIamToken, projectId: SECRETS.huaweiProjectId },
        },
      },
      env: {},
    },
    {
      label: 'wrong secrets',
      config: {
        providers: {
          alibaba: { accessKeyId: SECRETS.alibabaAccessKeyId, accessKeySecret: WRONG_SECRET },
          huaweicloud: { ak: SECRETS.huaweiAk, sk: WRONG_SECRET, projectId: SECRETS.huaweiProjectId },
        },
      },
      env: {},
    },
  ];
}

describe('secrets never show', () => {
  it('the library: a batch under faults with a debug logger, its results and every log record', async () => {
    const logs: LogRecord[] = [];
    const secrets = new SecretRegistry();
    const kit = createCancelKit({
      plugins: [ecs, tair, oos, opensearch, dds],
      secrets,
      logger: createLogger({ sink: (r) => logs.push(r), level: 'debug', secrets }),
      config: kitConfig(world, { timeoutMs: 300, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 } }),
    });
    world.emulator.setFaults({ throttle: 0.2, serverError: 0.2, reset: 0.2, seed: seedFor('secrets-library') });
    try {
      const results = [];
      for await (const r of kit.run(targets('lib').items)) results.push(r);
      expect(logs.length).toBeGreaterThan(0);
      expect(leaks(JSON.stringify({ results, logs }))).toEqual([]);
    } finally {
      world.emulator.clearFaults();
      await kit.close();
    }
  });

  it('every CLI command with --debug, for every way of configuring credentials, including refused ones', async () => {
    const outputs: Captured[] = [];
    const record = (label: string, r: { stdout: string; stderr: string }) => outputs.push({ label, text: `${r.stdout}\n${r.stderr}` });
    world.emulator.setFaults({ throttle: 0.15, serverError: 0.15, reset: 0.1, seed: seedFor('secrets-cli') });
    try {
      await Promise.all(
        credentialSetups().map(async (setup, n) => {
          const dir = `${work.dir}/cli-${n}`;
          mkdirSync(dir, { recursive: true });
          const config = `${dir}/cancelkit.config.json`;
          writeFileSync(config, JSON.stringify({ ...setup.config, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 2_000 }));
          const env = cleanEnv(dir, setup.env);
          const common = ['--config', config, '--endpoint', world.url, '--debug'];
          const population = targets(`cli${n}`);
          const batch = `${dir}/batch.ndjson`;
          writeFileSync(batch, population.items.map((i) => JSON.stringify(i)).join('\n'));
          const journal = `${dir}/journal.ndjson`;
          const run = async (label: string, args: string[]) => record(`${setup.label}: ${label}`, await runCli(args, { cwd: dir, env }));
          await run('cancel --from', ['cancel', '--from', batch, '--journal', journal, '-o', 'ndjson', ...common]);
          outputs.push({ label: `${setup.label}: journal`, text: readFileSync(journal, 'utf8') });
          const ecsTask = world.emulator.createOperation('alibaba.ecs', { taskAction: 'ImportImage', taskStatus: 'Processing' }).id;
          const ddsJob = world.emulator.createOperation('huaweicloud.dds', { status: 'Pending', projectId: SECRETS.huaweiProjectId }).id;
          const ecsFlags = ['alibaba.ecs.task', '--region-id', 'cn-hangzhou', '--task-id', ecsTask];
          const ddsFlags = ['huaweicloud.dds.scheduled-job', '--region', 'cn-north-4', '--job-id', ddsJob];
          await Promise.all([run('plan ecs', ['plan', ...ecsFlags, '-o', 'json', ...common]), run('inspect dds', ['inspect', ...ddsFlags, '-o', 'table', ...common])]);
          await Promise.all([
            run('cancel ecs', ['cancel', ...ecsFlags, '-o', 'table', ...common]),
            run('cancel dds --wait', ['cancel', ...ddsFlags, '--wait', '--timeout', '5s', '-o', 'json', ...common]),
          ]);
        }),
      );
    } finally {
      world.emulator.clearFaults();
    }
    // Commands that read no cloud: still with every secret in the environment.
    const dir = `${work.dir}/cli-misc`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/cancelkit.config.json`, JSON.stringify({ providers: PROVIDERS }));
    const env = cleanEnv(dir, { ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRETS.alibabaSecret, HUAWEICLOUD_SDK_SK: SECRETS.huaweiSk });
    const offline = [
      ['plugins', 'list', '--debug'],
      ['plugins', 'info', 'huaweicloud.dds.scheduled-job', '--debug'],
      ['--help'],
      ['--version'],
      ['cancel', '--help'],
      ['cancel', 'alibaba.ecs.task', '--help'],
      ['completion', 'bash'],
      ['cancel', 'alibaba.ecs.task', '--region-id', 'cn-hangzhou', '--task-id', 't 1', '--debug'],
      ['cancel', 'alibaba.ecs.task', '--no-such-flag', '--debug'],
    ];
    await Promise.all(offline.map(async (args) => record(args.join(' '), await runCli(args, { cwd: dir, env }))));
    // The demo runs on the public demo key and reads none of the user's credentials. Every other secret is
    // offered to it anyway, wherever a run could pick one up: the environment (AK/SK, STS token, Huawei
    // security token, the emulator's own key), a config file in the working directory, and the aliyun CLI
    // and Huawei SDK profile files in HOME. None may show, with --debug, in any output format.
    const demoDir = `${work.dir}/cli-demo`;
    mkdirSync(`${demoDir}/.aliyun`, { recursive: true });
    mkdirSync(`${demoDir}/.huaweicloud`, { recursive: true });
    writeFileSync(`${demoDir}/cancelkit.config.json`, JSON.stringify({ providers: PROVIDERS }));
    writeFileSync(
      `${demoDir}/.aliyun/config.json`,
      JSON.stringify({
        current: 'default',
        profiles: [
          { name: 'default', mode: 'StsToken', access_key_id: SECRETS.alibabaStsAccessKeyId, access_key_secret: SECRETS.alibabaStsSecret, sts_token: SECRETS.alibabaStsToken },
        ],
      }),
    );
    writeFileSync(`${demoDir}/.huaweicloud/credentials`, `[basic]\nak = ${SECRETS.huaweiAk}\nsk = ${SECRETS.huaweiSk}\nproject_id = ${SECRETS.huaweiProjectId}\n`);
    const demoEnv = cleanEnv(demoDir, {
      ALIBABA_CLOUD_ACCESS_KEY_ID: SECRETS.alibabaStsAccessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRETS.alibabaStsSecret,
      ALIBABA_CLOUD_SECURITY_TOKEN: SECRETS.alibabaStsToken,
      HUAWEICLOUD_SDK_AK: SECRETS.huaweiAk,
      HUAWEICLOUD_SDK_SK: SECRETS.huaweiSk,
      HUAWEICLOUD_SDK_SECURITY_TOKEN: SECRETS.huaweiIamToken,
      HUAWEICLOUD_SDK_PROJECT_ID: SECRETS.huaweiProjectId,
      CANCELKIT_EMULATOR_ACCESS_KEY_ID: SECRETS.alibabaAccessKeyId,
      CANCELKIT_EMULATOR_ACCESS_KEY_SECRET: SECRETS.alibabaSecret,
      CANCELKIT_SERVER_TOKENS: `ops:${API_TOKENS.admin}`,
    });
    const demos = await Promise.all(
      [['demo', '--debug'], ['demo', '--debug', '-o', 'table'], ['demo', '--debug', '-o', 'ndjson']].map(async (args) => {
        const result = await runCli(args, { cwd: demoDir, env: demoEnv });
        record(args.join(' '), result);
        return { args, result };
      }),
    );
    for (const { args, result } of demos) {
      // It really ran, end to end, with debug logging on.
      expect(result.code, `${args.join(' ')}: ${result.stderr.slice(-1_000)}`).toBe(0);
      expect(result.stderr, args.join(' ')).toContain('The demo ran as designed');
      expect(result.stderr, args.join(' ')).toMatch(/"level":"debug"/);
    }
    // The emulator command, configured with a secret through its environment: it must not print it.
    const emulator = spawnNode(CLI_BIN, ['emulator', '--port', '0', '--debug'], {
      cwd: dir,
      env: cleanEnv(dir, { CANCELKIT_EMULATOR_ACCESS_KEY_ID: SECRETS.alibabaAccessKeyId, CANCELKIT_EMULATOR_ACCESS_KEY_SECRET: SECRETS.alibabaSecret }),
    });
    const deadline = Date.now() + 10_000;
    while (!/http:\/\/127\.0\.0\.1:\d+/.test(emulator.stdout() + emulator.stderr()) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    emulator.child.kill('SIGTERM');
    await emulator.exited;
    outputs.push({ label: 'emulator', text: `${emulator.stdout()}\n${emulator.stderr()}` });
    expect(outputs.find((o) => o.label === 'emulator')?.text).toMatch(/http:\/\/127\.0\.0\.1:\d+/);

    expect(outputs.length).toBeGreaterThanOrEqual(30);
    // The runs really talked to the cloud, logged at debug level, and hit the refused credentials.
    const all = outputs.map((o) => o.text).join('\n');
    expect(all).toMatch(/"level":"debug"/);
    expect(all).toMatch(/Unauthenticated|SignatureDoesNotMatch|APIGW\.0301/);
    const found = outputs.flatMap((o) => leaks(o.text).map((secret) => `${o.label}: ${secret.slice(0, 12)}…`));
    expect(found).toEqual([]);
  });

  it('every server route with trace logging, including refused tokens, faults, SSE, dry runs and replays', async () => {
    const dir = workDir('secrets-server');
    let server: ServerProcess | undefined;
    try {
      const config = dir.file('server.json', serverConfig(world, { database: dir.file('jobs.db'), logLevel: 'trace', timeoutMs: 500 }));
      server = await startServerProcess(['--config', config], { cwd: dir.dir, env: cleanEnv(dir.dir, { CANCELKIT_SERVER_LOG_LEVEL: 'trace' }) });
      const url = server.url;
      const answers: string[] = [];
      const call = async (method: string, route: string, options: Parameters<typeof api>[3] = {}) => {
        const response = await api(url, method, route, options);
        answers.push(`${method} ${route} ${response.status} ${JSON.stringify([...response.headers])} ${response.text}`);
        return response;
      };
      world.emulator.setFaults({ throttle: 0.15, serverError: 0.15, reset: 0.1, seed: seedFor('secrets-server') });
      const population = targets('srv');
      const batch = await call('POST', '/v1/cancellations', { body: { targets: population.items }, headers: { 'idempotency-key': 'secrets-batch' } });
      const jobId = (batch.body as { id: string }).id;
      await waitForJob(url, jobId);
      await call('POST', '/v1/cancellations', { body: { targets: population.items }, headers: { 'idempotency-key': 'secrets-batch' } });
      const events = await fetch(`${url}/v1/cancellations/${jobId}/events`, { headers: { authorization: `Bearer ${API_TOKENS.admin}` } });
      answers.push(await events.text());
      const ecsTask = world.emulator.createOperation('alibaba.ecs', { taskAction: 'ImportImage', taskStatus: 'Processing' }).id;
      const ddsJob = world.emulator.createOperation('huaweicloud.dds', { status: 'Pending', projectId: SECRETS.huaweiProjectId }).id;
      await call('POST', '/v1/cancellations', { body: { plugin: 'alibaba.ecs.task', params: { regionId: 'cn-hangzhou', taskId: ecsTask }, dryRun: true } });
      await call('POST', '/v1/cancellations', { body: { plugin: 'huaweicloud.dds.scheduled-job', params: { region: 'cn-north-4', jobId: ddsJob }, wait: true } });
      await call('POST', '/v1/cancellations', { body: { plugin: 'alibaba.ecs.task', params: { regionId: 'cn-hangzhou', taskId: ecsTask } }, token: API_TOKENS.ecsOnly });
      await call('POST', '/v1/cancellations', { body: { plugin: 'huaweicloud.dds.scheduled-job', params: { region: 'cn-north-4', jobId: ddsJob } }, token: API_TOKENS.ecsOnly });
      await call('POST', '/v1/cancellations', { body: { plugin: 'alibaba.ecs.task', params: { regionId: 'cn-hangzhou', taskId: 'x', accessKeySecret: SECRETS.alibabaSecret } } });
      await call('POST', '/v1/cancellations', { rawBody: `{"plugin": "${SECRETS.huaweiSk}"` });
      await call('GET', '/v1/plugins', { token: GUESSED_TOKEN });
      await call('GET', '/v1/plugins', { token: null, headers: { authorization: `Basic ${Buffer.from(`x:${GUESSED_TOKEN}`).toString('base64')}` } });
      for (const route of ['/v1/plugins', '/v1/plugins/alibaba.ecs.task', `/v1/cancellations/${jobId}`, '/v1/cancellations?limit=5', '/v1/cancellations/unknown-job']) {
        await call('GET', route);
      }
      for (const route of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/no-such-route']) await call('GET', route, { token: null });
      world.emulator.clearFaults();
      await server.stop();
      const output = `${server.stdout()}\n${server.stderr()}\n${answers.join('\n')}`;
      // Trace logging was really on and the refused token was really logged as a request.
      expect(server.stdout()).toMatch(/"level":10|"level":20/);
      expect(server.stdout()).toContain('/v1/plugins');
      expect(leaks(output)).toEqual([]);
      // The database holds the audit trail: it must not keep a secret either.
      expect(leaks(readFileSync(dir.file('jobs.db')).toString('latin1'))).toEqual([]);
    } finally {
      world.emulator.clearFaults();
      await server?.stop();
      dir.cleanup();
    }
  });
});
