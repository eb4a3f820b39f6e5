// How a run computes its steps and evaluations: on this thread, or split over the
// replicas of a data-parallel group (engine/parallel/). The training loop sees
// one interface, so checkpoints, schedules, progress and divergence checks are
// the same code whichever it is.
import * as tf from '@tensorflow/tfjs';
import type { DataParallelGroup, HostBatch } from '../parallel/data-parallel';
import type { Rng } from '../random';
import type { StepDiagnostics } from './diagnostics';
import { evaluate, type EvalBatch, type EvaluationResult } from './evaluate';
import type { TrainOptimizer } from './optimizer';
import { withSeededMathRandom } from './seeded-random';
import { makeDiagnosedTrainStep, makeTrainStep, type StepOptions } from './step';

export interface StepResult {
  /** [loss, accuracy], read later in a batch (step-buffer.ts). */
  metrics: tf.Tensor1D;
  /** The diagnostics' values when the step was diagnosed. */
  diagnostics: tf.Tensor1D | null;
}

export interface StepRunner {
  /** One step over `batch`; `diagnosed`: also sample the diagnostics. tfjs's random ops draw from `opsRng`. */
  step(batch: HostBatch, learningRate: number, diagnosed: boolean, opsRng: Rng): StepResult;
  evaluate(batches: Iterable<EvalBatch>, numClasses: number): Promise<EvaluationResult>;
  /** Replaces the model's weights (model.weights order) everywhere the runner computes. */
  loadWeights(weights: tf.Tensor[]): void;
}

interface RunnerParts {
  model: tf.LayersModel;
  optimizer: TrainOptimizer;
  stepOptions: StepOptions;
  diagnostics: StepDiagnostics;
}

export function singleThreadRunner({ model, optimizer, stepOptions, diagnostics }: RunnerParts): StepRunner {
  const trainStep = makeTrainStep(model, optimizer, stepOptions);
  const diagnosedStep = makeDiagnosedTrainStep(model, optimizer, stepOptions, diagnostics);
  return {
    step(batch, learningRate, diagnosed, opsRng) {
      const x = tf.tensor4d(batch.x, batch.shape);
      const y = tf.tensor1d(batch.y, 'int32');
      try {
        return withSeededMathRandom(opsRng, () => (diagnosed ? diagnosedStep(x, y, learningRate) : { metrics: trainStep(x, y, learningRate), diagnostics: null }));
      } finally {
        x.dispose();
        y.dispose();
      }
    },
    evaluate: (batches, numClasses) => evaluate(model, batches, numClasses),
    loadWeights: (weights) => model.setWeights(weights),
  };
}

export function dataParallelRunner(group: DataParallelGroup, { model, optimizer, stepOptions, diagnostics }: RunnerParts): StepRunner {
  return {
    step: (batch, learningRate, diagnosed, opsRng) => group.step(batch, optimizer, stepOptions, learningRate, opsRng, diagnosed ? diagnostics : null),
    evaluate: async (batches, numClasses) => group.evaluate(batches, numClasses),
    loadWeights(weights) {
      model.setWeights(weights);
      group.publishWeights();
    },
  };
}
