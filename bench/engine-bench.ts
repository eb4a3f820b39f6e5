// Section a: one training step of the reference CNN on our engine (forward +
// backward + SGD-momentum update), for the ordinary convolution and each kernel,
// in one of the product's thread layouts (shared/parallelism.ts): the product's
// own data-parallel group (engine/parallel/data-parallel.ts: replica threads,
// shards, synchronised batch norm), threaded XNNPACK, or one thread. Each variant
// runs in a fresh process (see run.ts) so its peak RSS and the wasm heap (which
// only grows) belong to that variant alone.
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src-main/engine/backend/select-backend';
import { optimizerConfigSchema, type BackendChoice } from '../src-main/shared/run-config';
import { TrainOptimizer } from '../src-main/engine/train/optimizer';
import { makeTrainStep, trainableVariables } from '../src-main/engine/train/step';
import { DataParallelGroup } from '../src-main/engine/parallel/data-parallel';
import { Rng } from '../src-main/engine/random';
import type { ParallelMode } from '../src-main/shared/parallelism';
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
  /** How the threads shared the step. */
  parallel: ParallelMode;
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
  const dataParallel = options.parallel === 'data' && options.threads > 1;
  const selection = await initBackend(options.backend as BackendChoice, { threads: dataParallel ? 1 : options.threads });
  // The profiler would otherwise download every kernel output to check for NaN.
  tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', false);
  const model = buildReferenceCnn(variant, { imageSize: options.imageSize, channels: options.channels, classes: options.classes });
  // The product's own step and optimiser, with bench/torch_baseline.py's recipe: SGD, lr 0.01, momentum 0.9
  // (not the run-config default, Adam, whose update is ~3× the element-wise work).
  const optimizer = new TrainOptimizer(optimizerConfigSchema.parse({ type: 'sgd', lr: 0.01, momentum: 0.9 }), trainableVariables(model));
  const stepOptions = { labelSmoothing: 0, gradClipNorm: null };
  const trainStep = makeTrainStep(model, optimizer, stepOptions);
  const learningRate = optimizer.config.lr;
  // One fixed batch: the step is measured, not data loading.
  const x = tf.randomNormal([options.batch, options.imageSize, options.imageSize, options.channels], 0, 1, 'float32', 1) as tf.Tensor4D;
  const labels = tf.randomUniform([options.batch], 0, options.classes, 'int32', 2) as tf.Tensor1D;

  let lastLoss = Number.NaN;
  const singleStep = () => {
    const metrics = trainStep(x, labels, learningRate);
    lastLoss = metrics.dataSync()[0];
    metrics.dispose();
  };

  // Where the time goes: one step of the whole batch on one engine, under tf.profile
  // (a data-parallel step is the same ops on shards, on several threads at once).
  // Warm steps first: the first ones pay for V8 compiling the wasm kernels and for
  // first-use allocations (batch norm's and max-pool's gradients read 10-20x their
  // steady time there), which is not where a training run's time goes.
  for (let i = 0; i < 2; i++) singleStep();
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
  const whole = await profileKernels(singleStep);
  const split = forward.kernels.length;
  const forwardKernels = sumByName(whole.kernels.slice(0, split));
  const backwardKernels = sumByName(whole.kernels.slice(split));
  const total = (list: KernelTime[]) => list.reduce((s, k) => s + k.ms, 0);

  let group: DataParallelGroup | null = null;
  let step = singleStep;
  if (dataParallel) {
    // The product's data-parallel path, as a run drives it (step-runner.ts).
    group = await DataParallelGroup.start(model, {
      replicas: options.threads,
      maxBatch: options.batch,
      inputShape: [options.imageSize, options.imageSize, options.channels],
      numClasses: options.classes,
      labelSmoothing: 0,
      diagnostics: false,
    });
    const batch = { x: x.dataSync() as Float32Array, y: labels.dataSync() as Int32Array, shape: x.shape as [number, number, number, number] };
    const opsRng = new Rng(1);
    const running = group;
    step = () => {
      const { metrics } = running.step(batch, optimizer, stepOptions, learningRate, opsRng, null);
      lastLoss = metrics.dataSync()[0];
      metrics.dispose();
    };
  }
  try {
    const stepMs = timeWithBudget(step, options.warmupSteps, options.steps, options.slowStepMs);
    const residentTensorBytes = tf.memory().numBytes - x.size * 4 - labels.size * 4;
    return {
      variant,
      backend: selection.backend,
      device: selection.device,
      threads: dataParallel ? options.threads : selection.threads,
      parallel: dataParallel ? 'data' : selection.threads > 1 ? 'xnnpack' : 'none',
      stepMs,
      medianStepMs: median(stepMs),
      peakTensorBytes: whole.peakBytes,
      residentTensorBytes,
      rssBytes: process.memoryUsage().rss,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      profile: { forwardMs: total(forwardKernels), backwardMs: total(backwardKernels), forwardKernels, backwardKernels },
      finalLoss: lastLoss,
    };
  } finally {
    await group?.dispose();
    tf.dispose([x, labels]);
    model.dispose();
  }
}
