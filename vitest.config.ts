import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';
import { watVitePlugin } from './scripts/wat.mjs';

/** SwiftShader's Vulkan, from Debian's chromium package, for the webgpu tests (test/webgpu/software-vulkan.ts). */
function softwareVulkanEnv(): Record<string, string> {
  const dir = '/usr/lib/chromium';
  if (!existsSync(`${dir}/vk_swiftshader_icd.json`) || !existsSync(`${dir}/libvulkan.so.1`)) return {};
  const ld = process.env.LD_LIBRARY_PATH;
  return { LD_LIBRARY_PATH: ld ? `${dir}:${ld}` : dir, VK_ICD_FILENAMES: `${dir}/vk_swiftshader_icd.json` };
}

// Tests run in plain Node against the real parts (SQLite, worker processes,
// Chromium, the real Fashion-MNIST files). The engine is CPU-bound on 2 cores in
// CI, so files run one at a time to keep timings and memory predictable.
// test/webgpu runs as its own project whose processes start with a software
// Vulkan (SwiftShader, see test/webgpu/software-vulkan.ts); the rest never see it.
export default defineConfig({
  // The wasm backend's SIMD kernels are WebAssembly text, compiled on import (scripts/wat.mjs).
  plugins: [watVitePlugin()],
  test: {
    environment: 'node',
    // A hang guard, not a speed target: tests wait for conditions, and a train → cancel →
    // resume → complete cycle that takes 50 s alone took over 120 s at load average 25.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    fileParallelism: false,
    // expect.poll waits for a condition; its default of 1 s is a timing assumption that a
    // loaded 2-core machine breaks (a UI click → WebSocket → SQLite round trip took longer).
    expect: { poll: { timeout: 60_000, interval: 50 } },
    // The failures again, one line each, at the very end of the log (test/reporters/failure-summary.ts).
    reporters: ['default', './test/reporters/failure-summary.ts'],
    globalSetup: ['test/global-setup.ts'],
    projects: [
      { extends: true, test: { name: 'main', include: ['test/**/*.test.ts'], exclude: ['test/webgpu/**'] } },
      {
        extends: true,
        test: {
          name: 'webgpu',
          include: ['test/webgpu/**/*.test.ts'],
          // Software Vulkan runs shaders on the CPU: minutes where wasm takes seconds.
          testTimeout: 600_000,
          env: softwareVulkanEnv(),
        },
      },
    ],
  },
});
