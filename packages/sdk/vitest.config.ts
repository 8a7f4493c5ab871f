import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120000,
    hookTimeout: 120000,
    // Each file starts its own engine daemon with real containers: one file at a time.
    fileParallelism: false,
  },
});
