// kervConv2d against the float64 patch-by-patch reference: every kernel × strides
// {1, 2} × padding {valid, same} × dilation {1, 2}, plus per-channel tensor
// parameters and the validation messages a user sees.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src-main/engine/backend/select-backend';
import { kervConv2d, type KervKernel } from '../../../../src-main/engine/kernels/kerv-conv2d';
import { maxRelativeError, randomValues } from '../backend/backend-helpers';
import { referenceKervConv2d, type RefKernel } from './reference';

const X_SHAPE = [2, 7, 6, 3] as const;
const W_SHAPE = [3, 3, 3, 4] as const;

const kernels: { name: string; op: KervKernel; ref: RefKernel }[] = [
  { name: 'linear', op: { type: 'linear' }, ref: { type: 'linear' } },
  { name: 'polynomial c=1 d=3', op: { type: 'polynomial' }, ref: { type: 'polynomial', c: 1, d: 3 } },
  { name: 'polynomial c=0 d=2', op: { type: 'polynomial', c: 0, d: 2 }, ref: { type: 'polynomial', c: 0, d: 2 } },
  { name: 'gaussian γ=0.2', op: { type: 'gaussian', gamma: 0.2 }, ref: { type: 'gaussian', gamma: 0.2 } },
  { name: 'sigmoid c=0.3', op: { type: 'sigmoid', c: 0.3 }, ref: { type: 'sigmoid', c: 0.3 } },
  { name: 'manhattan', op: { type: 'manhattan' }, ref: { type: 'manhattan' } },
  { name: 'euclidean', op: { type: 'euclidean' }, ref: { type: 'euclidean' } },
  { name: 'cosine', op: { type: 'cosine' }, ref: { type: 'cosine' } },
];

const geometries: { strides: [number, number]; padding: 'valid' | 'same'; dilation: [number, number] }[] = [];
for (const s of [1, 2]) for (const padding of ['valid', 'same'] as const) for (const d of [1, 2]) geometries.push({ strides: [s, s], padding, dilation: [d, d] });

const xValues = randomValues(X_SHAPE.reduce((a: number, b: number) => a * b, 1), 11);
const wValues = randomValues(W_SHAPE.reduce((a: number, b: number) => a * b, 1), 12).map((v) => v * 0.5);

function runOp(kernel: KervKernel, g: (typeof geometries)[number]): { values: Float32Array; shape: number[] } {
  const y = tf.tidy(() => kervConv2d(tf.tensor4d(xValues, [...X_SHAPE]), tf.tensor4d(wValues, [...W_SHAPE]), { kernel, ...g }));
  const out = { values: y.dataSync() as Float32Array, shape: y.shape };
  y.dispose();
  return out;
}

describe('kervConv2d matches the float64 reference', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  for (const k of kernels) {
    for (const g of geometries) {
      it(`${k.name}, strides ${g.strides[0]}, ${g.padding}, dilation ${g.dilation[0]}`, () => {
        const expected = referenceKervConv2d(xValues, X_SHAPE, wValues, W_SHAPE, { kernel: k.ref, ...g });
        const actual = runOp(k.op, g);
        expect(actual.shape).toEqual(expected.shape);
        expect(maxRelativeError(actual.values, expected.values)).toBeLessThanOrEqual(1e-4);
      });
    }
  }

  it('has the output size and padding of tf.conv2d (linear kernel = tf.conv2d)', () => {
    for (const g of geometries.filter((q) => q.strides[0] === 1 || q.dilation[0] === 1)) {
      const [ours, theirs] = tf.tidy(() => {
        const x = tf.tensor4d(xValues, [...X_SHAPE]);
        const w = tf.tensor4d(wValues, [...W_SHAPE]);
        return [kervConv2d(x, w, { kernel: { type: 'linear' }, ...g }), tf.conv2d(x, w, g.strides, g.padding, 'NHWC', g.dilation)];
      });
      expect(ours.shape).toEqual(theirs.shape);
      expect(maxRelativeError(ours.dataSync(), theirs.dataSync())).toBeLessThan(1e-5);
      tf.dispose([ours, theirs]);
    }
  });

  it('accepts per-output-channel and scalar tensor parameters', () => {
    const g = geometries[3];
    const cases: { op: KervKernel; ref: RefKernel }[] = [
      { op: { type: 'polynomial', c: tf.tensor1d([0, 0.5, 1, 2]), d: 3 }, ref: { type: 'polynomial', c: [0, 0.5, 1, 2], d: 3 } },
      { op: { type: 'gaussian', gamma: tf.tensor1d([0.05, 0.1, 0.5, 1]) }, ref: { type: 'gaussian', gamma: [0.05, 0.1, 0.5, 1] } },
      { op: { type: 'sigmoid', c: tf.scalar(-0.4) }, ref: { type: 'sigmoid', c: -0.4 } },
    ];
    for (const c of cases) {
      const expected = referenceKervConv2d(xValues, X_SHAPE, wValues, W_SHAPE, { kernel: c.ref, ...g });
      expect(maxRelativeError(runOp(c.op, g).values, expected.values)).toBeLessThanOrEqual(1e-4);
    }
  });

  it('gives 0, not NaN, for cosine on an all-zero patch', () => {
    const y = tf.tidy(() => kervConv2d(tf.zeros([1, 4, 4, 2]), tf.ones([3, 3, 2, 2]), { kernel: { type: 'cosine' }, padding: 'same' }));
    expect(Array.from(y.dataSync())).toEqual(new Array(32).fill(0));
    y.dispose();
  });

  it('rejects bad parameters with a message naming the field', () => {
    const x = tf.zeros([1, 5, 5, 2]) as tf.Tensor4D;
    const w = tf.zeros([3, 3, 2, 4]) as tf.Tensor4D;
    expect(() => kervConv2d(x, w, { kernel: { type: 'polynomial', d: 2.5 } })).toThrow(/kernel\.d must be an integer ≥ 1/);
    expect(() => kervConv2d(x, w, { kernel: { type: 'polynomial', c: -1 } })).toThrow(/kernel\.c must be ≥ 0/);
    expect(() => kervConv2d(x, w, { kernel: { type: 'gaussian', gamma: 0 } })).toThrow(/kernel\.gamma must be > 0/);
    expect(() => kervConv2d(x, w, { kernel: { type: 'sigmoid', c: tf.zeros([3]) } })).toThrow(/kernel\.c must be a scalar or have shape \[4\]/);
    expect(() => kervConv2d(x, tf.zeros([3, 3, 3, 4]) as tf.Tensor4D, { kernel: { type: 'linear' } })).toThrow(/3 input channels but x has 2/);
    expect(() => kervConv2d(x, w, { kernel: { type: 'linear' }, strides: 0 })).toThrow(/strides must be a positive integer/);
    expect(() => kervConv2d(x, tf.zeros([7, 7, 2, 1]) as tf.Tensor4D, { kernel: { type: 'linear' } })).toThrow(/does not fit the 5×5 input/);
    expect(() => kervConv2d(x, w, { kernel: { type: 'rbf' } as unknown as KervKernel })).toThrow(/kernel\.type must be one of/);
    tf.dispose([x, w]);
  });
});
