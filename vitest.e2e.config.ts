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
    // expect.poll's default second is short for a page whose worker shares two loaded cores with the test runner:
    // CI failed twice on polls that pass given a few seconds. A poll only waits this long when it fails.
    expect: { poll: { timeout: 15_000 } },
  },
});
