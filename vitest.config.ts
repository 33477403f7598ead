import { defineConfig } from 'vitest/config';

// Container tests share /run/tsrun and cgroups: run files one at a time.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'conformance/**/*.test.ts'],
    fileParallelism: false,
    setupFiles: ['test/helpers/yield-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
