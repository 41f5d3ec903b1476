/**
 * The emulator in its own process (forked by `startEmulatorProcess`), so that the process being measured
 * and the orchestrator never share an event loop with the "cloud". It plays ECS only: every figure here
 * cancels ECS ImportImage tasks. Operations are seeded in-process (10,000 in a few ms) over IPC.
 */
import { startEmulator } from '@cancelkit/emulator';
import ecsEmulation from '@cancelkit/plugin-alibaba-ecs/emulation';
import { serveParent } from './proc.mjs';

const emulator = await startEmulator({ port: 0, emulations: [ecsEmulation] });

serveParent(
  {
    /** Creates `count` running ImportImage tasks with ids `${prefix}${i}` (i from 0). */
    seedEcs({ prefix, count }) {
      for (let i = 0; i < count; i++) {
        emulator.createOperation('alibaba.ecs', { taskId: `${prefix}${i}`, taskAction: 'ImportImage', taskStatus: 'Processing' });
      }
      return { created: count };
    },
    /** How many tasks with this id prefix are in each status. */
    ecsStatusCounts({ prefix }) {
      const counts = {};
      for (const op of emulator.listOperations('alibaba.ecs')) {
        if (!op.id.startsWith(prefix)) continue;
        counts[op.status] = (counts[op.status] ?? 0) + 1;
      }
      return counts;
    },
    /** The request log (last 10,000 calls) summarised: calls per action and status, and faults hit. */
    requestSummary() {
      const byAction = {};
      const faults = {};
      for (const entry of emulator.requests()) {
        const key = `${entry.action ?? entry.path} ${entry.status}`;
        byAction[key] = (byAction[key] ?? 0) + 1;
        if (entry.fault && entry.fault !== 'none') faults[entry.fault] = (faults[entry.fault] ?? 0) + 1;
      }
      return { byAction, faults };
    },
    setFaults(faults) {
      emulator.setFaults(faults);
      return emulator.currentFaults();
    },
    reset() {
      emulator.reset();
      return {};
    },
  },
  { url: emulator.url },
  () => emulator.stop(),
);
