import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'workers/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    setupFiles: ['test/setup.ts'],
    // Embedding tests load real ONNX models; a 2-core machine needs room.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
