import { defineConfig } from 'vitest/config';

// Reliability runs are real HTTP against a real emulator (and spawned CLIs and servers): give them room,
// growing with RELIABILITY_SCALE, instead of vitest's 5 s default.
const scale = Number(process.env.RELIABILITY_SCALE ?? '1') || 1;

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: Math.round(60_000 * Math.max(1, scale)),
    hookTimeout: 30_000,
    // Spawned processes and servers compete for two CI cores: one file at a time keeps timings honest.
    fileParallelism: false,
  },
});
