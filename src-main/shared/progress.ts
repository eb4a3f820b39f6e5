// What a training run reports while it runs: a discriminated union emitted by the
// engine's train(), carried over the worker process boundary as-is, persisted by
// the service and pushed to the UI. Step metrics come batched (one message per
// ~250 ms tick), so volume stays low even at thousands of steps per second.
import type { ParallelMode } from './parallelism';

/** Where and how a run executes: reported once per run (and again on resume). */
export interface RunEnvironment {
  /** The tfjs backend actually in use: 'tensorflow' | 'wasm' | 'cpu' | ... */
  backend: string;
  /** GPU name when on a GPU, otherwise the CPU model. */
  device: string;
  /** Threads the backend computes with. */
  threads: number;
  /** How those threads share the work (shared/parallelism.ts); absent in runs recorded before it was. */
  parallel?: ParallelMode;
  tfjsVersion: string;
  appVersion: string;
  os: string;
  nodeVersion: string;
}

export interface DatasetInfo {
  name: string;
  /** Short hash of the files the data came from, so results can be traced to the exact data. */
  fingerprint: string;
  inputShape: [number, number, number];
  classNames: string[];
  trainSize: number;
  validationSize: number;
  testSize: number;
  /** Per-channel statistics of the training split, used for normalisation. */
  mean: number[];
  std: number[];
}

/** One image of the fixed sample set (the same images every epoch and every run with that dataset and seed). */
export interface SampleImage {
  sampleIndex: number;
  /** Index into the validation split (or the test set when there is no validation split). */
  datasetIndex: number;
  label: number;
  /** PNG, base64, un-normalised pixels. */
  pngBase64: string;
}

export interface SamplePrediction {
  sampleIndex: number;
  /** Top-3 classes by probability, most probable first. */
  top: { classIndex: number; probability: number }[];
  /** Cross-entropy of the true label. */
  loss: number;
}

export interface StepMetrics {
  /** Global step, 1-based, counted across epochs. */
  step: number;
  /** 1-based epoch the step belongs to. */
  epoch: number;
  loss: number;
  accuracy: number;
  learningRate: number;
  imagesPerSecond: number;
  /** Milliseconds since the run (first) started, excluding time spent stopped. */
  wallTimeMs: number;
}

export interface EpochMetrics {
  epoch: number;
  /** Global step at the end of this epoch. */
  step: number;
  trainLoss: number;
  trainAccuracy: number;
  validationLoss: number | null;
  validationAccuracy: number | null;
  /** Accuracy per class on the validation split (or test set when there is none). */
  perClassAccuracy: number[];
  /** confusion[trueClass][predictedClass] = count. */
  confusion: number[][];
  samplePredictions: SamplePrediction[];
  durationMs: number;
  wallTimeMs: number;
}

export interface TrainSummary {
  epochs: number;
  steps: number;
  finalTrainLoss: number;
  finalTrainAccuracy: number;
  bestValidationAccuracy: number | null;
  finalValidationAccuracy: number | null;
  testLoss: number | null;
  testAccuracy: number | null;
  parameterCount: number;
  trainingTimeMs: number;
  /**
   * Final values of the learned kernel parameters (model.kernel.learnable), named
   * as in the scalars: kernel/<layer>/<param> or kernel/<layer>/<param>/{mean,min,max}.
   * Absent when the kernel's parameters are fixed.
   */
  kernelParameters?: Record<string, number>;
}

/**
 * Named scalar series sampled while a run trains: how a researcher finds out why
 * a network does not learn, and what the run costs the machine. Names are
 * slash-separated paths whose first segment is the family (TensorBoard's
 * convention), so a view can ask for one family at a time:
 *   kernel/<layer>/<param>             learnable kernel parameter (c, d, gamma), scalar
 *   kernel/<layer>/<param>/{mean,min,max}  the same, one value per output channel
 *   weight_norm/<layer>, grad_norm/<layer>  L2 norms of a layer's weights / gradients
 *   activation/<layer>/{mean,std}       statistics of a layer's output
 *   system/{cpu_percent,rss_mb,gpu_mb}  the training process (gpu_mb: GPU memory in use)
 */
export interface ScalarSample {
  /** Global step, 1-based, the values were taken at. */
  step: number;
  wallTimeMs: number;
  values: Record<string, number>;
}

export type TrainProgress =
  | {
      type: 'started';
      environment: RunEnvironment;
      dataset: DatasetInfo;
      parameterCount: number;
      stepsPerEpoch: number;
      totalSteps: number;
      /** Step the run starts from: 0 for a new run, the checkpoint's step on resume. */
      startStep: number;
      samples: SampleImage[];
    }
  | { type: 'steps'; steps: StepMetrics[] }
  | { type: 'scalars'; samples: ScalarSample[] }
  | { type: 'epoch'; metrics: EpochMetrics }
  | { type: 'checkpoint'; epoch: number; step: number; path: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'completed'; summary: TrainSummary };

/** How a call to train() ended. Divergence and cancellation are outcomes, not crashes. */
export type TrainOutcome =
  | { status: 'completed'; summary: TrainSummary }
  | { status: 'cancelled'; epoch: number; step: number }
  | { status: 'diverged'; reason: string; epoch: number; step: number };
