import { defineConfig } from 'vitest/config';

// End-to-end tests spawn the built CLI; on a busy 2-core CI machine one process can take a few seconds.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
