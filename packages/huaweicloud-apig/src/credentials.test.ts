import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { huaweiCredentialSource, resolveProjectId } from './credentials.js';

let home: string;
beforeAll(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'cancelkit-hw-cred-'));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

const resolve = (providerConfig: Record<string, unknown>, env: Record<string, string> = {}, homeDir = '/nonexistent-home') =>
  huaweiCredentialSource.resolve({ providerConfig, env, homeDir });

describe('huaweiCredentialSource', () => {
  it('is the huaweicloud provider’s source', () => {
    expect(huaweiCredentialSource.provider).toBe('huaweicloud');
  });

  it('takes explicit config first', async () => {
    const creds = await resolve(
      { ak: 'CFGAK', sk: 'cfg-secret-key', projectId: 'p1', securityToken: 'sts-token' },
      { HUAWEICLOUD_SDK_AK: 'ENVAK', HUAWEICLOUD_SDK_SK: 'env-secret' },
    );
    expect(creds).toEqual({ ak: 'CFGAK', sk: 'cfg-secret-key', projectId: 'p1', securityToken: 'sts-token', source: 'config' });
    expect(huaweiCredentialSource.secretsOf(creds)).toEqual(['cfg-secret-key', 'sts-token']);
  });

  it('accepts an IAM token alone from config', async () => {
    const creds = await resolve({ authToken: 'MIIY-token-value', projectId: 'p1' });
    expect(creds).toEqual({ authToken: 'MIIY-token-value', projectId: 'p1', source: 'config' });
    expect(huaweiCredentialSource.secretsOf(creds)).toEqual(['MIIY-token-value']);
  });

  it('reads the official SDK environment variables', async () => {
    const creds = await resolve(
      {},
      {
        HUAWEICLOUD_SDK_AK: 'ENVAK',
        HUAWEICLOUD_SDK_SK: 'env-secret',
        HUAWEICLOUD_SDK_PROJECT_ID: 'env-project',
        HUAWEICLOUD_SDK_SECURITY_TOKEN: 'env-token',
      },
    );
    expect(creds).toEqual({ ak: 'ENVAK', sk: 'env-secret', projectId: 'env-project', securityToken: 'env-token', source: 'env' });
  });

  it('reads [basic] of ~/.huaweicloud/credentials under the given home, never the real one', async () => {
    await mkdir(path.join(home, '.huaweicloud'), { recursive: true });
    await writeFile(
      path.join(home, '.huaweicloud', 'credentials'),
      '# profile\n[global]\nak = GLOBALAK\nsk = global-secret\n\n[basic]\nak = FILEAK\nsk = file-secret\nproject_id = file-project\n',
    );
    const creds = await resolve({}, {}, home);
    expect(creds).toEqual({ ak: 'FILEAK', sk: 'file-secret', projectId: 'file-project', source: 'file ~/.huaweicloud/credentials' });
  });

  it('HUAWEICLOUD_SDK_CREDENTIALS_FILE points at another profile file', async () => {
    const file = path.join(home, 'other-credentials');
    await writeFile(file, '[basic]\nak=OTHERAK\nsk=other-secret\n');
    const creds = await resolve({}, { HUAWEICLOUD_SDK_CREDENTIALS_FILE: file }, '/nonexistent-home');
    expect(creds.ak).toBe('OTHERAK');
  });

  it('refuses half a key pair instead of falling through', async () => {
    await expect(resolve({ ak: 'CFGAK' })).rejects.toMatchObject({ code: 'Unauthenticated', message: expect.stringContaining('providers.huaweicloud.sk') });
    await expect(resolve({}, { HUAWEICLOUD_SDK_SK: 'env-secret' })).rejects.toMatchObject({
      code: 'Unauthenticated',
      message: expect.stringContaining('HUAWEICLOUD_SDK_AK is missing'),
    });
  });

  it('nothing configured: Unauthenticated listing every place it looked', async () => {
    const error = await resolve({}, {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'Unauthenticated' });
    const message = (error as Error).message;
    for (const place of ['providers.huaweicloud', 'HUAWEICLOUD_SDK_AK', 'HUAWEICLOUD_SDK_SK', '~/.huaweicloud/credentials']) {
      expect(message).toContain(place);
    }
  });

  it('rejects values that cannot be a header, naming the field but not the value', async () => {
    const error = await resolve({ ak: 'CFGAK', sk: 'secret\r\nX-Evil: 1' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'InvalidInput', issues: [{ field: 'providers.huaweicloud.sk' }] });
    expect(JSON.stringify(error)).not.toContain('X-Evil');
    await expect(resolve({ ak: 42, sk: 'x' })).rejects.toMatchObject({ code: 'InvalidInput' });
  });
});

describe('resolveProjectId', () => {
  const creds = { ak: 'A', sk: 'S', projectId: 'from-key', source: 'config' };
  it('prefers the per-region map, then the key’s project, then config projectId', () => {
    const config = { projectId: 'from-config', projectIds: { 'cn-north-4': 'north-project' } };
    expect(resolveProjectId(creds, config, 'cn-north-4')).toBe('north-project');
    expect(resolveProjectId(creds, config, 'ap-southeast-1')).toBe('from-key');
    expect(resolveProjectId({ ak: 'A', sk: 'S', source: 'env' }, config, 'ap-southeast-1')).toBe('from-config');
    expect(resolveProjectId({ ak: 'A', sk: 'S', source: 'env' }, {}, 'ap-southeast-1')).toBeUndefined();
  });
  it('does not read inherited properties as regions', () => {
    expect(resolveProjectId({ source: 'env' }, { projectIds: {} }, 'constructor')).toBeUndefined();
  });
});
