import { defineConfig } from 'vitest/config';

// Tests run in plain Node against the real parts (SQLite, worker processes,
// Chromium, the real Fashion-MNIST files). The engine is CPU-bound on 2 cores in
// CI, so files run one at a time to keep timings and memory predictable.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    reporters: ['default'],
    globalSetup: ['test/global-setup.ts'],
  },
});
