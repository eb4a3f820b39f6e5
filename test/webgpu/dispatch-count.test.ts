// Issue 20's dispatch target, guarded: one ResNet-18 training step (SGD with
// momentum, 32×32×3, the engine's own step and optimiser) records at most 455
// compute dispatches on webgpu (tfjs-webgpu 4.22 alone: 1367). A count is
// deterministic, so it can be a test; the speed it buys is a benchmark
// (bench/gpu). Counted on Dawn's null backend: the same commands are recorded as on
// a GPU, none is executed, so the full-width model takes seconds, not SwiftShader's
// hour. Batch 8: the null device holds at most 512 MiB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src-main/engine/backend/select-backend';
import { countDispatches } from '../../src-main/engine/backend/webgpu-dispatches';
import { buildStep, syntheticBatch } from '../../bench/gpu/step-cases';
import { hasSoftwareVulkan } from './software-vulkan';

const TARGET = 455;

describe.skipIf(!hasSoftwareVulkan())("dispatches per ResNet-18 training step on webgpu (Dawn's null backend)", () => {
  beforeAll(async () => {
    const selection = await initBackend('webgpu', { webgpu: { backend: 'null' } });
    expect(selection.device).toBe('null-backend');
  });
  afterAll(() => tf.disposeVariables());

  for (const name of ['resnet18', 'resnet18-adam'] as const) {
    it(`${name}: at most ${TARGET}`, async () => {
      const built = buildStep(name, { size: 32, resnetWidth: 1 });
      const { x, y } = syntheticBatch(8, 32);
      const first = built.step(x, y, 0.01); // compiles the pipelines; the step after it is the steady state
      await first.data();
      first.dispose();
      const { result, count } = countDispatches(() => built.step(x, y, 0.01));
      await result.data();
      result.dispose();
      tf.dispose([x, y]);
      built.dispose();
      expect(count.total, JSON.stringify(count.byProgram)).toBeLessThanOrEqual(TARGET);
      // One fused update per parameter tensor (62), not ~4 (SGD) or ~14 (Adam) element-wise ops.
      expect(count.byProgram.optimizer).toBe(62);
    });
  }
});
