import { DEMO_CREDENTIALS, EMULATOR_ENV, emulatorOptionsFromEnv } from '@cancelkit/emulator';
import { describe, expect, it } from 'vitest';
import { chooseCredential } from './emulator.js';

const choose = (flags: Parameters<typeof chooseCredential>[0], env: Record<string, string> = {}) =>
  chooseCredential(flags, env, emulatorOptionsFromEnv(env).credentials?.[0], DEMO_CREDENTIALS, EMULATOR_ENV);

describe('chooseCredential (cancelkit emulator credential flags)', () => {
  it('leaves the emulator default (the demo key) when nothing is given', () => {
    expect(choose({})).toEqual({ credential: undefined, sources: { accessKeyId: 'demo', secret: 'demo', projectId: 'demo' } });
  });

  it('lets each flag win over its variable, field by field, over the demo key', () => {
    const env = { CANCELKIT_EMULATOR_ACCESS_KEY_ID: 'env-ak', CANCELKIT_EMULATOR_ACCESS_KEY_SECRET: 'env-sk', CANCELKIT_EMULATOR_PROJECT_ID: 'env-p' };
    expect(choose({ accessKeyId: 'flag-ak' }, env)).toEqual({
      credential: { accessKeyId: 'flag-ak', secret: 'env-sk', projectId: 'env-p' },
      sources: { accessKeyId: 'flag', secret: 'env', projectId: 'env' },
    });
    expect(choose({ accessKeySecret: 'flag-sk', projectId: ' flag-p ' }, env).credential).toEqual({ accessKeyId: 'env-ak', secret: 'flag-sk', projectId: 'flag-p' });
    expect(choose({ projectId: 'p' }).credential).toEqual({ accessKeyId: DEMO_CREDENTIALS.accessKeyId, secret: DEMO_CREDENTIALS.accessKeySecret, projectId: 'p' });
  });

  it('treats blank variables as unset, as emulatorOptionsFromEnv does, and refuses blank flags', () => {
    expect(choose({ accessKeyId: 'a' }, { CANCELKIT_EMULATOR_ACCESS_KEY_SECRET: '', CANCELKIT_EMULATOR_PROJECT_ID: '  ' }).sources).toEqual({
      accessKeyId: 'flag',
      secret: 'demo',
      projectId: 'demo',
    });
    expect(() => choose({ accessKeyId: ' ' })).toThrow('--access-key-id needs a value');
    expect(() => choose({ accessKeySecret: '' })).toThrow(expect.objectContaining({ code: 'InvalidInput' }));
  });
});
