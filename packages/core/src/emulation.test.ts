import { describe, expect, it } from 'vitest';
import {
  defineEmulation,
  EmulatedError,
  type EmulationProtocol,
  type EmulatorCredential,
  emulatorClientSettings,
  type ServiceEmulation,
} from './emulation.js';

const KEY: EmulatorCredential = { accessKeyId: 'key-id', secret: 'key-secret', projectId: 'project-1' };

function protocol(name: string, provider: string, clientSettings?: EmulationProtocol['clientSettings']): EmulationProtocol {
  return {
    name,
    provider,
    identify: () => undefined,
    claims: () => false,
    authenticate: () => ({ ok: false, scheme: 'none', error: new EmulatedError(401, 'Denied', 'no') }),
    errorResponse: (error) => ({ status: error.status }),
    unknownApi: () => new EmulatedError(404, 'Unknown', 'no such api'),
    throttled: () => new EmulatedError(429, 'Throttled', 'slow down'),
    serverError: () => new EmulatedError(500, 'Server', 'oops'),
    newRequestId: () => 'req',
    responseHeaders: () => ({}),
    ...(clientSettings ? { clientSettings } : {}),
  };
}

function emulation(service: string, on: EmulationProtocol): ServiceEmulation {
  return defineEmulation({
    service,
    protocol: on,
    routes: [],
    fields: {},
    createOperation: (_fields, context) => ({ service, id: context.newId('op-'), status: 'Running' }),
  });
}

describe('emulatorClientSettings', () => {
  it('merges the settings of every distinct protocol, asking each protocol once', () => {
    let calls = 0;
    const rpc = protocol('acme-rpc', 'acme', (c) => {
      calls++;
      return { providers: { acme: { keyId: c.accessKeyId, keySecret: c.secret } }, env: { ACME_KEY_ID: c.accessKeyId } };
    });
    const rest = protocol('acme-rest', 'acme', () => ({ providers: { acme: { keyId: 'other', region: 'r1' } }, env: { ACME_KEY_ID: 'other', ACME_REGION: 'r1' } }));
    const other = protocol('other-rest', 'other', (c) => ({ providers: { other: { project: c.projectId } }, env: {} }));
    const settings = emulatorClientSettings([emulation('acme.a', rpc), emulation('acme.b', rpc), emulation('acme.c', rest), emulation('other.x', other)], KEY);
    expect(calls).toBe(1);
    expect(settings).toEqual({
      providers: { acme: { keyId: 'key-id', keySecret: 'key-secret', region: 'r1' }, other: { project: 'project-1' } },
      env: { ACME_KEY_ID: 'key-id', ACME_REGION: 'r1' },
    });
  });

  it('gives nothing for protocols without clientSettings, and nothing for no emulations', () => {
    expect(emulatorClientSettings([emulation('plain.x', protocol('plain', 'plain'))], KEY)).toEqual({ providers: {}, env: {} });
    expect(emulatorClientSettings([], KEY)).toEqual({ providers: {}, env: {} });
  });
});

describe('defineEmulation', () => {
  it('keeps demo scenarios, whose params address the seeded operation', () => {
    const defined = defineEmulation({
      service: 'acme.jobs',
      protocol: protocol('acme-rest', 'acme'),
      routes: [],
      fields: {},
      createOperation: (_fields, context) => ({ service: 'acme.jobs', id: context.newId('job-'), status: 'Running' }),
      demo: [{ title: 'a running job', plugin: 'acme.jobs.job', seed: { status: 'Running' }, params: (op) => ({ jobId: op?.id }), expected: 'cancelled' }],
    });
    expect(defined.$$type).toBe('cancelkit.emulation');
    expect(defined.demo?.[0]?.params({ service: 'acme.jobs', id: 'job-1', status: 'Running' })).toEqual({ jobId: 'job-1' });
  });
});
