import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { send } from './test-support/http.js';
import { rpc } from './test-support/http.js';
import { startFake, stopAll } from './test-support/start.js';

afterEach(stopAll);

describe('lifecycle', () => {
  it('serves many calls over one keep-alive socket, and stop() closes it at once', async () => {
    const emulator = await startFake();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const sockets = new Set<unknown>();
      for (let i = 0; i < 5; i++) {
        const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
          const req = http.get(`${emulator.url}/_emulator/`, { agent }, resolve);
          req.on('socket', (s) => sockets.add(s));
          req.on('error', reject);
        });
        res.resume();
        await new Promise((resolve) => res.on('end', resolve));
      }
      expect(sockets.size).toBe(1);
      const socket = [...sockets][0] as import('node:net').Socket;
      const closed = new Promise((resolve) => socket.once('close', resolve));
      const started = performance.now();
      await emulator.stop();
      await closed;
      expect(performance.now() - started).toBeLessThan(1000);
      await emulator.stop(); // idempotent
      await expect(send(emulator.url, { path: '/_emulator/' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    } finally {
      agent.destroy();
    }
  });

  it('stops promptly while a call waits on injected latency', async () => {
    const emulator = await startFake();
    emulator.setFaults({ latencyMs: 30_000 });
    const pending = rpc(emulator.url, 'DescribeWidgets').then(
      () => 'answered',
      () => 'dropped',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    await emulator.stop();
    expect(await pending).toBe('dropped');
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
