// The GEMM core (engine/backend/webgpu-kernels/gemm.ts) behind every convolution
// and matrix product on webgpu, against tfjs's cpu backend (the reference): the
// forward convolution and both gradients for each shape class the architectures
// use (1×1, 3×3, 5×5; strides 1 and 2; 'same' and 'valid'; channel counts that
// allow 4-wide loads and counts that do not), fused bias + activation, matmuls
// with either operand transposed or broadcast, and every tile shape and a split K
// forced on small problems. Tiny sizes: software Vulkan runs shaders on the CPU.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { GEMM_TILES, runGemm, type GemmTileName } from '../../src-main/engine/backend/webgpu-kernels/gemm';
import { biasActivationEpilogue } from '../../src-main/engine/backend/webgpu-kernels/gemm-epilogues';
import { convFilterGradientProblem, convForwardProblem, matMulProblem } from '../../src-main/engine/backend/webgpu-kernels/gemm-problems';
import { webgpuBackend, type TensorInfo } from '../../src-main/engine/backend/webgpu-kernels/runtime';
import { countDispatches } from '../../src-main/engine/backend/webgpu-dispatches';
import { initBackend } from '../../src-main/engine/backend/select-backend';
import { maxRelativeError, randomValues } from '../unit/engine/backend/backend-helpers';
import { hasSoftwareVulkan } from './software-vulkan';
import { computeOn } from './webgpu-test-helpers';

const TOLERANCE = 1e-4;
let seed = 100;
const random = (shape: number[]) => tf.tensor(randomValues(tf.util.sizeFromShape(shape), seed++), shape);

async function expectSameOnCpu(label: string, fn: () => tf.Tensor[]): Promise<void> {
  const start = seed;
  const expected = await computeOn('cpu', fn);
  seed = start;
  const actual = await computeOn('webgpu', fn);
  actual.forEach((values, i) => expect(maxRelativeError(values, expected[i]), `${label}: output ${i}`).toBeLessThan(TOLERANCE));
}

/** y = conv(x, w) and the gradients of Σ y ⊙ r with respect to x and w. */
function convAndGradients(xShape: number[], wShape: number[], strides: number, pad: 'same' | 'valid', fused?: 'relu' | 'elu'): () => tf.Tensor[] {
  return () => {
    const x = random(xShape) as tf.Tensor4D;
    const w = random(wShape) as tf.Tensor4D;
    const bias = fused ? random([wShape[3]]) : undefined;
    const f = (a: tf.Tensor, b: tf.Tensor) =>
      fused ? tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides, pad, bias, activation: fused }) : tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, strides, pad);
    const y = f(x, w);
    return [y, ...tf.grads(f)([x, w], random(y.shape))];
  };
}

describe.skipIf(!hasSoftwareVulkan())('the webgpu GEMM core matches the cpu backend', () => {
  beforeAll(async () => {
    await initBackend('cpu');
    await initBackend('webgpu');
  });

  const convs: [string, number[], number[], number, 'same' | 'valid'][] = [
    ['3×3 stride 1 same, 3 → 5 channels (scalar loads)', [2, 7, 6, 3], [3, 3, 3, 5], 1, 'same'],
    ['3×3 stride 2 same, 4 → 8 channels (vec4 loads)', [2, 8, 8, 4], [3, 3, 4, 8], 2, 'same'],
    ['3×3 stride 2 valid on an odd size', [1, 7, 9, 8], [3, 3, 8, 4], 2, 'valid'],
    ['5×5 stride 1 valid', [1, 9, 7, 8], [5, 5, 8, 4], 1, 'valid'],
    ['1×1 stride 2 valid (a ResNet projection), 6 → 12', [3, 6, 6, 6], [1, 1, 6, 12], 2, 'valid'],
    ['3×3 stride 1 same, long K: the filter gradient splits K', [4, 16, 16, 8], [3, 3, 8, 8], 1, 'same'],
  ];
  for (const [label, xShape, wShape, strides, pad] of convs) {
    it(`conv ${label}: forward, input and filter gradients`, () => expectSameOnCpu(label, convAndGradients(xShape, wShape, strides, pad)));
  }

  it('the long-K filter gradient is a split product plus the sum of its splits', async () => {
    await tf.setBackend('webgpu');
    const { count } = countDispatches(() => tf.tidy(() => tf.conv2d(random([4, 16, 16, 8]) as tf.Tensor4D, random([3, 3, 8, 8]) as tf.Tensor4D, 1, 'same')));
    expect(count.byProgram).toEqual({ gemm: 1 });
    const grad = countDispatches(() =>
      tf.tidy(() => tf.grad((w: tf.Tensor) => tf.conv2d(random([4, 16, 16, 8]) as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'))(random([3, 3, 8, 8]))),
    );
    expect(grad.count.byProgram).toMatchObject({ gemmsplitsum: 1 });
  });

  it('fused conv + bias + relu / elu, forward and gradients', async () => {
    await expectSameOnCpu('relu', convAndGradients([2, 6, 6, 4], [3, 3, 4, 8], 1, 'same', 'relu'));
    await expectSameOnCpu('elu', convAndGradients([2, 5, 5, 3], [3, 3, 3, 6], 2, 'same', 'elu'));
  });

  it('dilated forward convolution', () => expectSameOnCpu('dilation 2', () => [tf.conv2d(random([1, 9, 9, 4]) as tf.Tensor4D, random([3, 3, 4, 4]) as tf.Tensor4D, 1, 'same', 'NHWC', 2)]));

  it('matmul: every transpose, a broadcast batch, fused bias with each activation', () =>
    expectSameOnCpu('matmul', () => [
      ...[false, true].flatMap((ta) => [false, true].map((tb) => tf.matMul(random(ta ? [2, 9, 7] : [2, 7, 9]), random(tb ? [2, 5, 9] : [2, 9, 5]), ta, tb))),
      tf.matMul(random([3, 4, 8]), random([8, 4])),
      // evaluate.ts's confusion counts: one-hots cast from int32 (on webgpu, float32 tensors over int32 buffers).
      tf.matMul(tf.oneHot(tf.tensor1d([0, 2, 1, 2], 'int32'), 3).toFloat(), tf.oneHot(tf.tensor1d([0, 1, 1, 2], 'int32'), 3).toFloat(), true, false),
      ...(['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu'] as const).map((activation) =>
        tf.fused.matMul({ a: random([6, 20]) as tf.Tensor2D, b: random([20, 12]) as tf.Tensor2D, bias: random([12]), activation }),
      ),
    ]));

  for (const tile of Object.keys(GEMM_TILES) as GemmTileName[]) {
    it(`the ${tile} tile, whole and with K split in 3, on a conv and a matmul`, async () => {
      const x = randomValues(2 * 9 * 9 * 8, 1);
      const w = randomValues(3 * 3 * 8 * 12, 2);
      const a = randomValues(2 * 70 * 40, 3);
      const b = randomValues(40 * 36, 4);
      const [expectedConv, expectedMatMul] = await computeOn('cpu', () => [
        tf.conv2d(tf.tensor4d(x, [2, 9, 9, 8]), tf.tensor4d(w, [3, 3, 8, 12]), 1, 'same'),
        tf.matMul(tf.tensor3d(a, [2, 70, 40]), tf.tensor2d(b, [40, 36])),
      ]);
      await tf.setBackend('webgpu');
      const info = tf.backend_util.computeConv2DInfo([2, 9, 9, 8], [3, 3, 8, 12], 1, 1, 'same');
      for (const splits of [1, 3]) {
        const [conv, matmul] = tf.tidy(() => {
          const backend = webgpuBackend();
          const xs = tf.tensor4d(x, [2, 9, 9, 8]);
          const ws = tf.tensor4d(w, [3, 3, 8, 12]);
          const convProblem = convForwardProblem(xs as unknown as TensorInfo, ws as unknown as TensorInfo, info, biasActivationEpilogue([2, 9, 9, 12], 12, null));
          const mmShape = { batch: 2, batchA: 2, batchB: 1, m: 70, n: 36, k: 40, transposeA: false, transposeB: false };
          const mmProblem = matMulProblem(tf.tensor3d(a, [2, 70, 40]) as unknown as TensorInfo, tf.tensor2d(b, [40, 36]) as unknown as TensorInfo, mmShape, biasActivationEpilogue([2, 70, 36], 36, null));
          const bk = GEMM_TILES[tile].bk;
          const run = (p: typeof convProblem) => {
            const kChunk = Math.ceil(p.k / splits / bk) * bk;
            const [out] = runGemm(backend, p, { tile, splits: Math.ceil(p.k / kChunk), kChunk });
            return tf.engine().makeTensorFromTensorInfo(out);
          };
          return [run(convProblem), run(mmProblem)];
        });
        const [gotConv, gotMatMul] = (await Promise.all([conv.data(), matmul.data()])) as Float32Array[];
        tf.dispose([conv, matmul]);
        expect(maxRelativeError(gotConv, expectedConv), `${tile} conv, ${splits} splits`).toBeLessThan(TOLERANCE);
        expect(maxRelativeError(gotMatMul, expectedMatMul), `${tile} matmul, ${splits} splits`).toBeLessThan(TOLERANCE);
      }
    });
  }

  it('a forced split on the filter gradient sums its splits', async () => {
    const x = randomValues(3 * 8 * 8 * 4, 5);
    const dy = randomValues(3 * 8 * 8 * 8, 6);
    // ∂Σ(conv(x, w) ⊙ dy)/∂w is the filter gradient for dy.
    const [expected] = await computeOn('cpu', () => [
      tf.grad((w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(tf.tensor4d(x, [3, 8, 8, 4]), w as tf.Tensor4D, 1, 'same'), tf.tensor4d(dy, [3, 8, 8, 8]))))(tf.zeros([3, 3, 4, 8])),
    ]);
    await tf.setBackend('webgpu');
    const info = tf.backend_util.computeConv2DInfo([3, 8, 8, 4], [3, 3, 4, 8], 1, 1, 'same');
    const dw = tf.tidy(() => {
      const problem = convFilterGradientProblem(tf.tensor4d(x, [3, 8, 8, 4]) as unknown as TensorInfo, tf.tensor4d(dy, [3, 8, 8, 8]) as unknown as TensorInfo, info, biasActivationEpilogue([3, 3, 4, 8], 8, null));
      return tf.engine().makeTensorFromTensorInfo(runGemm(webgpuBackend(), problem, { tile: 'small', splits: 5, kChunk: 48 })[0]);
    });
    expect(maxRelativeError((await dw.data()) as Float32Array, expected)).toBeLessThan(TOLERANCE);
    dw.dispose();
  });
});
