import { defineConfig } from 'vitest/config';

/** Browser tests: the built site under `vite preview`, driven by playwright-core and Debian's Chromium. */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    globalSetup: ['test/e2e/global-setup.ts'],
    // One browser at a time: a 2-core machine running two would time both of them badly.
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
