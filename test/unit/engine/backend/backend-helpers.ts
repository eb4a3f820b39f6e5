// Runs the same computation on two tfjs backends so the wasm kernels can be
// checked against the pure-JS cpu reference kernels of tfjs itself.
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../../../src-main/engine/random';

/** Switches to `backend`, runs fn, reads every result, switches back to wasm. */
export async function runOn(backend: 'wasm' | 'cpu', fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  const previous = tf.getBackend();
  await tf.setBackend(backend);
  try {
    const outputs = tf.tidy(fn);
    const values = outputs.map((t) => t.dataSync() as Float32Array);
    tf.dispose(outputs);
    return values;
  } finally {
    await tf.setBackend(previous);
  }
}

/** Deterministic values in [-1, 1). */
export function randomValues(size: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.next() * 2 - 1;
  return out;
}

/** Largest |a − b| / max(|b|, floor), with floor = 1e-3 × the largest |b|: relative, but sane near zero. */
export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} ≠ ${expected.length}`);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  const floor = Math.max(scale * 1e-3, 1e-12);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), floor);
    if (!(err <= worst)) worst = Number.isNaN(err) ? Infinity : Math.max(worst, err);
  }
  return worst;
}
