// Runs one computation on wasm and on webgpu (software Vulkan here) and reads the
// results asynchronously: a synchronous read of a GPU tensor throws in Node.
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src-main/engine/backend/select-backend';

/** Starts both backends in this process; webgpu stays the selected one. */
export async function startWasmAndWebGpu(): Promise<void> {
  await initBackend('wasm');
  await initBackend('webgpu');
}

/** Runs fn on `backend` (inside a tidy), reads every output, disposes them. */
export async function computeOn(backend: 'wasm' | 'webgpu' | 'cpu', fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outputs = tf.tidy(fn);
  try {
    return (await Promise.all(outputs.map((t) => t.data()))) as Float32Array[];
  } finally {
    tf.dispose(outputs);
  }
}
