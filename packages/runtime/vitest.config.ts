import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120000,
    hookTimeout: 120000,
    // Integration tests touch the host (cgroups, mounts, namespaces): one file at a time.
    fileParallelism: false,
  },
});
