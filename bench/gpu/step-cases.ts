// The training steps the GPU benchmarks measure, built the same way everywhere
// (bench/gpu/webgpu-step.ts times them, bench/gpu/profile.ts profiles them, the
// dispatch-count test counts them): the reference CNN and the engine's ResNet-18 on
// 32×32×3, through the engine's own step and optimiser, from seeded weights.
import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../../src-main/engine/models/build-model';
import { Rng } from '../../src-main/engine/random';
import { TrainOptimizer } from '../../src-main/engine/train/optimizer';
import { withSeededMathRandom } from '../../src-main/engine/train/seeded-random';
import { makeTrainStep, trainableVariables, type TrainStep } from '../../src-main/engine/train/step';
import { modelConfigSchema, optimizerConfigSchema, type OptimizerConfig } from '../../src-main/shared/run-config';
import { buildReferenceCnn } from '../reference-cnn';

/** The issue-20 set: ResNet-18 with SGD + momentum, with Adam, with a polynomial kervolution in every layer, and the reference CNN. */
export const STEP_CASES = ['resnet18', 'resnet18-adam', 'resnet18-polynomial', 'reference-cnn'] as const;
export type StepCase = (typeof STEP_CASES)[number];

export interface StepCaseOptions {
  /** Square input size (32 for the benchmark). */
  size: number;
  /** ResNet-18's width multiplier (1 for the benchmark). */
  resnetWidth: number;
}

export interface BuiltStep {
  model: tf.LayersModel;
  optimizer: TrainOptimizer;
  step: TrainStep;
  dispose(): void;
}

const SGD: OptimizerConfig = optimizerConfigSchema.parse({ type: 'sgd', lr: 0.01, momentum: 0.9 });
const ADAM: OptimizerConfig = optimizerConfigSchema.parse({ type: 'adam', lr: 0.001 });

export function parseStepCases(list: string): StepCase[] {
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of names) {
    if (!(STEP_CASES as readonly string[]).includes(name)) throw new Error(`--models: unknown model ${JSON.stringify(name)}; allowed: ${STEP_CASES.join(', ')}`);
  }
  return names as StepCase[];
}

function buildCaseModel(name: StepCase, { size, resnetWidth }: StepCaseOptions): tf.LayersModel {
  return withSeededMathRandom(new Rng(0), () => {
    if (name === 'reference-cnn') return buildReferenceCnn('conv', { imageSize: size, channels: 3, classes: 10 });
    const kernel = name === 'resnet18-polynomial' ? { kernel: { type: 'polynomial' }, kervLayers: 'all' } : {};
    return buildModel(modelConfigSchema.parse({ arch: 'resnet18', widthMultiplier: resnetWidth, ...kernel }), { inputShape: [size, size, 3], numClasses: 10 });
  });
}

/** The model, its optimiser (SGD with momentum 0.9, or Adam) and the engine's training step over them. */
export function buildStep(name: StepCase, options: StepCaseOptions): BuiltStep {
  const model = buildCaseModel(name, options);
  const optimizer = new TrainOptimizer(name === 'resnet18-adam' ? ADAM : SGD, trainableVariables(model));
  const step = makeTrainStep(model, optimizer, { labelSmoothing: 0, gradClipNorm: null });
  return {
    model,
    optimizer,
    step,
    dispose() {
      optimizer.dispose();
      model.dispose();
    },
  };
}

/** A seeded batch of n images in [-1, 1) and labels in 0..9. */
export function syntheticBatch(n: number, size: number): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const rng = new Rng(1);
  const x = tf.tensor4d(Float32Array.from({ length: n * size * size * 3 }, () => rng.next() * 2 - 1), [n, size, size, 3]);
  const y = tf.tensor1d(Int32Array.from({ length: n }, () => Math.floor(rng.next() * 10)), 'int32');
  return { x, y };
}
