import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NONCE_WINDOW_MS } from './nonce-cache.js';
import { DEMO_CREDENTIALS } from './options.js';
import { startEmulator } from './server.js';
import { StatePersister } from './store.js';
import type { EmulatedOperation } from '@cancelkit/core/emulation';
import { allFakeEmulations } from './test-support/fake-emulations.js';
import { fakeAuthorization } from './test-support/fake-protocols.js';
import { adminJson, rpc, send } from './test-support/http.js';
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

  it('keeps used nonces across a restart: a request captured before it is refused after it and changes nothing', async () => {
    const statePath = path.join(dir, 'state.json');
    const NOW = Date.parse('2026-11-23T12:00:00Z');
    let now = NOW;
    const first = await startFake({ statePath, now: () => now });
    first.createOperation('fake.widgets', { widgetId: 'w-1' });
    // The captured request: exact target, headers and (empty) body, signed once with the demo key.
    const target = `/?${new URLSearchParams({ Action: 'CancelWidget', Version: '2020-01-01', WidgetId: 'w-1' })}`;
    const authorization = fakeAuthorization({
      method: 'POST',
      rawPath: '/',
      rawQuery: target.slice(2),
      body: '',
      accessKeyId: DEMO_CREDENTIALS.accessKeyId,
      secret: DEMO_CREDENTIALS.accessKeySecret,
      nonce: 'n-captured',
      date: NOW,
    });
    const captured = { method: 'POST', path: target, headers: { authorization } };
    expect((await send(first.url, captured)).status).toBe(200);
    expect(first.listOperations('fake.widgets')[0]?.status).toBe('Cancelled');
    await first.stop();
    const saved = JSON.parse(readFileSync(statePath, 'utf8'));
    expect(saved.nonces).toEqual([['n-captured', NOW + NONCE_WINDOW_MS]]);

    now = NOW + 5 * 60 * 1000; // well inside the 15-minute timestamp window
    const second = await startFake({ statePath, now: () => now });
    second.createOperation('fake.widgets', { widgetId: 'w-1' }); // Running again: a replay would cancel it
    const replay = await send(second.url, captured);
    expect([replay.status, replay.json.Code]).toEqual([400, 'SignatureNonceUsed']);
    expect(second.listOperations('fake.widgets')[0]?.status).toBe('Running');
    expect(second.requests().at(-1)).toMatchObject({ action: 'CancelWidget', status: 400, signature: { ok: false, code: 'SignatureNonceUsed' } });
    // The same call freshly signed goes through: only the reuse was refused.
    expect((await rpc(second.url, 'CancelWidget', { WidgetId: 'w-1' }, { date: now })).status).toBe(200);
    await second.stop();
    expect(JSON.parse(readFileSync(statePath, 'utf8')).nonces.map(([n]: [string]) => n)).toContain('n-captured');

    now += NONCE_WINDOW_MS + 1; // every saved nonce has expired
    const third = await startFake({ statePath, now: () => now });
    await third.stop();
    expect(JSON.parse(readFileSync(statePath, 'utf8')).nonces).toEqual([]);
    expect(third.listOperations('fake.widgets')[0]?.status).toBe('Cancelled');
  });

  it('reads state files without nonces, and drops expired or malformed saved nonces on load', async () => {
    const statePath = path.join(dir, 'state.json');
    const NOW = Date.parse('2026-11-23T12:00:00Z');
    const operation = { service: 'fake.widgets', id: 'w-1', status: 'Running' };
    writeFileSync(statePath, JSON.stringify({ format: 'cancelkit-emulator-state', version: 1, savedAt: '', operations: [operation] }));
    const old = await startFake({ statePath, now: () => NOW });
    expect(old.listOperations()).toEqual([operation]);
    await old.stop();

    const nonces = [['expired', NOW - 1], ['live', NOW + 60_000], [42, NOW + 60_000], ['bad-expiry', 'soon']];
    writeFileSync(statePath, JSON.stringify({ format: 'cancelkit-emulator-state', version: 1, savedAt: '', operations: [operation], nonces }));
    const emulator = await startFake({ statePath, now: () => NOW });
    const live = await rpc(emulator.url, 'DescribeWidgets', {}, { nonce: 'live', date: NOW });
    expect(live.json.Code).toBe('SignatureNonceUsed');
    expect((await rpc(emulator.url, 'DescribeWidgets', {}, { nonce: 'expired', date: NOW })).status).toBe(200);
    await emulator.stop();
    expect(JSON.parse(readFileSync(statePath, 'utf8')).nonces).toEqual([
      ['live', NOW + 60_000],
      ['expired', NOW + NONCE_WINDOW_MS],
    ]);
  });

  it('leaves the state file alone when the start fails on a port in use, even with expired nonces to drop', async () => {
    const statePath = path.join(dir, 'state.json');
    const NOW = Date.parse('2026-11-23T12:00:00Z');
    // What a running emulator wrote: an operation, and a nonce that has expired since.
    const text = JSON.stringify({
      format: 'cancelkit-emulator-state',
      version: 1,
      savedAt: '',
      operations: [{ service: 'fake.widgets', id: 'w-1', status: 'Running' }],
      nonces: [['old', NOW - 1]],
    });
    writeFileSync(statePath, text);
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as net.AddressInfo).port;
      await expect(startEmulator({ port, emulations: allFakeEmulations, statePath, now: () => NOW })).rejects.toMatchObject({
        code: 'InvalidInput',
        issues: [expect.objectContaining({ field: 'port' })],
      });
      // Nothing started, so nothing is written: not even a second later (the nonce write's delay).
      await new Promise((resolve) => setTimeout(resolve, 1300));
      expect(readFileSync(statePath, 'utf8')).toBe(text);
      expect(readdirSync(dir)).toEqual(['state.json']);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
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

describe('StatePersister when a write fails', () => {
  const snapshot = (operations: EmulatedOperation[]) => () => ({ operations, nonces: [] as [string, number][] });

  it('keeps the change and retries on its own until the file can be written', async () => {
    const statePath = path.join(dir, 'state.json');
    // A non-empty directory where the file should be: the rename over it fails until it is removed.
    mkdirSync(path.join(statePath, 'blocker'), { recursive: true });
    const errors: string[] = [];
    const persister = new StatePersister(statePath, snapshot([{ service: 'fake.jobs', id: 'j-1', status: 'Running' }]), Date.now, 5, (e) => errors.push(e.message), 50);
    persister.markDirty();
    await expect.poll(() => errors.length).toBeGreaterThan(1); // tried again on its own, and failed again
    rmSync(statePath, { recursive: true });
    // No new change is marked: the failed write alone brings the retry.
    await expect
      .poll(() => {
        try {
          return JSON.parse(readFileSync(statePath, 'utf8')).operations.map((o: EmulatedOperation) => o.id);
        } catch {
          return [];
        }
      })
      .toEqual(['j-1']);
    await persister.flush();
    expect(persister.lastError).toBeUndefined();
    expect(readdirSync(dir)).toEqual(['state.json']); // no temporary file left behind
  });

  it('a flush (as stop() does) while the file cannot be written rejects with the cause instead of returning as if saved', async () => {
    const statePath = path.join(dir, 'state.json');
    mkdirSync(path.join(statePath, 'blocker'), { recursive: true });
    const persister = new StatePersister(statePath, snapshot([{ service: 'fake.jobs', id: 'j-1', status: 'Running' }]), Date.now, 5, () => undefined, 50);
    persister.markDirty(60_000);
    await expect(persister.flush()).rejects.toThrow(/EISDIR|ENOTEMPTY|EEXIST|directory/i);
  });

  it('reports an operation that cannot be serialised as a failed write, not an unhandled rejection', async () => {
    const statePath = path.join(dir, 'state.json');
    const errors: string[] = [];
    const persister = new StatePersister(statePath, snapshot([{ service: 'fake.jobs', id: 'j-1', status: 'Running', size: 10n }]), Date.now, 5, (e) => errors.push(e.message), 60_000);
    persister.markDirty();
    await expect.poll(() => errors.length).toBe(1);
    expect(errors[0]).toMatch(/BigInt/);
    await expect(persister.flush()).rejects.toThrow(/BigInt/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
