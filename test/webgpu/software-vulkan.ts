// The WebGPU tests run on a software Vulkan: SwiftShader from Debian's chromium
// package (which CI installs for the end-to-end tests anyway). vitest.config.ts
// starts only the webgpu test project's processes with it (LD_LIBRARY_PATH must
// be in a process's environment when it starts: the dynamic linker reads it
// once); processes those tests spawn inherit it. Every other test process keeps
// finding no Vulkan, so its automatic backend choice does not pay for probing
// an adapter it would skip.

/** Whether this process was started with SwiftShader as its Vulkan driver. */
export function hasSoftwareVulkan(): boolean {
  return /swiftshader/i.test(process.env.VK_ICD_FILENAMES ?? '');
}
