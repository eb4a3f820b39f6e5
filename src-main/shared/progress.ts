// What a training run reports while it runs: a discriminated union emitted by the
// engine's train(), carried over the worker process boundary as-is, persisted by
// the service and pushed to the UI. Step metrics come batched (one message per
// ~250 ms tick), so volume stays low even at thousands of steps per second.
import { z } from 'zod';
import { PARALLEL_USED } from './parallelism';
import { EARLY_STOPPING_METRICS } from './run-config';

// The records a run reports (environment, dataset, samples, steps, epochs, the
// summary) are zod schemas and their types are inferred from them, so what the
// engine writes and what a .kervrun bundle accepts (service/bundle-schema.ts
// derives its checks from these) cannot drift apart.
const count = z.number().int().min(0);
/** A measured value. The engine may emit NaN (a diverging loss); JSON writes NaN and ±Infinity as null. */
const measure = z.number();

/** Where and how a run executes: reported once per run (and again on resume). */
export const runEnvironmentSchema = z.strictObject({
  /** The tfjs backend actually in use: 'tensorflow' | 'wasm' | 'cpu' | ... */
  backend: z.string().max(200),
  /** GPU name when on a GPU, otherwise the CPU model. */
  device: z.string().max(500),
  /** Threads the backend computes with. */
  threads: count,
  /** How those threads share the work (shared/parallelism.ts); absent in runs recorded before it was. */
  parallel: z.enum(PARALLEL_USED).optional(),
  tfjsVersion: z.string().max(100),
  appVersion: z.string().max(100),
  os: z.string().max(500),
  nodeVersion: z.string().max(100),
});
export type RunEnvironment = z.infer<typeof runEnvironmentSchema>;

export const datasetInfoSchema = z.strictObject({
  name: z.string().max(200),
  /** Short hash of the files the data came from, so results can be traced to the exact data. */
  fingerprint: z.string().max(200),
  inputShape: z.tuple([count, count, count]),
  classNames: z.array(z.string().max(500)),
  trainSize: count,
  validationSize: count,
  testSize: count,
  /** Per-channel statistics of the training split, used for normalisation. */
  mean: z.array(measure),
  std: z.array(measure),
});
export type DatasetInfo = z.infer<typeof datasetInfoSchema>;

/** One image of the fixed sample set (the same images every epoch and every run with that dataset and split, whatever the seed). */
export const sampleImageSchema = z.strictObject({
  sampleIndex: count,
  /**
   * The image's index in the dataset file it comes from: the training file for a
   * validation sample, the test file when there is no validation split. (Runs
   * recorded before the sample pool existed stored the position in their split.)
   */
  datasetIndex: count,
  label: count,
  /** PNG, base64, un-normalised pixels. */
  pngBase64: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64'),
});
export type SampleImage = z.infer<typeof sampleImageSchema>;

/**
 * How many leading images two runs' sample sets share (the same picture with the
 * same label at the same place): their predictions can be set side by side on
 * those. Runs of one dataset and split share the whole shorter set.
 */
export function commonSampleCount(a: readonly SampleImage[], b: readonly SampleImage[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n].label === b[n].label && a[n].pngBase64 === b[n].pngBase64) n++;
  return n;
}

export const samplePredictionSchema = z.strictObject({
  sampleIndex: count,
  /** Top-3 classes by probability, most probable first. */
  top: z.array(z.strictObject({ classIndex: count, probability: measure })),
  /** Cross-entropy of the true label. */
  loss: measure,
});
export type SamplePrediction = z.infer<typeof samplePredictionSchema>;

export const stepMetricsSchema = z.strictObject({
  /** Global step, 1-based, counted across epochs. */
  step: count,
  /** 1-based epoch the step belongs to. */
  epoch: count,
  loss: measure,
  accuracy: measure,
  learningRate: measure,
  imagesPerSecond: measure,
  /** Milliseconds since the run (first) started, excluding time spent stopped. */
  wallTimeMs: measure,
});
export type StepMetrics = z.infer<typeof stepMetricsSchema>;

export const epochMetricsSchema = z.strictObject({
  epoch: count,
  /** Global step at the end of this epoch. */
  step: count,
  trainLoss: measure,
  trainAccuracy: measure,
  validationLoss: measure.nullable(),
  validationAccuracy: measure.nullable(),
  /** Accuracy per class on the validation split (or test set when there is none). */
  perClassAccuracy: z.array(measure),
  /** confusion[trueClass][predictedClass] = count. */
  confusion: z.array(z.array(count)),
  samplePredictions: z.array(samplePredictionSchema),
  durationMs: measure,
  wallTimeMs: measure,
});
export type EpochMetrics = z.infer<typeof epochMetricsSchema>;

export const trainSummarySchema = z.strictObject({
  epochs: count,
  steps: count,
  finalTrainLoss: measure,
  finalTrainAccuracy: measure,
  bestValidationAccuracy: measure.nullable(),
  finalValidationAccuracy: measure.nullable(),
  testLoss: measure.nullable(),
  testAccuracy: measure.nullable(),
  parameterCount: count,
  trainingTimeMs: measure,
  /**
   * Final values of the kernel parameters held as weights (learned, or chosen by
   * 'auto'), named as in the scalars: kernel/<layer>/<param> or
   * kernel/<layer>/<param>/{mean,min,max}. Absent when every parameter is a config number.
   */
  kernelParameters: z.record(z.string().max(200), measure).optional(),
  /** How early stopping went, in a run configured with it. */
  earlyStopping: z
    .strictObject({
      metric: z.enum(EARLY_STOPPING_METRICS),
      /** The epoch after which the run stopped; null when it trained every epoch. */
      stoppedAtEpoch: count.nullable(),
      bestEpoch: count.nullable(),
      bestValue: measure.nullable(),
      /** Why it stopped, e.g. "validation accuracy did not improve for 3 epochs (best 87.10% at epoch 4)". */
      reason: z.string().max(500).nullable(),
    })
    .optional(),
  /** Present when ASHA (a sweep's rungs, shared/asha.ts) stopped the run: where, on what value, below which cutoff. */
  asha: z
    .strictObject({
      metric: z.enum(EARLY_STOPPING_METRICS),
      /** The rung epoch after which the run stopped. */
      stoppedAtEpoch: count,
      /** The run's value of the metric there (null: not a number). */
      value: measure.nullable(),
      /** The line it had to reach: the (1 − 1/eta) quantile of the values other runs recorded at the rung. */
      cutoff: measure,
      eta: count,
    })
    .optional(),
  /** The weights the test set was evaluated on: the last epoch's, or the best epoch's (earlyStopping.restoreBest). Absent: the last. */
  testedOn: z.strictObject({ model: z.enum(['best', 'last']), epoch: count }).optional(),
});
export type TrainSummary = z.infer<typeof trainSummarySchema>;

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
