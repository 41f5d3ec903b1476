import { defineEmulation, type DemoScenario, type ServiceEmulation } from '@cancelkit/core/emulation';
import { type DiscoveredPlugin, PluginRegistry } from '@cancelkit/core/loader';
import type { PluginManifest } from '@cancelkit/core/plugin';
import { describe, expect, it } from 'vitest';
import { collectDemo, demoCredential } from './scenario.js';

const unusedProtocol = {} as ServiceEmulation['protocol'];

function scenario(plugin: string, title: string): DemoScenario {
  return { title, plugin, seed: { status: 'Running' }, params: (op) => ({ jobId: op?.id }), expected: 'cancelled' };
}

function emulation(service: string, demo?: DemoScenario[]): ServiceEmulation {
  return defineEmulation({
    service,
    protocol: unusedProtocol,
    routes: [],
    fields: {},
    createOperation: (_fields, context) => ({ service, id: context.newId('op-'), status: 'Running' }),
    ...(demo ? { demo } : {}),
  });
}

function entry(id: string, loadEmulation: () => Promise<ServiceEmulation | undefined>, problem?: string): DiscoveredPlugin {
  const manifest = { id, service: id.split('.').slice(0, 2).join('.') } as PluginManifest;
  return {
    manifest,
    packageName: `pkg-${id}`,
    packageVersion: '1.0.0',
    packageDir: `/nowhere/${id}`,
    ...(problem !== undefined ? { problem } : {}),
    load: () => Promise.reject(new Error('not needed')),
    loadEmulation,
  };
}

describe('collectDemo', () => {
  it('collects scenarios from the first emulation of each service, noting missing plugins and broken emulations', async () => {
    const jobs = emulation('acme.jobs', [scenario('acme.jobs.job', 'a running job'), scenario('acme.jobs.batch', 'a batch nobody installed')]);
    const registry = new PluginRegistry([
      entry('acme.jobs.job', () => Promise.resolve(jobs)),
      // A second plugin of the same service: its emulation is not asked to play it again.
      entry('acme.jobs.other', () => Promise.resolve(emulation('acme.jobs', [scenario('acme.jobs.other', 'should not run')]))),
      entry('acme.disks.disk', () => Promise.reject(new Error('broken module'))),
      entry('acme.nets.net', () => Promise.resolve(undefined)),
      entry('acme.vms.vm', () => Promise.resolve(emulation('acme.vms', [scenario('acme.vms.vm', 'incompatible')])), 'needs another core'),
      entry('acme.dbs.db', () => Promise.resolve(emulation('acme.dbs'))),
    ]);
    const demo = await collectDemo(registry);
    expect(demo.steps.map((s) => [s.service, s.scenario.title])).toEqual([['acme.jobs', 'a running job']]);
    expect([...demo.emulations.keys()]).toEqual(['acme.jobs']);
    expect(demo.emulations.get('acme.jobs')).toBe(jobs);
    expect([...demo.missing]).toEqual(['acme.jobs.batch']);
    expect(demo.broken).toEqual([{ packageName: 'pkg-acme.disks.disk', message: 'broken module' }]);
  });

  it('finds nothing when no emulation carries scenarios', async () => {
    const demo = await collectDemo(new PluginRegistry([entry('acme.dbs.db', () => Promise.resolve(emulation('acme.dbs')))]));
    expect(demo.steps).toEqual([]);
    expect(demo.emulations.size).toBe(0);
  });
});

describe('demoCredential', () => {
  it('turns the emulator demo key into the credential shape protocols take', () => {
    expect(demoCredential({ accessKeyId: 'id', accessKeySecret: 'secret', projectId: 'project' })).toEqual({ accessKeyId: 'id', secret: 'secret', projectId: 'project' });
  });
});
