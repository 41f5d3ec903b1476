import { defineConfig } from 'vitest/config';

// Runs only the broken-plugin fixture (which the package's own test run must not pick up: it fails on
// purpose). Used by describe.test.ts with the package directory as the working directory.
export default defineConfig({
  test: {
    include: ['src/test-support/*.fixture.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
