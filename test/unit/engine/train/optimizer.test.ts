// Reference values come from PyTorch 1.13's torch.optim on the same problem
// (loss = w² + b², w a 1×1 matrix with weight decay, b a bias without), computed
// once with /usr/bin/python3 and written here.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src-main/engine/backend/select-backend';
import { optimizerConfigSchema, type OptimizerConfig } from '../../../../src-main/shared/run-config';
import { isDecayed, TrainOptimizer, type TrainableVariable } from '../../../../src-main/engine/train/optimizer';

beforeAll(async () => {
  await initBackend('wasm');
});

function wrap(v: tf.Variable): TrainableVariable {
  return { read: () => v, write: (t) => v.assign(t), shape: v.shape };
}

/** Runs `steps` updates on loss = w² + b² (or a zero loss) and returns [w, b] after each. */
function run(config: Partial<OptimizerConfig>, steps: number, zeroGradient = false) {
  const w = tf.variable(tf.tensor2d([[1]]));
  const b = tf.variable(tf.tensor1d([1]));
  const opt = new TrainOptimizer(optimizerConfigSchema.parse(config), [wrap(w), wrap(b)]);
  const history: [number, number][] = [];
  for (let i = 0; i < steps; i++) {
    tf.tidy(() => {
      const grads = [w, b].map((v) => (zeroGradient ? tf.zerosLike(v) : tf.mul(v, 2)));
      opt.applyGradients(grads, config.lr ?? 0.1);
    });
    history.push([w.dataSync()[0], b.dataSync()[0]]);
  }
  opt.dispose();
  w.dispose();
  b.dispose();
  return history;
}

function expectHistory(actual: [number, number][], expected: [number, number][]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach(([w, b], i) => {
    expect(w).toBeCloseTo(expected[i][0], 5);
    expect(b).toBeCloseTo(expected[i][1], 5);
  });
}

describe('TrainOptimizer against torch.optim', () => {
  it('SGD with momentum', () => {
    expectHistory(run({ type: 'sgd', lr: 0.1, momentum: 0.9 }, 3), [
      [0.8, 0.8],
      [0.46, 0.46],
      [0.062, 0.062],
    ]);
  });

  it('SGD with Nesterov momentum', () => {
    expectHistory(run({ type: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true }, 3), [
      [0.62, 0.62],
      [0.2224, 0.2224],
      [-0.108352, -0.108352],
    ]);
  });

  it('SGD weight decay is coupled L2 and spares rank-1 variables (biases, BN)', () => {
    expectHistory(run({ type: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 0.1 }, 3, true), [
      [0.99, 1],
      [0.9711, 1],
      [0.944379, 1],
    ]);
  });

  it('Adam', () => {
    expectHistory(run({ type: 'adam', lr: 0.1 }, 3), [
      [0.9, 0.9],
      [0.800412, 0.800412],
      [0.701586, 0.701586],
    ]);
  });

  it('Adam weight decay goes through the gradient (and so is normalised by Adam)', () => {
    expectHistory(run({ type: 'adam', lr: 0.1, weightDecay: 0.1 }, 3, true), [
      [0.9, 1],
      [0.800412, 1],
      [0.701586, 1],
    ]);
  });

  it('AdamW decays the weights directly by lr × weightDecay, decoupled from the gradient', () => {
    expectHistory(run({ type: 'adamw', lr: 0.1, weightDecay: 0.1 }, 3, true), [
      [0.99, 1],
      [0.9801, 1],
      [0.970299, 1],
    ]);
    expectHistory(run({ type: 'adamw', lr: 0.1, weightDecay: 0.1 }, 3), [
      [0.89, 0.9],
      [0.781572, 0.800412],
      [0.675101, 0.701586],
    ]);
  });

  it('decays kernels (rank >= 2) only', () => {
    expect(isDecayed([3, 3, 1, 8])).toBe(true);
    expect(isDecayed([10, 4])).toBe(true);
    expect(isDecayed([8])).toBe(false);
    expect(isDecayed([])).toBe(false);
  });

  it('a state restored with setWeights continues exactly where the original left off', async () => {
    const config = optimizerConfigSchema.parse({ type: 'adamw', lr: 0.05, weightDecay: 0.01 });
    const make = () => {
      const w = tf.variable(tf.tensor2d([[1, -2]]));
      return { w, opt: new TrainOptimizer(config, [wrap(w)]) };
    };
    const step = (s: ReturnType<typeof make>) => tf.tidy(() => s.opt.applyGradients([tf.mul(s.w, 2)], 0.05));
    const a = make();
    for (let i = 0; i < 3; i++) step(a);
    const b = make();
    b.w.assign(a.w);
    const saved = a.opt.getWeights();
    await b.opt.setWeights(saved);
    tf.dispose(saved.map((s) => s.tensor));
    step(a);
    step(b);
    expect(Array.from(b.w.dataSync())).toEqual(Array.from(a.w.dataSync()));
    expect(b.opt.updatesApplied).toBe(4);
  });
});
