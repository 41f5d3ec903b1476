import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CredentialRequest } from '@cancelkit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alibabaCredentialSource, parseIni } from './credentials.js';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'cancelkit-alibaba-creds-'));
});
afterEach(() => rm(home, { recursive: true, force: true }));

function request(extra: Partial<CredentialRequest> = {}): CredentialRequest {
  return { providerConfig: {}, env: {}, homeDir: home, ...extra };
}

async function writeCliConfig(config: unknown): Promise<void> {
  await mkdir(join(home, '.aliyun'), { recursive: true });
  await writeFile(join(home, '.aliyun', 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
}

async function writeIni(text: string): Promise<void> {
  await mkdir(join(home, '.alibabacloud'), { recursive: true });
  await writeFile(join(home, '.alibabacloud', 'credentials'), text);
}

const cliConfig = {
  current: 'default',
  profiles: [
    { name: 'default', mode: 'AK', access_key_id: 'cli-ak', access_key_secret: 'cli-secret', region_id: 'cn-hangzhou' },
    { name: 'emu', mode: 'StsToken', access_key_id: 'STS.cli', access_key_secret: 'sts-secret', sts_token: 'sts-token' },
    { name: 'role', mode: 'RamRoleArn', access_key_id: 'a', access_key_secret: 'b', ram_role_arn: 'acs:ram::1:role/x' },
  ],
};

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string; hint?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; message: string; hint?: string };
  }
  throw new Error('expected failure');
}

describe('alibabaCredentialSource', () => {
  it('serves the alibaba provider and lists every secret for redaction', () => {
    expect(alibabaCredentialSource.provider).toBe('alibaba');
    expect(alibabaCredentialSource.secretsOf({ accessKeyId: 'a', accessKeySecret: 's', securityToken: 't', source: 'x' })).toEqual(['s', 't']);
  });

  it('prefers explicit config, then the environment, then the CLI profile, then the ini file', async () => {
    await writeCliConfig(cliConfig);
    await writeIni('[default]\ntype = access_key\naccess_key_id = ini-ak\naccess_key_secret = ini-secret\n');
    const env = { ALIBABA_CLOUD_ACCESS_KEY_ID: 'env-ak', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'env-secret', ALIBABA_CLOUD_SECURITY_TOKEN: 'env-token' };
    const config = { accessKeyId: 'cfg-ak', accessKeySecret: 'cfg-secret' };
    expect(await alibabaCredentialSource.resolve(request({ providerConfig: config, env }))).toEqual({ accessKeyId: 'cfg-ak', accessKeySecret: 'cfg-secret', source: 'config providers.alibaba' });
    expect(await alibabaCredentialSource.resolve(request({ env }))).toEqual({ accessKeyId: 'env-ak', accessKeySecret: 'env-secret', securityToken: 'env-token', source: 'environment' });
    expect(await alibabaCredentialSource.resolve(request())).toMatchObject({ accessKeyId: 'cli-ak', accessKeySecret: 'cli-secret', source: '~/.aliyun/config.json profile "default"' });
    await rm(join(home, '.aliyun'), { recursive: true });
    expect(await alibabaCredentialSource.resolve(request())).toMatchObject({ accessKeyId: 'ini-ak', accessKeySecret: 'ini-secret', source: '~/.alibabacloud/credentials [default]' });
  });

  it('selects CLI profiles by request.profile, then ALIBABA_CLOUD_PROFILE, then "current"', async () => {
    await writeCliConfig({ ...cliConfig, current: 'emu' });
    expect(await alibabaCredentialSource.resolve(request())).toMatchObject({ accessKeyId: 'STS.cli', securityToken: 'sts-token' });
    expect(await alibabaCredentialSource.resolve(request({ env: { ALIBABA_CLOUD_PROFILE: 'default' } }))).toMatchObject({ accessKeyId: 'cli-ak' });
    expect(await alibabaCredentialSource.resolve(request({ profile: 'default', env: { ALIBABA_CLOUD_PROFILE: 'emu' } }))).toMatchObject({ accessKeyId: 'cli-ak' });
  });

  it('treats an empty ALIBABA_CLOUD_PROFILE as unset, as @alicloud/credentials does (`||`)', async () => {
    await writeCliConfig({ ...cliConfig, current: 'emu' });
    expect(await alibabaCredentialSource.resolve(request({ env: { ALIBABA_CLOUD_PROFILE: '' } }))).toMatchObject({ accessKeyId: 'STS.cli', securityToken: 'sts-token' });
    await rm(join(home, '.aliyun'), { recursive: true });
    await writeIni('[default]\ntype = access_key\naccess_key_id = ini-ak\naccess_key_secret = ini-secret\n');
    expect(await alibabaCredentialSource.resolve(request({ env: { ALIBABA_CLOUD_PROFILE: '' } }))).toMatchObject({ accessKeyId: 'ini-ak', source: '~/.alibabacloud/credentials [default]' });
  });

  it('a named profile is not overridden by environment keys', async () => {
    await writeCliConfig(cliConfig);
    const env = { ALIBABA_CLOUD_ACCESS_KEY_ID: 'env-ak', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'env-secret' };
    expect(await alibabaCredentialSource.resolve(request({ profile: 'emu', env }))).toMatchObject({ accessKeyId: 'STS.cli' });
  });

  it('stops at a selected CLI profile whose mode it cannot use, instead of switching identity', async () => {
    await writeCliConfig(cliConfig);
    await writeIni('[role]\naccess_key_id = ini-ak\naccess_key_secret = ini-secret\n');
    const error = await failure(alibabaCredentialSource.resolve(request({ profile: 'role' })));
    expect(error).toMatchObject({ code: 'Unauthenticated' });
    expect(error.message).toMatch(/RamRoleArn/);
    expect(error.hint).toMatch(/ALIBABA_CLOUD_CLI_PROFILE_DISABLED/);
    expect(await alibabaCredentialSource.resolve(request({ profile: 'role', env: { ALIBABA_CLOUD_CLI_PROFILE_DISABLED: 'true' } }))).toMatchObject({ accessKeyId: 'ini-ak' });
  });

  it('reads ini sections by profile, with sts tokens and quotes, from ALIBABA_CLOUD_CREDENTIALS_FILE too', async () => {
    await writeIni('# comment\n[default]\naccess_key_id = a\naccess_key_secret = b\n\n[temp]\ntype = sts\naccess_key_id = "STS.x"\naccess_key_secret = \'y\'\nsecurity_token = z-token\n');
    expect(await alibabaCredentialSource.resolve(request({ env: { ALIBABA_CLOUD_PROFILE: 'temp' } }))).toMatchObject({ accessKeyId: 'STS.x', accessKeySecret: 'y', securityToken: 'z-token' });
    await writeFile(join(home, 'custom.ini'), '[default]\naccess_key_id = custom\naccess_key_secret = custom-secret\n');
    expect(await alibabaCredentialSource.resolve(request({ env: { ALIBABA_CLOUD_CREDENTIALS_FILE: join(home, 'custom.ini') } }))).toMatchObject({ accessKeyId: 'custom' });
    await writeIni('[default]\ntype = ecs_ram_role\nrole_name = r\n');
    expect(await failure(alibabaCredentialSource.resolve(request()))).toMatchObject({ code: 'Unauthenticated', message: expect.stringMatching(/ecs_ram_role/) });
  });

  it('lists every place it looked when nothing is found, with no file contents', async () => {
    await writeCliConfig({ current: 'x', profiles: [] });
    const error = await failure(alibabaCredentialSource.resolve(request()));
    expect(error.code).toBe('Unauthenticated');
    expect(error.message).toContain('providers.alibaba');
    expect(error.message).toContain('ALIBABA_CLOUD_ACCESS_KEY_ID');
    expect(error.message).toContain('~/.aliyun/config.json profile "x" (no such profile)');
    expect(error.message).toContain('~/.alibabacloud/credentials (not found)');
  });

  it('a named profile no file holds is bad input naming the profiles that exist, not a missing login', async () => {
    await writeCliConfig(cliConfig);
    await writeIni('[ci]\naccess_key_id = a\naccess_key_secret = b\n');
    const error = (await failure(alibabaCredentialSource.resolve(request({ profile: 'prod' })))) as { code: string; issues?: unknown[] };
    expect(error).toMatchObject({
      code: 'InvalidInput',
      issues: [{ field: 'profile', message: 'no profile named "prod"', hint: 'profiles found: ci, default, emu, role' }],
    });
    // Selected by the environment instead, the same absence stays a credentials problem.
    expect(await failure(alibabaCredentialSource.resolve(request({ env: { ALIBABA_CLOUD_PROFILE: 'prod' } })))).toMatchObject({ code: 'Unauthenticated' });
  });

  it('rejects half-set and malformed credentials without echoing secrets', async () => {
    expect(await failure(alibabaCredentialSource.resolve(request({ env: { ALIBABA_CLOUD_ACCESS_KEY_ID: 'only-id' } })))).toMatchObject({
      code: 'Unauthenticated',
      message: expect.stringMatching(/ALIBABA_CLOUD_ACCESS_KEY_SECRET is empty/),
    });
    expect(await failure(alibabaCredentialSource.resolve(request({ providerConfig: { accessKeySecret: 'lonely-secret' } })))).toMatchObject({
      message: expect.stringMatching(/providers\.alibaba\.accessKeyId/),
    });
    const broken = await failure(alibabaCredentialSource.resolve(request({ env: { ALIBABA_CLOUD_ACCESS_KEY_ID: 'bad,id', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'secret-value-xyz' } })));
    expect(broken.code).toBe('Unauthenticated');
    expect(JSON.stringify(broken) + broken.message).not.toContain('secret-value-xyz');
    await writeCliConfig('{ not json "secret-in-file" ');
    const invalid = await failure(alibabaCredentialSource.resolve(request()));
    expect(invalid.message).toMatch(/not valid JSON/);
    expect(invalid.message).not.toContain('secret-in-file');
  });
});

describe('parseIni', () => {
  it('reads sections, keys, comments and quotes', () => {
    const ini = parseIni('; c\n[ a ]\nk = v = w\n  q = "quoted"  \n[b]\nx=1\n');
    expect(ini.get('a')?.get('k')).toBe('v = w');
    expect(ini.get('a')?.get('q')).toBe('quoted');
    expect(ini.get('b')?.get('x')).toBe('1');
  });
});
