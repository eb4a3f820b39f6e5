// Every manhattan implementation — the direct loops with wasm SIMD ('wasm-simd', used
// on wasm/cpu) or plain-JS ('js') inner loops, and the chunked tf ops ('tf-ops', used
// on GPU / native backends) — against the
// float64 patch-by-patch reference: values and gradients (central differences) for
// strides {1, 2} × padding {valid, same} × dilation {1, 2}, plus an asymmetric
// geometry. 5 output channels exercise the direct path's 4-channel blocks and
// its remainder loop; 2 input channels make the patch length (18) no multiple of 4,
// which the SIMD rows pad.
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src-main/engine/backend/select-backend';
import { convGeometry } from '../../../../src-main/engine/kernels/conv-geometry';
import { kervConv2d } from '../../../../src-main/engine/kernels/kerv-conv2d';
import { manhattanChunkedConv2d } from '../../../../src-main/engine/kernels/manhattan-chunked';
import {
  forceManhattanPath,
  manhattanPath,
  MANHATTAN_PATHS,
  type ManhattanPath,
} from '../../../../src-main/engine/kernels/manhattan-conv2d';
import { maxRelativeError, randomValues } from '../backend/backend-helpers';
import { numericGradient, referenceKervConv2d, type RefOptions } from './reference';

const X_SHAPE = [2, 5, 6, 2] as const;
const W_SHAPE = [3, 3, 2, 5] as const;
const VALUE_TOLERANCE = 1e-5;
const GRADIENT_TOLERANCE = 2e-3;

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const xValues = Float64Array.from(randomValues(size(X_SHAPE), 31));
const wValues = Float64Array.from(randomValues(size(W_SHAPE), 32)).map((v) => v * 0.6);

type Geometry = Omit<RefOptions, 'kernel'>;
const geometries: Geometry[] = [];
for (const s of [1, 2]) for (const padding of ['valid', 'same'] as const) for (const d of [1, 2]) geometries.push({ strides: [s, s], padding, dilation: [d, d] });
geometries.push({ strides: [1, 2], padding: 'same', dilation: [2, 1] });

const label = (g: Geometry) => `strides ${g.strides.join('×')}, ${g.padding}, dilation ${g.dilation.join('×')}`;

function referenceLoss(g: Geometry, r: Float64Array): number {
  const y = referenceKervConv2d(xValues, X_SHAPE, wValues, W_SHAPE, { kernel: { type: 'manhattan' }, ...g }).values;
  let loss = 0;
  for (let i = 0; i < y.length; i++) loss += y[i] * r[i];
  return loss;
}

/** y, dx and dw of Σ kervConv2d(x, w) ⊙ r on the current backend and path. */
function valuesAndGradients(x: ArrayLike<number>, w: ArrayLike<number>, g: Geometry, r: ArrayLike<number>, outShape: number[]): Float32Array[] {
  const results = tf.tidy(() => {
    const xT = tf.tensor4d(Float32Array.from(x), [...X_SHAPE]);
    const wT = tf.tensor4d(Float32Array.from(w), [...W_SHAPE]);
    const rT = tf.tensor(Float32Array.from(r), outShape);
    const op = (a: tf.Tensor, b: tf.Tensor) => kervConv2d(a as tf.Tensor4D, b as tf.Tensor4D, { kernel: { type: 'manhattan' }, ...g });
    const y = op(xT, wT);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(op(a, b), rT)))([xT, wT]);
    return [y, dx, dw];
  });
  const arrays = results.map((t) => t.dataSync() as Float32Array);
  tf.dispose(results);
  return arrays;
}

describe('manhattan kervolution, every implementation, against the float64 reference', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterEach(() => forceManhattanPath(null));

  for (const path of MANHATTAN_PATHS) {
    for (const g of geometries) {
      it(`${path}: values and gradients, ${label(g)}`, () => {
        forceManhattanPath(path);
        const expected = referenceKervConv2d(xValues, X_SHAPE, wValues, W_SHAPE, { kernel: { type: 'manhattan' }, ...g });
        const r = Float64Array.from(randomValues(size(expected.shape), 33));
        const [y, dx, dw] = valuesAndGradients(xValues, wValues, g, r, expected.shape);
        expect(maxRelativeError(y, expected.values)).toBeLessThanOrEqual(VALUE_TOLERANCE);
        const f = () => referenceLoss(g, r);
        expect(maxRelativeError(dx, numericGradient(xValues, f))).toBeLessThan(GRADIENT_TOLERANCE);
        expect(maxRelativeError(dw, numericGradient(wValues, f))).toBeLessThan(GRADIENT_TOLERANCE);
      });
    }
  }

  it('all paths agree where patch values equal filter taps (sign(0) = 0) and where the upstream gradient is 0', () => {
    // Every input pixel carries filter 0's centre tap, so p − w is exactly 0 on
    // many elements; the upstream gradient is 0 for channels 0–3 on the first image,
    // which the direct paths skip.
    const g: Geometry = { strides: [1, 1], padding: 'same', dilation: [1, 1] };
    const centre = [0, 1].map((c) => wValues[((1 * 3 + 1) * 2 + c) * 5]);
    const x = Float64Array.from({ length: size(X_SHAPE) }, (_, i) => centre[i % 2]);
    const outShape = [2, 5, 6, 5];
    const r = Float64Array.from(randomValues(size(outShape), 34)).map((v, i) => (i < 5 * 6 * 5 && i % 5 < 4 ? 0 : v));
    const runOn = (path: ManhattanPath) => {
      forceManhattanPath(path);
      return valuesAndGradients(x, wValues, g, r, outShape);
    };
    const tfOps = runOn('tf-ops');
    for (const path of ['wasm-simd', 'js'] as const) {
      const direct = runOn(path);
      for (let i = 0; i < 3; i++) expect(maxRelativeError(direct[i], tfOps[i]), path).toBeLessThan(1e-5);
    }
  });

  it('wasm-simd grows its memory for a wide layer (buffers > one 64 KiB page) and matches the js loops', () => {
    const xShape = [1, 4, 3, 32];
    const wShape = [3, 3, 32, 64];
    const wide = { x: randomValues(size(xShape), 37), w: randomValues(size(wShape), 38).map((v) => v * 0.5) };
    const r = randomValues(2 * 1 * 64, 39);
    const run = (path: ManhattanPath) => {
      forceManhattanPath(path);
      const results = tf.tidy(() => {
        const x = tf.tensor4d(wide.x, xShape as [number, number, number, number]);
        const w = tf.tensor4d(wide.w, wShape as [number, number, number, number]);
        const op = (a: tf.Tensor, b: tf.Tensor) => kervConv2d(a as tf.Tensor4D, b as tf.Tensor4D, { kernel: { type: 'manhattan' } });
        const rT = tf.tensor4d(r, [1, 2, 1, 64]);
        return [op(x, w), ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(op(a, b), rT)))([x, w])];
      });
      const arrays = results.map((t) => t.dataSync() as Float32Array);
      tf.dispose(results);
      return arrays;
    };
    const simd = run('wasm-simd');
    const js = run('js');
    const expected = referenceKervConv2d(wide.x, xShape, wide.w, wShape, { kernel: { type: 'manhattan' }, strides: [1, 1], padding: 'valid', dilation: [1, 1] });
    expect(maxRelativeError(simd[0], expected.values)).toBeLessThanOrEqual(VALUE_TOLERANCE);
    for (let i = 0; i < 3; i++) expect(maxRelativeError(simd[i], js[i])).toBeLessThan(1e-5);
  });

  it('the direct loops also run on the pure-JS cpu backend', async () => {
    const g = geometries[5];
    const expected = referenceKervConv2d(xValues, X_SHAPE, wValues, W_SHAPE, { kernel: { type: 'manhattan' }, ...g });
    const r = Float64Array.from(randomValues(size(expected.shape), 35));
    await tf.setBackend('cpu');
    try {
      expect(manhattanPath()).toBe('wasm-simd');
      const [y, dx, dw] = valuesAndGradients(xValues, wValues, g, r, expected.shape);
      forceManhattanPath('tf-ops');
      const [, dxOps, dwOps] = valuesAndGradients(xValues, wValues, g, r, expected.shape);
      expect(maxRelativeError(y, expected.values)).toBeLessThanOrEqual(VALUE_TOLERANCE);
      expect(maxRelativeError(dx, dxOps)).toBeLessThan(1e-5);
      expect(maxRelativeError(dw, dwOps)).toBeLessThan(1e-5);
    } finally {
      await initBackend('wasm');
    }
  });

  it('chooses the SIMD loops on wasm, and rejects an unknown forced path', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(manhattanPath()).toBe('wasm-simd');
    forceManhattanPath('tf-ops');
    expect(manhattanPath()).toBe('tf-ops');
    forceManhattanPath(null);
    expect(manhattanPath()).toBe('wasm-simd');
    expect(() => forceManhattanPath('simd' as ManhattanPath)).toThrow(/manhattan path must be one of wasm-simd, js, tf-ops or null, got "simd"/);
  });

  it('tf-ops path gives the same values and gradients when split into many small chunks', () => {
    const g = convGeometry(X_SHAPE, W_SHAPE, [2, 2], 'same', [1, 1]);
    const run = (chunkElements: number) =>
      tf.tidy(() => {
        const x = tf.tensor4d(Float32Array.from(xValues), [...X_SHAPE]);
        const w = tf.tensor4d(Float32Array.from(wValues), [...W_SHAPE]);
        const op = (a: tf.Tensor, b: tf.Tensor) => manhattanChunkedConv2d(a as tf.Tensor4D, b as tf.Tensor4D, g, chunkElements);
        const y = op(x, w);
        const r = tf.tensor(Float32Array.from(randomValues(y.size, 36)), y.shape);
        const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(op(a, b), r)))([x, w]);
        return [y, gx, gw];
      });
    const whole = run(1 << 22);
    // 3 × 3 outputs per plane: a budget of 10 forces one image, one input and one output channel per chunk.
    const chunked = run(10);
    // Only the float32 summation order differs: a misplaced chunk would be off by O(1).
    for (let i = 0; i < 3; i++) expect(maxRelativeError(chunked[i].dataSync(), whole[i].dataSync())).toBeLessThan(1e-4);
    tf.dispose([...whole, ...chunked]);
  });
});
