import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['runtime/**/*.test.ts', 'test/**/*.test.ts', 'electron/**/*.test.ts', 'build/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores on CI: keep parallelism modest so timing-insensitive tests stay that way.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
