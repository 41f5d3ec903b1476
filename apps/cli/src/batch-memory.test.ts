import { PerformanceObserver } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { boundBatchMemory } from './batch.js';

describe('boundBatchMemory', () => {
  it('runs a full collection once per 1,000 records', async () => {
    const majors: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        // kind 4 is NODE_PERFORMANCE_GC_MAJOR (mark-compact).
        if ((entry as unknown as { detail?: { kind?: number } }).detail?.kind === 4) majors.push(entry.startTime);
      }
    });
    observer.observe({ entryTypes: ['gc'] });
    try {
      const afterRecord = boundBatchMemory();
      for (let i = 0; i < 999; i++) afterRecord();
      await new Promise((resolve) => setTimeout(resolve, 20));
      const before = majors.length;
      afterRecord();
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(majors.length).toBeGreaterThan(before);
    } finally {
      observer.disconnect();
    }
  });
});
