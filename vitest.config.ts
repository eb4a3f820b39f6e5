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
    // expect.poll waits for a condition; its default of 1 s is a timing assumption that a
    // loaded 2-core machine breaks (a UI click → WebSocket → SQLite round trip took longer).
    expect: { poll: { timeout: 60_000, interval: 50 } },
    reporters: ['default'],
    globalSetup: ['test/global-setup.ts'],
  },
});
