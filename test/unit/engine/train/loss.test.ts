import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src-main/engine/backend/select-backend';
import { batchAccuracy, crossEntropyLoss } from '../../../../src-main/engine/train/loss';
import { clipByGlobalNorm } from '../../../../src-main/engine/train/step';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('cross-entropy with label smoothing', () => {
  const logits = [
    [2, 0, -1],
    [0.5, 0.5, 3],
  ];
  const labels = [0, 1];
  // Hand computation: target = (1 - ε)·onehot + ε/K; loss = -Σ target · log softmax.
  function expected(eps: number): number {
    let total = 0;
    logits.forEach((row, n) => {
      const lse = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
      row.forEach((v, k) => {
        const target = (k === labels[n] ? 1 - eps : 0) + eps / row.length;
        total -= target * (v - lse);
      });
    });
    return total / logits.length;
  }

  it.each([0, 0.1, 0.3])('matches the hand-computed value for ε = %s', async (eps) => {
    const loss = crossEntropyLoss(tf.tensor2d(logits), tf.tensor1d(labels, 'int32'), eps);
    expect((await loss.data())[0]).toBeCloseTo(expected(eps), 5);
  });

  it('smoothing raises the loss of a confident correct prediction', async () => {
    const confident = tf.tensor2d([[10, 0, 0]]);
    const y = tf.tensor1d([0], 'int32');
    const plain = (await crossEntropyLoss(confident, y, 0).data())[0];
    const smoothed = (await crossEntropyLoss(confident, y, 0.1).data())[0];
    expect(plain).toBeLessThan(1e-3);
    expect(smoothed).toBeGreaterThan(0.5);
  });

  it('accuracy counts argmax hits', async () => {
    expect((await batchAccuracy(tf.tensor2d(logits), tf.tensor1d([0, 2], 'int32')).data())[0]).toBe(1);
    expect((await batchAccuracy(tf.tensor2d(logits), tf.tensor1d(labels, 'int32')).data())[0]).toBe(0.5);
  });
});

describe('global gradient-norm clipping', () => {
  it('scales all gradients together when the global norm exceeds the limit', async () => {
    const [a, b] = clipByGlobalNorm([tf.tensor1d([3]), tf.tensor2d([[4, 0]])], 1);
    expect(Array.from(await a.data())[0]).toBeCloseTo(0.6, 5);
    expect(Array.from(await b.data())).toEqual([expect.closeTo(0.8, 5), 0]);
  });

  it('leaves gradients below the limit unchanged', async () => {
    const [a] = clipByGlobalNorm([tf.tensor1d([0.3, 0.4])], 1);
    expect(Array.from(await a.data())).toEqual([expect.closeTo(0.3, 5), expect.closeTo(0.4, 5)]);
  });
});
