import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from './server.js';
import { allFakeEmulations } from './test-support/fake-emulations.js';
import { adminJson, rpc } from './test-support/http.js';
import { startFake, stopAll } from './test-support/start.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cancelkit-emulator-state-'));
});
afterEach(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('state persistence (statePath)', () => {
  it('keeps operations and their changed state across a restart', async () => {
    const statePath = path.join(dir, 'nested', 'state.json');
    const first = await startFake({ statePath });
    first.createOperation('fake.widgets', { widgetId: 'w-1' });
    first.createOperation('fake.widgets', { widgetId: 'w-2' });
    first.createOperation('fake.fsm', { fsmId: 'f@1', instanceId: 'i-1' });
    // CancelWidget changes the operation in place (no store.put): it must be persisted anyway.
    expect((await rpc(first.url, 'CancelWidget', { WidgetId: 'w-1' })).status).toBe(200);
    await first.stop();

    const saved = JSON.parse(readFileSync(statePath, 'utf8'));
    expect(saved.format).toBe('cancelkit-emulator-state');
    expect(readdirSync(path.dirname(statePath))).toEqual(['state.json']);

    const second = await startFake({ statePath });
    expect(second.listOperations().map((op) => [op.service, op.id, op.status])).toEqual([
      ['fake.widgets', 'w-1', 'Cancelled'],
      ['fake.widgets', 'w-2', 'Running'],
      ['fake.fsm', 'f@1', 'running'],
    ]);
    const again = await rpc(second.url, 'CancelWidget', { WidgetId: 'w-1' });
    expect(again.json.Code).toBe('IncorrectWidgetStatus');
    await adminJson(second.url, 'POST', '/_emulator/reset');
    await second.stop();

    const third = await startFake({ statePath });
    expect(third.listOperations()).toEqual([]);
  });

  it('writes debounced changes while running', async () => {
    const statePath = path.join(dir, 'state.json');
    const emulator = await startFake({ statePath });
    emulator.createOperation('fake.jobs', { jobId: 'j-1' });
    await expect.poll(() => {
      try {
        return JSON.parse(readFileSync(statePath, 'utf8')).operations.length;
      } catch {
        return 0;
      }
    }).toBe(1);
  });

  it('refuses a state file it cannot read instead of wiping it', async () => {
    const statePath = path.join(dir, 'state.json');
    writeFileSync(statePath, '{"not": "ours"}');
    await expect(startEmulator({ port: 0, emulations: allFakeEmulations, statePath })).rejects.toMatchObject({
      code: 'InvalidInput',
      issues: [expect.objectContaining({ field: 'statePath' })],
    });
    writeFileSync(statePath, '{broken');
    await expect(startEmulator({ port: 0, emulations: allFakeEmulations, statePath })).rejects.toThrow(/statePath: .* is not JSON/);
    expect(readFileSync(statePath, 'utf8')).toBe('{broken');
  });

  it('keeps state in memory only by default', async () => {
    const first = await startFake();
    first.createOperation('fake.widgets');
    await first.stop();
    const second = await startFake();
    expect(second.listOperations()).toEqual([]);
  });
});
