import { defineConfig } from 'vitest/config';

// These tests spawn tsc, nx, npm pack and the CLI: on a loaded 2-core machine one step can take several
// seconds, so give each test room instead of vitest's 5 s default.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
