// The webgpu rung as a user meets it, on a software adapter (SwiftShader): auto
// selection skips it and says why, forcing it takes it and says it is software,
// the device comes from the adapter, Dawn's options are honoured, and a missing
// Vulkan loader or a wrong adapter name is reported with what to do.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/engine/backend/select-backend';
import { describeAdapter, isSoftwareAdapter, probeWebGpu, vulkanLoaderMissing } from '../../src-main/engine/backend/webgpu';
import { hasSoftwareVulkan } from './software-vulkan';

describe.skipIf(!hasSoftwareVulkan())('webgpu backend selection on a software adapter', () => {
  it('auto skips the software adapter, says why, and lists webgpu as usable', async () => {
    const selection = await initBackend('auto');
    expect(selection.backend).toBe('wasm');
    const webgpu = selection.tried.find((t) => t.name === 'webgpu');
    expect(webgpu).toEqual({ name: 'webgpu', available: true, detail: expect.stringMatching(/^software adapter SwiftShader.*auto skips it \(force with --backend webgpu\)/) });
    expect(selection.notes).toEqual([expect.stringMatching(/^webgpu: skipped the software adapter SwiftShader.*--backend webgpu uses it anyway/)]);
    expect(selection.tried.map((t) => t.name).indexOf('webgpu')).toBeLessThan(selection.tried.map((t) => t.name).indexOf('wasm'));
  });

  it('--backend webgpu takes it, names the adapter, marks it software and computes on it', async () => {
    const selection = await initBackend('webgpu');
    expect(selection).toMatchObject({ backend: 'webgpu', device: expect.stringMatching(/^SwiftShader driver [\d.]+ \(google swiftshader\), software$/), threads: 1 });
    expect(selection.notes).toEqual([expect.stringContaining('running on the software adapter SwiftShader')]);
    expect(tf.getBackend()).toBe('webgpu');
    const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
    expect(Array.from(await y.data())).toEqual([11]);
    y.dispose();
  });

  it('a wrong adapter name fails with the adapters Dawn can see', async () => {
    const probe = await probeWebGpu({ adapter: 'No Such GPU' });
    expect(probe).toEqual({ failure: expect.stringMatching(/Available adapters:.*SwiftShader/) });
  });

  it("Dawn's backend option is honoured: vulkan finds SwiftShader, Dawn's null backend its placeholder adapter", async () => {
    expect(await probeWebGpu({ backend: 'vulkan' })).toEqual({ adapter: { device: expect.stringContaining('SwiftShader'), software: true } });
    expect(await probeWebGpu({ backend: 'null' })).toEqual({ adapter: { device: 'null-backend', software: false } });
  });
});

describe('webgpu adapter facts', () => {
  it('tells software adapters from GPUs', () => {
    expect(isSoftwareAdapter({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0', isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'mesa', architecture: 'software', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100 80GB HBM3', isFallbackAdapter: false })).toBe(false);
    expect(describeAdapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100 80GB HBM3' })).toBe('NVIDIA H100 80GB HBM3 (nvidia hopper)');
  });

  it('names the missing Vulkan loader and the package to install', () => {
    if (process.platform !== 'linux') return;
    // LD_LIBRARY_PATH pointing at chromium's copy makes it present; a system-wide libvulkan1 too.
    expect(vulkanLoaderMissing({ LD_LIBRARY_PATH: '/usr/lib/chromium' })).toBeNull();
    const systemWide = vulkanLoaderMissing({}) === null;
    if (!systemWide) expect(vulkanLoaderMissing({})).toMatch(/libvulkan\.so\.1.*install libvulkan1/);
  });
});
