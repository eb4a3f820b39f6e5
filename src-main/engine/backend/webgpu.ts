// The 'webgpu' rung: TensorFlow.js on a GPU through WebGPU, which Dawn's Node
// bindings (npm `webgpu`, a prebuilt dawn.node) provide on top of Vulkan (Linux,
// Windows), Metal (macOS) or D3D12 (Windows) — no CUDA install needed.
//
// Order matters (research/webgpu-and-threads.md): tfjs-backend-webgpu registers
// itself at import time only when `navigator.gpu` already exists, so Dawn is
// created and installed as navigator.gpu first. A software adapter (SwiftShader,
// Mesa's lavapipe/llvmpipe) runs the same shaders on the CPU, 40–240× slower
// than wasm: selection only takes one when asked to (see select-backend.ts).
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { DAWN_BACKENDS, WEBGPU_SUBMIT_BATCH, type WebGpuOptions } from '../../shared/run-config';
import { setUpWebGpuKernels } from './webgpu-kernels/index';

export type { WebGpuOptions };

export interface WebGpuAdapter {
  /** What the run records as its device: the adapter's name and vendor/architecture. */
  device: string;
  /** A CPU implementation of the GPU API (SwiftShader, lavapipe, llvmpipe). */
  software: boolean;
}

interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

const SOFTWARE_NAMES = /swiftshader|llvmpipe|lavapipe|softpipe|software|warp|microsoft basic render/i;

/** Whether an adapter is a CPU rendition of the GPU API; Dawn marks SwiftShader as a fallback adapter, Mesa says 'software'/'llvmpipe'. */
export function isSoftwareAdapter(info: AdapterInfoLike): boolean {
  if (info.isFallbackAdapter) return true;
  return [info.vendor, info.architecture, info.device, info.description].some((text) => typeof text === 'string' && SOFTWARE_NAMES.test(text));
}

/** "SwiftShader driver 5.0.0 (google swiftshader)": the name a user recognises, then vendor and architecture. */
export function describeAdapter(info: AdapterInfoLike): string {
  const name = info.description?.trim() || info.device?.trim() || 'unnamed WebGPU adapter';
  const kind = [info.vendor, info.architecture].map((s) => s?.trim()).filter(Boolean).join(' ');
  return kind && !name.toLowerCase().includes(kind.toLowerCase()) ? `${name} (${kind})` : name;
}

/**
 * Options from the environment (KERV_WEBGPU_ADAPTER, KERV_WEBGPU_BACKEND,
 * KERV_WEBGPU_SPEED_TOGGLES=1, KERV_WEBGPU_SUBMIT_BATCH) under those given explicitly.
 */
export function webGpuOptionsFrom(given: WebGpuOptions = {}, env: NodeJS.ProcessEnv = process.env): WebGpuOptions {
  const adapter = given.adapter ?? (env.KERV_WEBGPU_ADAPTER || undefined);
  const backend = given.backend ?? (env.KERV_WEBGPU_BACKEND || undefined);
  if (backend !== undefined && !(DAWN_BACKENDS as readonly string[]).includes(backend)) {
    throw new Error(`WebGPU backend (KERV_WEBGPU_BACKEND / --webgpu-backend) must be one of ${DAWN_BACKENDS.join(', ')}, got ${JSON.stringify(backend)}`);
  }
  const speedToggles = given.speedToggles ?? (env.KERV_WEBGPU_SPEED_TOGGLES === '1' ? true : undefined);
  const batchText = env.KERV_WEBGPU_SUBMIT_BATCH;
  const submitBatchSize = given.submitBatchSize ?? (batchText ? Number(batchText) : undefined);
  if (submitBatchSize !== undefined && !(Number.isInteger(submitBatchSize) && submitBatchSize >= WEBGPU_SUBMIT_BATCH.min && submitBatchSize <= WEBGPU_SUBMIT_BATCH.max)) {
    throw new Error(`WebGPU submit batch (KERV_WEBGPU_SUBMIT_BATCH / --webgpu-submit-batch) must be an integer from ${WEBGPU_SUBMIT_BATCH.min} to ${WEBGPU_SUBMIT_BATCH.max}, got ${JSON.stringify(batchText ?? submitBatchSize)}`);
  }
  return {
    ...(adapter ? { adapter } : {}),
    ...(backend ? { backend } : {}),
    ...(given.profiling ? { profiling: true } : {}),
    ...(speedToggles ? { speedToggles: true } : {}),
    ...(submitBatchSize !== undefined ? { submitBatchSize } : {}),
    ...(given.uniformCache === false ? { uniformCache: false } : {}),
    ...(given.tfjsGemm ? { tfjsGemm: given.tfjsGemm } : {}),
  };
}

/**
 * On Linux Dawn reaches the GPU through the Vulkan loader (libvulkan.so.1). Without
 * one it prints a warning and finds no adapter; saying so up front gives the user
 * the fix and keeps the warning out of every run's output.
 */
export function vulkanLoaderMissing(env: NodeJS.ProcessEnv = process.env): string | null {
  if (process.platform !== 'linux') return null;
  const dirs = (env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  if (dirs.some((dir) => existsSync(join(dir, 'libvulkan.so.1')))) return null;
  try {
    // The dynamic linker's cache lists every library it finds by name.
    if (readFileSync('/etc/ld.so.cache').includes('libvulkan.so.1')) return null;
  } catch {
    // no cache (unusual): look in the usual places below
  }
  const usual = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu'];
  if (usual.some((dir) => existsSync(join(dir, 'libvulkan.so.1')))) return null;
  return 'no Vulkan loader (libvulkan.so.1) found: install libvulkan1 and your GPU driver\'s Vulkan support';
}

type Dawn = { create(options: string[]): GPU; globals: Record<string, unknown> };

function dawnFlags(options: WebGpuOptions): string[] {
  const flags: string[] = [];
  if (options.backend) flags.push(`backend=${options.backend}`);
  if (options.adapter) flags.push(`adapter=${options.adapter}`);
  const enable: string[] = [];
  const disable: string[] = [];
  // Exact timestamps: without disabling the quantisation, Dawn rounds every one to 65,536 ns.
  if (options.profiling) {
    enable.push('allow_unsafe_apis');
    disable.push('timestamp_quantization');
  }
  // ONNX Runtime's WebGPU provider runs with these (research/webgpu-kernels.md).
  if (options.speedToggles) {
    enable.push('skip_validation', 'disable_robustness', 'disable_workgroup_init');
    disable.push('lazy_clear_resource_on_first_use');
  }
  if (enable.length > 0) flags.push(`enable-dawn-features=${enable.join(',')}`);
  if (disable.length > 0) flags.push(`disable-dawn-features=${disable.join(',')}`);
  return flags;
}

let gpu: GPU | null = null;
let gpuFlags = '';

/**
 * Finds the adapter Dawn would use, without starting a tfjs backend on it.
 * Returns the adapter or the reason there is none.
 */
export async function probeWebGpu(options: WebGpuOptions): Promise<{ adapter: WebGpuAdapter } | { failure: string }> {
  const flags = dawnFlags(options);
  if (!options.backend || options.backend === 'vulkan') {
    const missing = vulkanLoaderMissing();
    if (missing) return { failure: missing };
  }
  try {
    if (!gpu || gpuFlags !== flags.join('\n')) {
      const dawn = (await import('webgpu')) as unknown as Dawn;
      Object.assign(globalThis, dawn.globals);
      gpu = dawn.create(flags);
      gpuFlags = flags.join('\n');
    }
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return { failure: `no WebGPU adapter found${flags.length ? ` with ${flags.join(', ')}` : ''} (no GPU, or no Vulkan/Metal/D3D12 driver for it)` };
    const info = adapter.info as unknown as AdapterInfoLike;
    return { adapter: { device: describeAdapter(info), software: isSoftwareAdapter(info) } };
  } catch (error) {
    // A wrong adapter name lands here, with Dawn's list of the available adapters.
    return { failure: (error as Error).message.trim().replace(/\s*\n\s*/g, '; ') };
  }
}

/**
 * navigator.gpu = Dawn. Node 20 has no navigator; Node 21+ (Electron's utility
 * process) has one without gpu, which takes the property like any object.
 */
function installNavigatorGpu(dawnGpu: GPU): void {
  const holder = globalThis as { navigator?: { gpu?: GPU } };
  if (holder.navigator) {
    try {
      Object.defineProperty(holder.navigator, 'gpu', { value: dawnGpu, configurable: true, writable: true });
    } catch {
      // a non-extensible navigator: replaced below
    }
    if (holder.navigator.gpu === dawnGpu) return;
  }
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: dawnGpu }, configurable: true, writable: true });
}

/** Starts tfjs's webgpu backend on the adapter probeWebGpu found, with this project's kernels. Returns the failure, or null. */
export async function startWebGpuBackend(options: WebGpuOptions = {}): Promise<string | null> {
  if (!gpu) return 'WebGPU was not probed';
  installNavigatorGpu(gpu);
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!tf.findBackendFactory('webgpu')) return 'tfjs-backend-webgpu did not register (navigator.gpu missing when it loaded)';
  try {
    if (!(await tf.setBackend('webgpu'))) return 'webgpu backend failed to initialise';
  } catch (error) {
    return (error as Error).message;
  }
  setUpWebGpuKernels(
    {
      ...(options.submitBatchSize !== undefined ? { submitBatchSize: options.submitBatchSize } : {}),
      ...(options.uniformCache === false ? { cacheUniforms: false } : {}),
    },
    options.tfjsGemm,
  );
  watchDevice();
  return null;
}

// ---- what the GPU reports while a run trains ----

interface WebGpuBackendLike {
  device: GPUDevice;
  numBytesInGPU?: number;
}

/** The first uncaptured GPU error or device loss: the run cannot go on correctly after one. */
let fault: (Error & { outOfMemory?: boolean }) | null = null;
let rejectFault: (error: Error) => void = () => undefined;
const faultPromise = new Promise<never>((_, reject) => {
  rejectFault = reject;
});
faultPromise.catch(() => undefined); // observed through gpuFaultPromise(), never unhandled

function recordFault(error: Error & { outOfMemory?: boolean }): void {
  if (fault) return;
  fault = error;
  rejectFault(error);
}

function watchDevice(): void {
  const device = (tf.backend() as unknown as WebGpuBackendLike).device;
  device.addEventListener('uncapturederror', (event) => {
    const error = (event as GPUUncapturedErrorEvent).error;
    const outOfMemory = typeof GPUOutOfMemoryError !== 'undefined' && error instanceof GPUOutOfMemoryError;
    recordFault(Object.assign(new Error(`${outOfMemory ? 'GPU out of memory' : 'GPU error'}: ${error.message}`), { outOfMemory }));
  });
  void device.lost.then((info) => {
    if (info.reason !== 'destroyed') recordFault(new Error(`GPU device lost: ${info.message || info.reason}`));
  });
}

/** The GPU error that ended correct computation, if one happened. */
export function gpuFault(): (Error & { outOfMemory?: boolean }) | null {
  return fault;
}

/** Rejects on the first GPU error: race it against anything that waits on the GPU, so a fault never hangs a run. */
export function gpuFaultPromise(): Promise<never> {
  return faultPromise;
}

/** GPU memory tfjs holds (its tensors plus its pool of free buffers), in MiB; null off webgpu. */
export function gpuMemoryMb(): number | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const memory = tf.memory() as tf.MemoryInfo & { numBytesAllocatedInGPU?: number; numBytesInGPU?: number };
  const bytes = memory.numBytesAllocatedInGPU ?? memory.numBytesInGPU;
  return typeof bytes === 'number' ? bytes / 2 ** 20 : null;
}
