import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_CREDENTIALS, emulatorOptionsFromEnv } from './options.js';
import { startEmulator } from './server.js';
import { allFakeEmulations } from './test-support/fake-emulations.js';
import { rpc } from './test-support/http.js';
import { startFake, stopAll } from './test-support/start.js';

afterEach(stopAll);

describe('emulatorOptionsFromEnv', () => {
  it('is empty without CANCELKIT_EMULATOR_* variables', () => {
    expect(emulatorOptionsFromEnv({ PATH: '/bin' })).toEqual({});
  });

  it('reads every variable, overriding the demo credential field by field', () => {
    expect(
      emulatorOptionsFromEnv({
        CANCELKIT_EMULATOR_ACCESS_KEY_ID: 'env-ak',
        CANCELKIT_EMULATOR_ACCESS_KEY_SECRET: 'env-sk',
        CANCELKIT_EMULATOR_PROJECT_ID: 'env-project',
        CANCELKIT_EMULATOR_PORT: '0',
        CANCELKIT_EMULATOR_HOST: '127.0.0.1',
        CANCELKIT_EMULATOR_STATE: '/tmp/x.json',
      }),
    ).toEqual({
      credentials: [{ accessKeyId: 'env-ak', secret: 'env-sk', projectId: 'env-project' }],
      port: 0,
      host: '127.0.0.1',
      statePath: '/tmp/x.json',
    });
    expect(emulatorOptionsFromEnv({ CANCELKIT_EMULATOR_PROJECT_ID: 'p2' }).credentials).toEqual([
      { accessKeyId: DEMO_CREDENTIALS.accessKeyId, secret: DEMO_CREDENTIALS.accessKeySecret, projectId: 'p2' },
    ]);
  });

  it('names the variable for a bad port', () => {
    expect(() => emulatorOptionsFromEnv({ CANCELKIT_EMULATOR_PORT: '80a' })).toThrow(/CANCELKIT_EMULATOR_PORT: "80a" is not a port number/);
    expect(() => emulatorOptionsFromEnv({ CANCELKIT_EMULATOR_PORT: '70000' })).toThrow(expect.objectContaining({ code: 'InvalidInput' }));
  });

  it('drives startEmulator: the env key is accepted, the demo key no longer', async () => {
    const env = { CANCELKIT_EMULATOR_ACCESS_KEY_ID: 'env-ak', CANCELKIT_EMULATOR_ACCESS_KEY_SECRET: 'env-secret', CANCELKIT_EMULATOR_PORT: '0' };
    const emulator = await startFake(emulatorOptionsFromEnv(env));
    expect((await rpc(emulator.url, 'DescribeWidgets')).json.Code).toBe('InvalidAccessKeyId.NotFound');
    expect((await rpc(emulator.url, 'DescribeWidgets', {}, { accessKeyId: 'env-ak', secret: 'env-secret' })).status).toBe(200);
  });
});

describe('startEmulator options', () => {
  it('defaults to 127.0.0.1 and reports its URL', async () => {
    const emulator = await startFake();
    expect(emulator.host).toBe('127.0.0.1');
    expect(emulator.port).toBeGreaterThan(0);
    expect(emulator.url).toBe(`http://127.0.0.1:${emulator.port}`);
  });

  it('names every bad option and starts nothing', async () => {
    const error = await startEmulator({
      port: 99999,
      credentials: [{ accessKeyId: '', secret: 'x' }],
      emulations: [{ service: 'not-an-emulation' } as never],
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'InvalidInput' });
    expect((error as { issues: { field: string }[] }).issues.map((i) => i.field)).toEqual(['port', 'credentials.0.accessKeyId', 'emulations.0']);
    expect((error as Error).message).not.toContain('"x"');
  });

  it('refuses two emulations of one service', async () => {
    const [widgets] = allFakeEmulations;
    await expect(startEmulator({ port: 0, emulations: [widgets!, widgets!] })).rejects.toThrow(/Two emulations play the service "fake.widgets"/);
  });

  it('says which port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(startEmulator({ port, emulations: allFakeEmulations })).rejects.toThrow(`port ${port} on 127.0.0.1 is already in use`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
