// Backend selection as a user meets it: the forced backend is used or the run
// fails with the reason, and a bad KERV_BACKEND is named, never silently ignored.
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { describeEnvironment, initBackend } from '../../../../src-main/engine/backend/select-backend';
import { probeWebGpu, vulkanLoaderMissing } from '../../../../src-main/engine/backend/webgpu';

const require = createRequire(import.meta.url);
const tfjsNodeInstalled = (() => {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
})();

describe('initBackend', () => {
  const savedEnv = process.env.KERV_BACKEND;
  afterEach(() => {
    if (savedEnv === undefined) delete process.env.KERV_BACKEND;
    else process.env.KERV_BACKEND = savedEnv;
  });

  it('selects wasm when forced, with the training kernels registered, and describes it', async () => {
    const selection = await initBackend('wasm');
    expect(selection.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(selection.tried).toEqual([{ name: 'wasm', available: true, detail: expect.stringContaining('single-threaded SIMD') }]);
    expect(selection.notes).toEqual([]);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    const env = describeEnvironment(selection, '0.1.0');
    expect(env).toMatchObject({ backend: 'wasm', threads: 1, tfjsVersion: tf.version.tfjs, appVersion: '0.1.0' });
  });

  it.skipIf(tfjsNodeInstalled)('fails with the reason when a forced backend is missing, and keeps the current one', async () => {
    await initBackend('wasm');
    await expect(initBackend('tensorflow')).rejects.toThrow(/Backend 'tensorflow' is not available here \(tensorflow: .*@tensorflow\/tfjs-node.*\)\. Allowed: auto, tensorflow-gpu, webgpu, tensorflow, wasm, cpu/);
    expect(tf.getBackend()).toBe('wasm');
  });

  it.skipIf(process.platform !== 'linux' || vulkanLoaderMissing() === null)('without a Vulkan driver, webgpu is out with the reason, and forcing it fails with that reason', async () => {
    // This process was started without SwiftShader (only the webgpu test project gets it).
    const probe = await probeWebGpu({});
    expect(probe).toEqual({ failure: expect.stringMatching(/Vulkan|adapter/) });
    await expect(initBackend('webgpu')).rejects.toThrow(/Backend 'webgpu' is not available here \(webgpu: .*(Vulkan|adapter)/);
  });

  it("a config's 'auto' follows the settings' default backend, and KERV_BACKEND wins over both", async () => {
    delete process.env.KERV_BACKEND;
    expect((await initBackend('auto', { defaultBackend: 'cpu' })).backend).toBe('cpu');
    process.env.KERV_BACKEND = 'wasm';
    expect((await initBackend('auto', { defaultBackend: 'cpu' })).backend).toBe('wasm');
    delete process.env.KERV_BACKEND;
    expect((await initBackend('wasm', { defaultBackend: 'cpu' })).backend).toBe('wasm');
  });

  it('names a bad KERV_BACKEND and the allowed values', async () => {
    process.env.KERV_BACKEND = 'webgl';
    await expect(initBackend('auto')).rejects.toThrow('KERV_BACKEND must be one of auto, tensorflow-gpu, webgpu, tensorflow, wasm, cpu, got "webgl"');
  });
});
