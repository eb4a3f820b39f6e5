// Runs with recorded data, written through the real store the way the service
// writes a training run's progress ('started', 'steps', 'scalars', 'epoch',
// 'completed' in per-batch transactions): the analysis screens need 20–24 runs
// with varied configs, predictions on one fixed sample set and diagnostic series,
// which training would take far too long to produce. The training path that
// produces such data is tested elsewhere (workbench.test.ts, live-sync.test.ts).
import { PNG } from 'pngjs';
import type { DatasetInfo, EpochMetrics, RunEnvironment, SampleImage, ScalarSample, StepMetrics, TrainProgress } from '../../src-main/shared/progress';
import { parseRunConfig, type RunConfigInput } from '../../src-main/shared/run-config';
import { configHash } from '../../src-main/service/run-identity';
import type { Store } from '../../src-main/store/store';

export const CLASS_NAMES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const SAMPLE_COUNT = 20;

/** A deterministic number in [0, 1) from integers (the "noise" of a recorded run). */
export function hash01(...values: number[]): number {
  let h = 2166136261;
  for (const v of values) {
    h ^= v + 0x9e3779b9;
    h = Math.imul(h, 16777619) >>> 0;
    h ^= h >>> 13;
  }
  return (h % 10_000) / 10_000;
}

/** A 28×28 grey image that differs per sample: a bar at a class-dependent angle. */
function samplePng(index: number, label: number): string {
  const png = new PNG({ width: 28, height: 28 });
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const angle = (label / 10) * Math.PI;
      const d = Math.abs((x - 14) * Math.sin(angle) - (y - 14) * Math.cos(angle));
      const v = d < 3 + (index % 3) ? 230 : 20;
      const o = (y * 28 + x) * 4;
      png.data[o] = png.data[o + 1] = png.data[o + 2] = v;
      png.data[o + 3] = 255;
    }
  }
  return PNG.sync.write(png).toString('base64');
}

/** The fixed sample set every recorded run shares (same dataset and split). */
export const SAMPLES: SampleImage[] = sampleSet(0);

/** A sample set; another `offset` gives other images (a run recorded before every seed shared its samples). */
export function sampleSet(offset: number): SampleImage[] {
  return Array.from({ length: SAMPLE_COUNT }, (_, i) => ({
    sampleIndex: i,
    datasetIndex: 100 + i * 7 + offset,
    label: i % 10,
    pngBase64: samplePng(i + offset, i % 10),
  }));
}

const ENVIRONMENT: RunEnvironment = { backend: 'wasm', device: 'recorded', threads: 1, tfjsVersion: '4.22.0', appVersion: '0.1.0', os: 'linux', nodeVersion: 'v20' };

export interface RecordedRun {
  name: string;
  config: RunConfigInput;
  groupId?: number;
  /** Accuracy the run reaches by its last epoch (validation, and test). */
  accuracy: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Diagnostic samples to write with the steps. */
  scalars?: (step: number, wallTimeMs: number) => Record<string, number>;
  /** Stop after this many steps (a run with one point). */
  onlySteps?: number;
  rename?: string;
  /** Leave config.name unset (an auto-named run). */
  autoNamed?: boolean;
  /** Its sample images (default SAMPLES, the set every other recorded run shares). */
  samples?: SampleImage[];
  /** The learning rate at a step (default the config's, constant). */
  learningRate?: (step: number) => number;
}

function confusion(accuracy: number, seed: number): number[][] {
  return CLASS_NAMES.map((_, t) =>
    CLASS_NAMES.map((__, p) => {
      const perClass = Math.min(0.99, Math.max(0.05, accuracy + (hash01(seed, t) - 0.5) * 0.2));
      if (p === t) return Math.round(100 * perClass);
      return p === (t + 1 + Math.floor(hash01(seed, t, 1) * 3)) % 10 ? Math.round(100 * (1 - perClass)) : 0;
    }),
  );
}

/** Writes one completed run through the store; returns its id. */
export function recordAnalysisRun(store: Store, run: RecordedRun): number {
  const epochs = run.epochs ?? 3;
  const stepsPerEpoch = run.stepsPerEpoch ?? 40;
  const totalSteps = epochs * stepsPerEpoch;
  const config = parseRunConfig(run.autoNamed ? run.config : { ...run.config, name: run.name });
  const id = store.runs.insert({ name: run.name, config, configHash: configHash(config), groupId: run.groupId ?? null });
  const validationSize = config.dataset.validationFraction > 0 ? 6000 : 0;
  const dataset: DatasetInfo = {
    name: config.dataset.name,
    fingerprint: 'recorded0000',
    inputShape: [28, 28, 1],
    classNames: CLASS_NAMES,
    trainSize: 60000 - validationSize,
    validationSize,
    testSize: 10000,
    mean: [0.286],
    std: [0.353],
  };
  const seed = id * 7919;
  store.transaction(() => store.runs.transition(id, 'running'));
  const samples = run.samples ?? SAMPLES;
  const batches: TrainProgress[][] = [[{ type: 'started', environment: ENVIRONMENT, dataset, parameterCount: 61706, stepsPerEpoch, totalSteps, startStep: 0, samples }]];
  const lastStep = run.onlySteps ?? totalSteps;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const steps: StepMetrics[] = [];
    const scalars: ScalarSample[] = [];
    for (let i = 1; i <= stepsPerEpoch; i++) {
      const step = (epoch - 1) * stepsPerEpoch + i;
      if (step > lastStep) break;
      const progress = step / totalSteps;
      const accuracy = run.accuracy * (1 - Math.exp(-4 * progress)) + (hash01(seed, step) - 0.5) * 0.06;
      const wallTimeMs = step * 37.5 + 1200;
      steps.push({ step, epoch, loss: 2.3 * Math.exp(-3 * progress * run.accuracy) + hash01(seed, step, 2) * 0.15, accuracy, learningRate: run.learningRate?.(step) ?? config.optimizer.lr, imagesPerSecond: 800 + hash01(seed, step, 3) * 100, wallTimeMs });
      if (run.scalars && step % 4 === 0) scalars.push({ step, wallTimeMs, values: run.scalars(step, wallTimeMs) });
    }
    const batch: TrainProgress[] = [{ type: 'steps', steps }];
    if (scalars.length > 0) batch.push({ type: 'scalars', samples: scalars });
    if (steps.length === stepsPerEpoch) {
      const accuracy = run.accuracy * (1 - Math.exp(-4 * (epoch / epochs))) / (1 - Math.exp(-4));
      const metrics: EpochMetrics = {
        epoch,
        step: epoch * stepsPerEpoch,
        trainLoss: 2.3 * Math.exp(-3 * (epoch / epochs) * run.accuracy),
        trainAccuracy: accuracy + 0.02,
        validationLoss: validationSize > 0 ? 2.4 * Math.exp(-3 * (epoch / epochs) * run.accuracy) : null,
        validationAccuracy: validationSize > 0 ? accuracy : null,
        perClassAccuracy: CLASS_NAMES.map((_, c) => Math.min(0.99, Math.max(0.05, accuracy + (hash01(seed, c) - 0.5) * 0.2))),
        confusion: confusion(accuracy, seed + epoch),
        samplePredictions: samples.map((s) => {
          const right = hash01(seed, s.sampleIndex, epoch) < accuracy;
          const classIndex = right ? s.label : (s.label + 1 + Math.floor(hash01(seed, s.sampleIndex) * 8)) % 10;
          const p = 0.5 + hash01(seed, s.sampleIndex, 5) * 0.45;
          return { sampleIndex: s.sampleIndex, top: [{ classIndex, probability: p }, { classIndex: (classIndex + 1) % 10, probability: (1 - p) * 0.7 }, { classIndex: (classIndex + 2) % 10, probability: (1 - p) * 0.2 }], loss: right ? -Math.log(p) : 2.5 };
        }),
        durationMs: stepsPerEpoch * 37.5,
        wallTimeMs: epoch * stepsPerEpoch * 37.5 + 1400,
      };
      batch.push({ type: 'epoch', metrics });
    }
    batches.push(batch);
  }
  if (lastStep >= totalSteps) {
    const finalAccuracy = run.accuracy;
    batches.push([
      {
        type: 'completed',
        summary: {
          epochs,
          steps: totalSteps,
          finalTrainLoss: 2.3 * Math.exp(-3 * run.accuracy),
          finalTrainAccuracy: finalAccuracy + 0.02,
          bestValidationAccuracy: validationSize > 0 ? finalAccuracy : null,
          finalValidationAccuracy: validationSize > 0 ? finalAccuracy : null,
          testLoss: 2.4 * Math.exp(-3 * run.accuracy),
          testAccuracy: finalAccuracy - 0.01,
          parameterCount: 61706,
          trainingTimeMs: totalSteps * 37.5 + 1400,
        },
      },
    ]);
  }
  for (const batch of batches) store.writeProgress(id, batch);
  store.transaction(() => store.runs.transition(id, lastStep >= totalSteps ? 'completed' : 'cancelled'));
  if (run.rename) store.transaction(() => store.runs.update(id, { name: run.rename }));
  return id;
}

export const SWEEP_KERNELS = ['linear', 'polynomial', 'gaussian'] as const;
export const SWEEP_LRS = [0.01, 0.03, 0.1, 0.3] as const;

/** A 24-run sweep: 3 kernels × 4 learning rates × 2 seeds, with accuracies that depend on both. */
export function recordSweep(store: Store): { groupId: number; ids: number[] } {
  const groupId = store.runs.createGroup('kernel × lr sweep', 'sweep', { grid: { 'model.kernel.type': SWEEP_KERNELS, 'optimizer.lr': SWEEP_LRS }, repeats: 2 });
  const ids: number[] = [];
  SWEEP_KERNELS.forEach((kernel, k) =>
    SWEEP_LRS.forEach((lr, l) => {
      for (const seed of [0, 1]) {
        // Best near lr 0.03–0.1; gaussian a little ahead of polynomial ahead of linear.
        const accuracy = 0.78 + k * 0.03 - Math.abs(l - 1.5) * 0.04 + (hash01(k, l, seed) - 0.5) * 0.02;
        ids.push(
          recordAnalysisRun(store, {
            name: `${kernel} lr=${lr} s${seed}`,
            config: { seed, model: { arch: 'lenet5', kernel: { type: kernel } }, optimizer: { type: 'sgd', lr }, epochs: 3 },
            groupId,
            accuracy,
          }),
        );
      }
    }),
  );
  return { groupId, ids };
}

/** Diagnostics of a LeNet-5 with a learnable γ in both kervolution layers, plus what the worker samples of the system. */
export function gammaDiagnostics(step: number): Record<string, number> {
  const t = step / 120;
  return {
    'kernel/kerv1/gamma': 1 - 0.55 * (1 - Math.exp(-3 * t)),
    'kernel/kerv2/gamma': 1 - 0.25 * (1 - Math.exp(-2 * t)) + 0.01 * Math.sin(step),
    'weight_norm/kerv1': 3.1 + 0.8 * t,
    'weight_norm/kerv2': 5.4 + 1.1 * t,
    'weight_norm/dense1': 9.8 + 0.4 * t,
    'grad_norm/kerv1': 0.9 * Math.exp(-2 * t) + 0.05 * hash01(step, 1),
    'grad_norm/kerv2': 0.6 * Math.exp(-2 * t) + 0.05 * hash01(step, 2),
    'grad_norm/dense1': 0.4 * Math.exp(-2 * t) + 0.05 * hash01(step, 3),
    'activation/kerv1/mean': 0.42 - 0.1 * t,
    'activation/kerv1/std': 0.3 + 0.05 * t,
    'activation/kerv2/mean': 0.31 - 0.05 * t,
    'activation/kerv2/std': 0.22 + 0.04 * t,
    'system/cpu_percent': 95 + 8 * hash01(step, 4),
    'system/rss_mb': 410 + 0.2 * step,
  };
}
