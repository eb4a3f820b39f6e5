// The wasm Conv2DBackpropInput / Conv2DBackpropFilter replacements must agree with
// tfjs's own cpu kernels for every stride / padding combination a model can hit,
// including strides that do not divide the input evenly.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src-main/engine/backend/select-backend';
import { conv2dBackpropFilterAsForwardConv, conv2dBackpropFilterAsMatMul, conv2dBackpropFilterDirect, WASM_TRAINING_KERNELS } from '../../../../src-main/engine/backend/wasm-kernels';
import { maxRelativeError, randomValues, runOn } from './backend-helpers';

type Pad = 'valid' | 'same' | tf.backend_util.ExplicitPadding;

interface Case {
  name: string;
  x: [number, number, number, number];
  w: [number, number, number, number];
  strides: [number, number];
  pad: Pad;
}

const cases: Case[] = [
  { name: '3×3 stride 1 same', x: [2, 6, 6, 3], w: [3, 3, 3, 4], strides: [1, 1], pad: 'same' },
  { name: '3×3 stride 1 valid', x: [2, 6, 5, 3], w: [3, 3, 3, 4], strides: [1, 1], pad: 'valid' },
  { name: '3×3 stride 2 same, odd input', x: [2, 7, 7, 2], w: [3, 3, 2, 3], strides: [2, 2], pad: 'same' },
  { name: '3×3 stride 2 valid, leftover row', x: [1, 8, 8, 2], w: [3, 3, 2, 3], strides: [2, 2], pad: 'valid' },
  { name: '2×2 stride 2 same, even input', x: [2, 6, 6, 2], w: [2, 2, 2, 3], strides: [2, 2], pad: 'same' },
  { name: '1×1 stride 2 valid (resnet shortcut)', x: [2, 6, 6, 4], w: [1, 1, 4, 5], strides: [2, 2], pad: 'valid' },
  { name: '5×3 mixed strides 1×2 same', x: [1, 7, 9, 2], w: [5, 3, 2, 2], strides: [1, 2], pad: 'same' },
  { name: '3×3 stride 2 explicit padding', x: [1, 6, 6, 2], w: [3, 3, 2, 2], strides: [2, 2], pad: [[0, 0], [2, 0], [1, 3], [0, 0]] },
  // Output channels in multiples of 8 take the direct filter gradient (simd/training.wat's
  // filterGradient), input channels in multiples of 8 the direct input gradient (its
  // convStride1); kw·inC of 9, 24, 8, 15 and 32 exercise the filter gradient's 4-wide
  // tiles and its 1-wide rest, output widths of 5, 7 and 3 the input gradient's.
  { name: 'direct: 3×3 stride 1 same, 3 channels (the first layer)', x: [2, 6, 6, 3], w: [3, 3, 3, 8], strides: [1, 1], pad: 'same' },
  { name: 'direct: 3×3 stride 1 valid, 8 → 16 channels', x: [2, 6, 5, 8], w: [3, 3, 8, 16], strides: [1, 1], pad: 'valid' },
  { name: 'direct: 3×3 stride 2 same, odd input', x: [2, 7, 7, 8], w: [3, 3, 8, 8], strides: [2, 2], pad: 'same' },
  { name: 'direct: 3×3 stride 2 valid, leftover row', x: [1, 8, 8, 8], w: [3, 3, 8, 8], strides: [2, 2], pad: 'valid' },
  { name: 'direct: 1×1 stride 2 valid (resnet shortcut)', x: [2, 6, 6, 8], w: [1, 1, 8, 8], strides: [2, 2], pad: 'valid' },
  { name: 'direct: 5×3 mixed strides 1×2 same', x: [1, 7, 9, 5], w: [5, 3, 5, 8], strides: [1, 2], pad: 'same' },
  { name: 'direct: 2×2 stride 2 explicit padding', x: [1, 6, 3, 16], w: [2, 2, 16, 8], strides: [2, 2], pad: [[0, 0], [2, 0], [1, 3], [0, 0]] },
];

describe('wasm conv2d gradient kernels', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('replace Conv2DBackpropInput and add Conv2DBackpropFilter on wasm', () => {
    // The registered kernel functions are ours, not the wasm package's own (slow) Conv2DBackpropInput.
    expect(WASM_TRAINING_KERNELS.map((k) => k.kernelName).sort()).toEqual(['Conv2DBackpropFilter', 'Conv2DBackpropInput']);
    for (const kernel of WASM_TRAINING_KERNELS) expect(tf.getKernel(kernel.kernelName, 'wasm')?.kernelFunc).toBe(kernel.kernelFunc);
  });

  for (const c of cases) {
    it(`match the cpu kernels: ${c.name}`, async () => {
      const xValues = randomValues(c.x.reduce((a, b) => a * b), 1);
      const wValues = randomValues(c.w.reduce((a, b) => a * b), 2);
      const compute = (): tf.Tensor[] => {
        const x = tf.tensor4d(xValues, c.x);
        const w = tf.tensor4d(wValues, c.w);
        const y = tf.conv2d(x, w, c.strides, c.pad);
        // A non-uniform upstream gradient, so a misplaced dy entry shows.
        const dy = tf.tensor(randomValues(y.size, 3), y.shape) as tf.Tensor4D;
        const dx = tf.conv2dTranspose(dy, w, c.x, c.strides, c.pad as 'same');
        const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad), dy)))([x, w]);
        return [dx, gx, gw];
      };
      const [wasm, cpu] = [await runOn('wasm', compute), await runOn('cpu', compute)];
      expect(maxRelativeError(wasm[0], cpu[0])).toBeLessThan(1e-4);
      expect(maxRelativeError(wasm[1], cpu[1])).toBeLessThan(1e-4);
      expect(maxRelativeError(wasm[2], cpu[2])).toBeLessThan(1e-4);
    });
  }

  it('sums the filter gradient over chunks of images when the columns would be too large, to the same result', async () => {
    const [chunked, whole, reference] = await runOn('wasm', () => {
      const x = tf.tensor4d(randomValues(5 * 6 * 6 * 3, 4), [5, 6, 6, 3]);
      const dy = tf.tensor4d(randomValues(5 * 6 * 6 * 4, 5), [5, 6, 6, 4]);
      const attrs = { strides: 1 as const, pad: 'same' as const, dataFormat: 'NHWC' as const };
      // 27 taps × 36 pixels per image: room for 2 images per chunk, so chunks of 2, 2 and 1.
      return [
        conv2dBackpropFilterAsMatMul(x, dy, [3, 3, 3, 4], attrs, 2 * 27 * 36)!,
        conv2dBackpropFilterAsMatMul(x, dy, [3, 3, 3, 4], attrs)!,
        conv2dBackpropFilterAsForwardConv(x, dy, [3, 3, 3, 4], attrs),
      ];
    });
    expect(maxRelativeError(chunked, reference)).toBeLessThan(1e-4);
    expect(maxRelativeError(whole, reference)).toBeLessThan(1e-4);
  });

  it('computes the direct filter gradient in blocks of output rows that straddle images, to the same result', async () => {
    const [blocked, whole, reference] = await runOn('wasm', () => {
      const x = tf.tensor4d(randomValues(3 * 7 * 6 * 5, 6), [3, 7, 6, 5]);
      const dy = tf.tensor4d(randomValues(3 * 7 * 6 * 16, 7), [3, 7, 6, 16]);
      const attrs = { strides: 1 as const, pad: 'same' as const, dataFormat: 'NHWC' as const };
      // 12 pixels a block: 2 output rows of 6, so 21 rows in blocks of 2, one of them across images (7 rows each).
      return [
        conv2dBackpropFilterDirect(x, dy, [3, 3, 5, 16], attrs, 12)!,
        conv2dBackpropFilterDirect(x, dy, [3, 3, 5, 16], attrs)!,
        conv2dBackpropFilterAsForwardConv(x, dy, [3, 3, 5, 16], attrs),
      ];
    });
    expect(maxRelativeError(blocked, reference)).toBeLessThan(1e-4);
    expect(maxRelativeError(whole, reference)).toBeLessThan(1e-4);
  });
});
