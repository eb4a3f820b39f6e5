// The wasm Sum / Mean (leading axes), MaxPoolGrad (non-overlapping windows), Tanh, Exp,
// transposed-BatchMatMul and Identity replacements must agree with tfjs's own cpu kernels, including the cases they
// hand back to the wasm package's kernels, and ties in a pooling window (ReLU
// zeros), where the gradient must go to the first maximum only.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src-main/engine/backend/select-backend';
import { leadingReduction } from '../../../../src-main/engine/backend/wasm-reductions';
import { maxRelativeError, randomValues, runOn } from './backend-helpers';

async function expectSameOnBothBackends(compute: () => tf.Tensor[], tolerance: number): Promise<void> {
  const [wasm, cpu] = [await runOn('wasm', compute), await runOn('cpu', compute)];
  expect(wasm.length).toBe(cpu.length);
  wasm.forEach((values, i) => expect(maxRelativeError(values, cpu[i])).toBeLessThan(tolerance));
}

describe('wasm reductions over leading axes', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('recognises exactly the reductions over a leading prefix of the axes', () => {
    expect(leadingReduction([4, 5, 6, 7], 'float32', [0, 1, 2])).toBe(3);
    expect(leadingReduction([4, 5, 6, 7], 'float32', [2, 0, 1])).toBe(3);
    expect(leadingReduction([4, 7], 'float32', 0)).toBe(1);
    expect(leadingReduction([4, 5, 6, 7], 'float32', [-4, -3])).toBe(2);
    expect(leadingReduction([4, 5, 6, 7], 'float32', [1, 2])).toBeNull();
    expect(leadingReduction([4, 5, 6, 7], 'float32', [0, 1, 2, 3])).toBeNull();
    expect(leadingReduction([4, 5, 6, 7], 'int32', [0])).toBeNull();
    expect(leadingReduction([7], 'float32', [0])).toBeNull();
  });

  const shape = [3, 5, 4, 6];
  const values = randomValues(shape.reduce((a, b) => a * b), 11);
  const cases: { name: string; axis: number | number[]; keepDims: boolean }[] = [
    { name: 'batch-norm statistics [0, 1, 2]', axis: [0, 1, 2], keepDims: false },
    { name: 'keepDims', axis: [0, 1, 2], keepDims: true },
    { name: 'bias gradient [0]', axis: 0, keepDims: false },
    { name: 'fallback: innermost axis', axis: 3, keepDims: false },
    { name: 'fallback: middle axes', axis: [1, 2], keepDims: true },
    { name: 'fallback: all axes', axis: [0, 1, 2, 3], keepDims: false },
  ];
  for (const c of cases) {
    it(`Sum and Mean match the cpu kernels: ${c.name}`, async () => {
      await expectSameOnBothBackends(() => {
        const x = tf.tensor(values, shape);
        const sum = tf.sum(x, c.axis, c.keepDims);
        const mean = tf.mean(x, c.axis, c.keepDims);
        expect(sum.shape).toEqual(tf.sum(tf.zeros(shape), c.axis, c.keepDims).shape);
        return [sum, mean];
      }, 1e-4);
    });
  }

  it('leaves int32 sums exact', async () => {
    const [wasm] = await runOn('wasm', () => [tf.sum(tf.tensor2d([[1, 2], [3, 4], [5, 6]], undefined, 'int32'), 0)]);
    expect(Array.from(wasm)).toEqual([9, 12]);
  });
});

describe('wasm MaxPoolGrad', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  const gradients = (xShape: [number, number, number, number], pool: [number, number], strides: [number, number], pad: 'valid' | 'same', xValues: Float32Array) => () => {
    const x = tf.tensor4d(xValues, xShape);
    const y = tf.maxPool(x, pool, strides, pad);
    const dy = tf.tensor(randomValues(y.size, 5), y.shape);
    return [tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(input as tf.Tensor4D, pool, strides, pad), dy)))(x)];
  };

  const cases: { name: string; x: [number, number, number, number]; pool: [number, number]; strides: [number, number]; pad: 'valid' | 'same' }[] = [
    { name: '2×2 stride 2', x: [2, 6, 8, 5], pool: [2, 2], strides: [2, 2], pad: 'valid' },
    { name: '2×2 stride 2, odd input (a row and column left over)', x: [2, 7, 5, 3], pool: [2, 2], strides: [2, 2], pad: 'valid' },
    { name: '2×2 stride 2, 8 channels (the SIMD pass), odd input', x: [2, 7, 5, 8], pool: [2, 2], strides: [2, 2], pad: 'valid' },
    { name: '3×2 stride 3×2', x: [1, 9, 6, 4], pool: [3, 2], strides: [3, 2], pad: 'valid' },
    { name: 'fallback: overlapping 3×3 stride 2', x: [2, 7, 7, 3], pool: [3, 3], strides: [2, 2], pad: 'valid' },
    { name: "'same' padding on an even input (no padding needed)", x: [1, 6, 4, 2], pool: [2, 2], strides: [2, 2], pad: 'same' },
  ];
  for (const c of cases) {
    it(`matches the cpu kernel: ${c.name}`, async () => {
      const size = c.x.reduce((a, b) => a * b);
      await expectSameOnBothBackends(gradients(c.x, c.pool, c.strides, c.pad, randomValues(size, 7)), 1e-6);
    });
  }

  it('sends the gradient of a tied window to its first maximum only (ReLU zeros)', async () => {
    const x = randomValues(2 * 6 * 6 * 4, 9).map((v) => Math.max(0, v - 0.5));
    const compute = gradients([2, 6, 6, 4], [2, 2], [2, 2], 'valid', x);
    const [wasm] = await runOn('wasm', compute);
    const [cpu] = await runOn('cpu', compute);
    expect(Array.from(wasm)).toEqual(Array.from(cpu));
    // Each window passes on exactly one gradient value per channel.
    expect(wasm.filter((v) => v !== 0).length).toBeLessThanOrEqual((2 * 6 * 6 * 4) / 4);
  });
});

describe('wasm Tanh and its gradient (TanhGrad)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('match tanh x and d(x·tanh x)/dx = tanh x + x·(1 − tanh² x) within 1e-6 on both backends, from tiny to saturated inputs', async () => {
    // 4099 values: the SIMD passes and their scalar tails.
    const values = Float32Array.from(randomValues(4099, 13), (v, i) => v * [1e-6, 1e-3, 0.5, 3, 30][i % 5]);
    const compute = () => {
      const x = tf.tensor1d(values);
      return [tf.tanh(x), tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.tanh(t), x)))(x)];
    };
    const expected = [Float64Array.from(values, Math.tanh), Float64Array.from(values, (v) => Math.tanh(v) + v * (1 - Math.tanh(v) ** 2))];
    for (const backend of ['wasm', 'cpu'] as const) {
      const actual = await runOn(backend, compute);
      for (let k = 0; k < 2; k++) {
        let worst = 0;
        for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(actual[k][i] - expected[k][i]) / Math.max(1, Math.abs(values[i])));
        expect(worst, `${backend} ${k ? 'gradient' : 'tanh'}`).toBeLessThan(1e-6);
      }
      expect(actual[0].every((v) => v >= -1 && v <= 1)).toBe(true);
    }
  });
});

describe('wasm Exp', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('matches the cpu kernel within 1e-6 relatively over the float range, its gradient too, and keeps 0, ∞ and NaN where they are', async () => {
    // 4099 values in (−80, 80): the SIMD pass and the scalar tail, gradients finite.
    const values = Float32Array.from(randomValues(4099, 17), (v, i) => v * [0.01, 1, 10, 40, 80][i % 5]);
    const compute = () => {
      const x = tf.tensor1d(values);
      return [tf.exp(x), tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.exp(t), x)))(x)];
    };
    const [wasm, cpu] = [await runOn('wasm', compute), await runOn('cpu', compute)];
    for (let k = 0; k < 2; k++) {
      let worst = 0;
      for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(wasm[k][i] - cpu[k][i]) / Math.max(Math.abs(cpu[k][i]), 1e-30));
      expect(worst).toBeLessThan(1e-6);
    }
    const [edges] = await runOn('wasm', () => [tf.exp(tf.tensor1d([0, -200, 200, Number.NaN, 88.5]))]);
    expect(Array.from(edges.subarray(0, 3))).toEqual([1, 0, Infinity]);
    expect(Number.isNaN(edges[3])).toBe(true);
    expect(Math.abs(edges[4] - Math.exp(88.5)) / Math.exp(88.5)).toBeLessThan(1e-6);
  });
});

describe('wasm BatchMatMul with transposed operands', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true], [true, true]]) {
    it(`matches the cpu kernel: transposeA ${transposeA}, transposeB ${transposeB}, 2-D and batched`, async () => {
      await expectSameOnBothBackends(() => {
        const a = tf.tensor2d(randomValues(7 * 5, 21), transposeA ? [5, 7] : [7, 5]);
        const b = tf.tensor2d(randomValues(5 * 3, 22), transposeB ? [3, 5] : [5, 3]);
        const batchA = tf.tensor3d(randomValues(2 * 4 * 6, 23), transposeA ? [2, 6, 4] : [2, 4, 6]);
        const batchB = tf.tensor3d(randomValues(2 * 6 * 3, 24), transposeB ? [2, 3, 6] : [2, 6, 3]);
        return [tf.matMul(a, b, transposeA, transposeB), tf.matMul(batchA, batchB, transposeA, transposeB)];
      }, 1e-4);
    });
  }
});

describe('wasm Identity and Cast to the same type', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('share the data of their input (no copy), which outlives the input; other casts convert', () => {
    const x = tf.tensor1d([1, 2, 3]);
    const [copy, same] = [tf.clone(x), tf.cast(x, 'float32')];
    const backend = tf.backend() as unknown as { getMemoryOffset(dataId: object): number };
    expect(backend.getMemoryOffset(copy.dataId)).toBe(backend.getMemoryOffset(x.dataId));
    expect(backend.getMemoryOffset(same.dataId)).toBe(backend.getMemoryOffset(x.dataId));
    x.dispose();
    expect(Array.from(copy.dataSync())).toEqual([1, 2, 3]);
    expect(Array.from(same.dataSync())).toEqual([1, 2, 3]);
    const converted = tf.cast(tf.tensor1d([1.7, -2.2]), 'int32');
    expect([converted.dtype, ...converted.dataSync()]).toEqual(['int32', 1, -2]);
    tf.dispose([copy, same, converted]);
  });
});
