// Section a: one training step of the reference CNN on our engine (forward +
// backward + SGD-momentum update), for the ordinary convolution and each kernel.
// Each variant runs in a fresh process (see run.ts) so its peak RSS and the wasm
// heap (which only grows) belong to that variant alone.
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src-main/engine/backend/select-backend';
import { optimizerConfigSchema, type BackendChoice } from '../src-main/shared/run-config';
import { TrainOptimizer } from '../src-main/engine/train/optimizer';
import { makeTrainStep, trainableVariables } from '../src-main/engine/train/step';
import { batchAccuracy, crossEntropyLoss } from '../src-main/engine/train/loss';
import { buildReferenceCnn } from './reference-cnn';
import type { BenchOptions, ConvVariant } from './options';
import { median, timeWithBudget } from './stats';
import { profileKernels, type KernelRecord } from './kernel-profiler';

export interface KernelTime {
  name: string;
  ms: number;
  calls: number;
}

/** Where one step's time goes, from tf.profile: forward (up to the loss) and backward + update. */
export interface StepProfile {
  forwardMs: number;
  backwardMs: number;
  forwardKernels: KernelTime[];
  backwardKernels: KernelTime[];
}

export interface EngineResult {
  variant: ConvVariant;
  backend: string;
  device: string;
  threads: number;
  stepMs: number[];
  medianStepMs: number;
  /** Highest tf.memory().numBytes seen during one profiled step. */
  peakTensorBytes: number;
  /** Tensor bytes held between steps (weights, optimizer state). */
  residentTensorBytes: number;
  rssBytes: number;
  maxRssBytes: number;
  profile: StepProfile;
  finalLoss: number;
}

/**
 * Sums kernel time by name; convolution kernels are also keyed by their input
 * shape, which tells the three layers of the reference CNN apart.
 */
function sumByName(kernels: KernelRecord[]): KernelTime[] {
  const byName = new Map<string, KernelTime>();
  for (const k of kernels) {
    const name = /conv/i.test(k.name) ? `${k.name}[${k.inputShapes[0]?.join('×') ?? ''}]` : k.name;
    const entry = byName.get(name) ?? { name, ms: 0, calls: 0 };
    entry.ms += k.ms;
    entry.calls += 1;
    byName.set(name, entry);
  }
  return [...byName.values()].sort((a, b) => b.ms - a.ms);
}

export async function measureEngineVariant(variant: ConvVariant, options: BenchOptions): Promise<EngineResult> {
  const selection = await initBackend(options.backend as BackendChoice, { threads: options.threads });
  // The profiler would otherwise download every kernel output to check for NaN.
  tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', false);
  const model = buildReferenceCnn(variant, { imageSize: options.imageSize, channels: options.channels, classes: options.classes });
  // The product's own step and optimiser (SGD, momentum 0.9: the run-config default).
  const optimizer = new TrainOptimizer(optimizerConfigSchema.parse({}), trainableVariables(model));
  const trainStep = makeTrainStep(model, optimizer, { labelSmoothing: 0, gradClipNorm: null });
  const learningRate = optimizer.config.lr;
  // One fixed batch: the step is measured, not data loading.
  const x = tf.randomNormal([options.batch, options.imageSize, options.imageSize, options.channels], 0, 1, 'float32', 1) as tf.Tensor4D;
  const labels = tf.randomUniform([options.batch], 0, options.classes, 'int32', 2) as tf.Tensor1D;

  let lastLoss = Number.NaN;
  const step = () => {
    const metrics = trainStep(x, labels, learningRate);
    lastLoss = metrics.dataSync()[0];
    metrics.dispose();
  };
  const stepMs = timeWithBudget(step, options.warmupSteps, options.steps, options.slowStepMs);
  const residentTensorBytes = tf.memory().numBytes - x.size * 4 - labels.size * 4;

  // The step runs the forward exactly as below (logits, accuracy, loss) before any
  // gradient kernel, so its first `forward.kernels.length` kernels are the forward.
  const forward = await profileKernels(() =>
    tf.tidy(() => {
      const logits = model.apply(x, { training: true }) as tf.Tensor2D;
      batchAccuracy(logits, labels);
      return crossEntropyLoss(logits, labels);
    }),
  );
  forward.result.dispose();
  const whole = await profileKernels(step);
  const split = forward.kernels.length;
  const forwardKernels = sumByName(whole.kernels.slice(0, split));
  const backwardKernels = sumByName(whole.kernels.slice(split));
  const total = (list: KernelTime[]) => list.reduce((s, k) => s + k.ms, 0);

  const result: EngineResult = {
    variant,
    backend: selection.backend,
    device: selection.device,
    threads: selection.threads,
    stepMs,
    medianStepMs: median(stepMs),
    peakTensorBytes: whole.peakBytes,
    residentTensorBytes,
    rssBytes: process.memoryUsage().rss,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    profile: { forwardMs: total(forwardKernels), backwardMs: total(backwardKernels), forwardKernels, backwardKernels },
    finalLoss: lastLoss,
  };
  tf.dispose([x, labels]);
  model.dispose();
  return result;
}
