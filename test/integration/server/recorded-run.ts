// A run recorded straight into the real store (no training): steps, two epochs,
// then completed. Cheap to make, and it has the metrics a bundle must carry.
import type { EpochMetrics, StepMetrics } from '../../../src-main/shared/progress';
import { parseRunConfig, type RunConfigInput } from '../../../src-main/shared/run-config';
import { configHash } from '../../../src-main/service/run-identity';
import type { Store } from '../../../src-main/store/store';

function epochMetrics(epoch: number, step: number, validationAccuracy: number): EpochMetrics {
  return {
    epoch,
    step,
    trainLoss: 1 / epoch,
    trainAccuracy: 0.5 + epoch / 10,
    validationLoss: 1.2 / epoch,
    validationAccuracy,
    perClassAccuracy: [validationAccuracy, validationAccuracy],
    confusion: [
      [8, 2],
      [3, 7],
    ],
    samplePredictions: [],
    durationMs: 100,
    wallTimeMs: step * 10,
  };
}

/** Inserts a completed run with 20 steps and 2 epochs; returns its id. */
export function recordRun(store: Store, name: string, input: RunConfigInput = {}): number {
  const config = parseRunConfig({ ...input, name });
  const id = store.runs.insert({ name, config, configHash: configHash(config) });
  const steps: StepMetrics[] = Array.from({ length: 20 }, (_, i) => ({
    step: i + 1,
    epoch: i < 10 ? 1 : 2,
    loss: 2 / (i + 1),
    accuracy: Math.min(0.95, 0.3 + i / 30),
    learningRate: 0.01,
    imagesPerSecond: 500,
    wallTimeMs: (i + 1) * 10,
  }));
  store.transaction(() => store.runs.transition(id, 'running'));
  store.writeProgress(id, [
    { type: 'steps', steps },
    { type: 'epoch', metrics: epochMetrics(1, 10, 0.61) },
    { type: 'epoch', metrics: epochMetrics(2, 20, 0.72) },
  ]);
  store.transaction(() => store.runs.transition(id, 'completed'));
  return id;
}
