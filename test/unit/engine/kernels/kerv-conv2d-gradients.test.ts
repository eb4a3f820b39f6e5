// Autodiff gradients of kervConv2d (x, w and tensor parameters) against central
// differences of the float64 reference. With float64 differences the reference
// gradient is exact to ~1e-9, so the tolerance only has to absorb float32
// rounding: a wrong sign, a missing term or a misplaced tap is off by O(1).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src-main/engine/backend/select-backend';
import { kervConv2d, type KervKernel } from '../../../../src-main/engine/kernels/kerv-conv2d';
import { maxRelativeError, randomValues } from '../backend/backend-helpers';
import { numericGradient, referenceKervConv2d, type RefKernel, type RefOptions } from './reference';
import { GAUSSIAN_CONV2D, POLYNOMIAL_CONV2D } from '../../../../src-main/engine/ops/response-conv2d';

const X_SHAPE = [2, 5, 6, 2] as const;
const W_SHAPE = [3, 3, 2, 3] as const;
const TOLERANCE = 2e-3;

const xValues = Float64Array.from(randomValues(X_SHAPE.reduce((a: number, b: number) => a * b, 1), 21));
const wValues = Float64Array.from(randomValues(W_SHAPE.reduce((a: number, b: number) => a * b, 1), 22)).map((v) => v * 0.6);

type Geometry = Omit<RefOptions, 'kernel'>;
const geometries: Geometry[] = [];
for (const s of [1, 2]) for (const padding of ['valid', 'same'] as const) for (const d of [1, 2]) geometries.push({ strides: [s, s], padding, dilation: [d, d] });

/** Upstream gradient R: the loss is Σ y ⊙ R, so every output carries a different weight. */
function upstream(size: number): Float64Array {
  return Float64Array.from(randomValues(size, 23));
}

function referenceLoss(x: Float64Array, w: Float64Array, kernel: RefKernel, g: Geometry, r: Float64Array): number {
  const y = referenceKervConv2d(x, X_SHAPE, w, W_SHAPE, { kernel, ...g }).values;
  let loss = 0;
  for (let i = 0; i < y.length; i++) loss += y[i] * r[i];
  return loss;
}

interface GradCase {
  name: string;
  /** Builds the op kernel from the parameter tensor (if any). */
  op: (param: tf.Tensor | null) => KervKernel;
  /** Builds the reference kernel from the parameter values (if any). */
  ref: (param: Float64Array | null) => RefKernel;
  param?: number[];
}

const cases: GradCase[] = [
  { name: 'linear', op: () => ({ type: 'linear' }), ref: () => ({ type: 'linear' }) },
  {
    name: 'polynomial d=3, learnable c per channel',
    op: (c) => ({ type: 'polynomial', d: 3, c: c as tf.Tensor }),
    ref: (c) => ({ type: 'polynomial', d: 3, c: Array.from(c as Float64Array) }),
    param: [0, 0.5, 1],
  },
  {
    name: 'polynomial d=2, c=0 (negative bases)',
    op: (c) => ({ type: 'polynomial', d: 2, c: c as tf.Tensor }),
    ref: (c) => ({ type: 'polynomial', d: 2, c: (c as Float64Array)[0] }),
    param: [0],
  },
  {
    name: 'gaussian, learnable γ per channel',
    op: (gamma) => ({ type: 'gaussian', gamma: gamma as tf.Tensor }),
    ref: (gamma) => ({ type: 'gaussian', gamma: Array.from(gamma as Float64Array) }),
    param: [0.1, 0.3, 0.6],
  },
  {
    name: 'sigmoid, learnable scalar c',
    op: (c) => ({ type: 'sigmoid', c: c as tf.Tensor }),
    ref: (c) => ({ type: 'sigmoid', c: (c as Float64Array)[0] }),
    param: [0.2],
  },
  { name: 'manhattan', op: () => ({ type: 'manhattan' }), ref: () => ({ type: 'manhattan' }) },
  { name: 'euclidean', op: () => ({ type: 'euclidean' }), ref: () => ({ type: 'euclidean' }) },
  { name: 'cosine', op: () => ({ type: 'cosine' }), ref: () => ({ type: 'cosine' }) },
];

/** The op's gradients of Σ y ⊙ R against central differences of the float64 reference. */
function checkGradients(c: GradCase, g: Geometry): void {
  const paramValues = c.param ? Float64Array.from(c.param) : null;
  const outShape = referenceKervConv2d(xValues, X_SHAPE, wValues, W_SHAPE, { kernel: c.ref(paramValues), ...g }).shape;
  const r = upstream(outShape.reduce((a, b) => a * b));

  const grads = tf.tidy(() => {
    const x = tf.tensor4d(Float32Array.from(xValues), [...X_SHAPE]);
    const w = tf.tensor4d(Float32Array.from(wValues), [...W_SHAPE]);
    const p = paramValues ? (paramValues.length === 1 ? tf.scalar(paramValues[0]) : tf.tensor1d(Float32Array.from(paramValues))) : null;
    const rT = tf.tensor(Float32Array.from(r), outShape);
    const loss = (...args: tf.Tensor[]) =>
      tf.sum(tf.mul(kervConv2d(args[0] as tf.Tensor4D, args[1] as tf.Tensor4D, { kernel: c.op(args[2] ?? null), ...g }), rT));
    return tf.grads(loss)(p ? [x, w, p] : [x, w]);
  });
  const [gx, gw, gp] = grads.map((t) => t.dataSync());
  tf.dispose(grads);

  const f = () => referenceLoss(xValues, wValues, c.ref(paramValues), g, r);
  expect(maxRelativeError(gx, numericGradient(xValues, f))).toBeLessThan(TOLERANCE);
  expect(maxRelativeError(gw, numericGradient(wValues, f))).toBeLessThan(TOLERANCE);
  if (paramValues) expect(maxRelativeError(gp, numericGradient(paramValues, f))).toBeLessThan(TOLERANCE);
}

describe('kervConv2d gradients match central differences of the float64 reference', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  for (const c of cases) {
    for (const g of geometries) {
      it(`${c.name}, strides ${g.strides[0]}, ${g.padding}, dilation ${g.dilation[0]}`, () => checkGradients(c, g));
    }
  }

  it('stays finite where sqrt and the distance clamp meet 0', () => {
    // Cosine on all-zero patches, and euclidean / gaussian with patches equal to the filter.
    const w = tf.tensor4d([0.3, -0.2], [1, 1, 2, 1]);
    const inputs: [tf.Tensor4D, KervKernel][] = [
      [tf.zeros([1, 3, 3, 2]), { type: 'cosine' }],
      [tf.tile(tf.reshape(w, [1, 1, 1, 2]), [1, 3, 3, 1]) as tf.Tensor4D, { type: 'euclidean' }],
      [tf.tile(tf.reshape(w, [1, 1, 1, 2]), [1, 3, 3, 1]) as tf.Tensor4D, { type: 'gaussian' }],
    ];
    for (const [x, kernel] of inputs) {
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(kervConv2d(a as tf.Tensor4D, b as tf.Tensor4D, { kernel })))([x, w]);
      for (const t of grads) expect(Array.from(t.dataSync()).every(Number.isFinite), kernel.type).toBe(true);
      tf.dispose(grads);
    }
    tf.dispose([w, ...inputs.map(([x]) => x)]);
  });
});

// On the cpu backend, polynomial and Gaussian kervolutions run as the fused
// response ops (ops/response-conv2d.ts): their cpu kernels are the reference the
// webgpu kernels are tested against, and their gradients are written by hand.
describe('the fused response ops on the cpu backend match the float64 reference', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  const fused = cases.filter((c) => c.name.startsWith('polynomial') || c.name.startsWith('gaussian'));
  for (const c of fused) {
    for (const g of geometries.filter((geometry) => geometry.dilation[0] === 1)) {
      it(`${c.name}, strides ${g.strides[0]}, ${g.padding}`, () => {
        const { count } = countKernels(() => checkGradients(c, g));
        expect(count, 'ran through the fused op').toBeGreaterThan(0);
      });
    }
  }
});

/** How often a fused response kernel ran during fn. */
function countKernels(fn: () => void): { count: number } {
  const names = [POLYNOMIAL_CONV2D, GAUSSIAN_CONV2D];
  const originals = names.map((name) => tf.getKernel(name, 'cpu') as Parameters<typeof tf.registerKernel>[0]);
  let count = 0;
  for (const kernel of originals) {
    tf.unregisterKernel(kernel.kernelName, 'cpu');
    tf.registerKernel({ ...kernel, kernelFunc: (args) => ((count += 1), kernel.kernelFunc(args)) });
  }
  try {
    fn();
  } finally {
    for (const kernel of originals) {
      tf.unregisterKernel(kernel.kernelName, 'cpu');
      tf.registerKernel(kernel);
    }
  }
  return { count };
}
