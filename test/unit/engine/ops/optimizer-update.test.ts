// The OptimizerUpdate op (one kernel per parameter tensor) must apply PyTorch's
// rules as the tf-ops composite does: the cpu kernel (the reference) against the
// composite, and the wasm kernel against the cpu kernel, for every algorithm
// with its options, over a few steps so the slots carry state; 37 elements, so
// the wasm kernel's SIMD pass and its scalar tail both run. The reference rounds
// once per output, the composite and SIMD after every operation: 1e-4 apart.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src-main/engine/backend/select-backend';
import { OPTIMIZER_UPDATE, optimizerUpdate, slotCount, type OptimizerUpdateAttrs } from '../../../../src-main/engine/ops/optimizer-update';
import { maxRelativeError, randomValues, runOn } from '../backend/backend-helpers';
import { OPTIMIZER_CASES } from './optimizer-cases';

const SIZE = 37; // not a multiple of 4
const cases = OPTIMIZER_CASES;

/** Three updates from the same start; the final param and slots. With `composite`, the tf-ops rules on a backend without the kernel. */
function threeSteps(attrs: Omit<OptimizerUpdateAttrs, 'step'>, composite: boolean): tf.Tensor[] {
  const kernel = tf.getKernel(OPTIMIZER_UPDATE, tf.getBackend());
  if (composite && kernel) tf.unregisterKernel(OPTIMIZER_UPDATE, tf.getBackend());
  try {
    let param: tf.Tensor = tf.tensor1d(randomValues(SIZE, 1));
    let slots: tf.Tensor[] = Array.from({ length: slotCount(attrs) }, (_, i) => tf.tensor1d(randomValues(SIZE, 2 + i).map(Math.abs)));
    for (let step = 1; step <= 3; step++) {
      const grad = tf.tensor1d(randomValues(SIZE, 10 + step));
      [param, ...slots] = optimizerUpdate(param, grad, slots, { ...attrs, step });
    }
    return [param, ...slots];
  } finally {
    if (composite && kernel) tf.registerKernel(kernel);
  }
}

describe('OptimizerUpdate', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  for (const c of cases) {
    it(`${c.name}: the cpu kernel applies the composite's rules, and the wasm kernel the cpu kernel's`, async () => {
      const composite = await runOn('cpu', () => threeSteps(c.attrs, true));
      const cpu = await runOn('cpu', () => threeSteps(c.attrs, false));
      const wasm = await runOn('wasm', () => threeSteps(c.attrs, false));
      expect(cpu).toHaveLength(1 + slotCount(c.attrs));
      cpu.forEach((values, i) => {
        expect(maxRelativeError(values, composite[i]), `output ${i} vs composite`).toBeLessThan(1e-4);
        expect(maxRelativeError(wasm[i], values), `output ${i} wasm vs cpu`).toBeLessThan(1e-4);
      });
      // The parameters moved.
      expect(maxRelativeError(cpu[0], randomValues(SIZE, 1))).toBeGreaterThan(1e-3);
    });
  }
});
