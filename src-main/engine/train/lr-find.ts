// The learning-rate range test (Smith, "Cyclical Learning Rates for Training
// Neural Networks", 2017; fast.ai's lr_find): train the run's model from its
// initialisation for a few hundred steps while the rate grows exponentially
// from tiny to huge, record the loss at each, and stop once it diverges. Where
// the smoothed loss falls fastest, and a tenth of where it is lowest, are the
// usual suggestions for the run's rate. Same backend, threads, data and seed as
// the run itself would use (prepareRun), nothing written to disk.
import * as tf from '@tensorflow/tfjs';
import type { LrFindOptions, LrFindPoint, LrFindResult, LrSuggestions } from '../../shared/lr-find';
import type { TrainProgress } from '../../shared/progress';
import type { RunConfig } from '../../shared/run-config';
import { Rng } from '../random';
import { StepDiagnostics } from './diagnostics';
import { testHoldFromEnv } from './test-hold';
import { RUN_RNG_LABELS } from './seeded-random';
import { dataParallelRunner, singleThreadRunner } from './step-runner';
import { explainGpuFault, prepareRun, type TrainOptions } from './train';

/** EMA factor of the smoothed loss (fast.ai's 0.98), bias-corrected. */
const SMOOTHING = 0.98;

export interface FindOptions extends Omit<TrainOptions, 'onProgress' | 'checkpointDir' | 'resumeFrom' | 'progressIntervalMs'> {
  finder: LrFindOptions;
  onPoint: (point: LrFindPoint) => void;
  /** Log lines (backend notes, auto kernel parameters), as a run reports them. */
  onLog?: (progress: Extract<TrainProgress, { type: 'log' }>) => void;
}

/** The rate at step i of n: exponential from startLr to endLr. */
export function rateAt(i: number, { startLr, endLr, steps }: LrFindOptions): number {
  return steps <= 1 ? startLr : startLr * (endLr / startLr) ** (i / (steps - 1));
}

/**
 * The suggestions from the smoothed curve: the steepest descent (the most
 * negative slope of the smoothed loss against log10 of the rate, before its
 * minimum) and the minimum ÷ 10. Null where the curve is too short to say.
 */
export function suggestLearningRates(points: readonly LrFindPoint[]): LrSuggestions {
  const usable = points.filter((p) => Number.isFinite(p.smoothed));
  if (usable.length < 3) return { steepest: null, minimumDiv10: null };
  let min = 0;
  usable.forEach((p, i) => {
    if (p.smoothed < usable[min].smoothed) min = i;
  });
  let steepest: number | null = null;
  let slope = 0;
  // Central differences inside the falling part; the first tenth is noise around the start.
  for (let i = Math.max(1, Math.floor(usable.length / 10)); i <= Math.min(min, usable.length - 2); i++) {
    const dx = Math.log10(usable[i + 1].lr) - Math.log10(usable[i - 1].lr);
    const g = (usable[i + 1].smoothed - usable[i - 1].smoothed) / dx;
    if (g < slope) {
      slope = g;
      steepest = usable[i].lr;
    }
  }
  return { steepest, minimumDiv10: usable[min].lr / 10 };
}

export async function findLearningRate(config: RunConfig, opts: FindOptions): Promise<LrFindResult> {
  const log = (p: TrainProgress) => {
    if (p.type === 'log') opts.onLog?.(p);
  };
  const run = await prepareRun(config, opts, log);
  const { model, optimizer, data, group } = run;
  const diagnostics = new StepDiagnostics(model);
  const parts = { model, optimizer, stepOptions: { labelSmoothing: config.labelSmoothing, gradClipNorm: config.gradClipNorm }, diagnostics };
  const runner = group ? dataParallelRunner(group, parts) : singleThreadRunner(parts);
  const dataRng = Rng.derive(config.seed, RUN_RNG_LABELS.data);
  const opsRng = Rng.derive(config.seed, RUN_RNG_LABELS.ops);
  const { finder } = opts;
  const points: LrFindPoint[] = [];
  let stoppedBy: LrFindResult['stoppedBy'] = 'end';
  try {
    let batches = data.trainEpoch(dataRng).from(0)[Symbol.iterator]();
    let average = 0;
    let best = Infinity;
    const hold = testHoldFromEnv(); // tests only (test-hold.ts), as in a run's loop
    for (let i = 0; i < finder.steps; i++) {
      if (hold?.holds(i)) await hold.wait(i, () => opts.signal?.aborted ?? false);
      if (opts.signal?.aborted) {
        stoppedBy = 'cancelled';
        break;
      }
      let next = batches.next();
      if (next.done) {
        // Small datasets: another epoch of the same shuffled stream.
        batches = data.trainEpoch(dataRng).from(0)[Symbol.iterator]();
        next = batches.next();
      }
      const lr = rateAt(i, finder);
      const { metrics, diagnostics: sampled } = runner.step(next.value, lr, false, opsRng);
      const [loss] = await metrics.data();
      tf.dispose([metrics, sampled ?? []]);
      average = SMOOTHING * average + (1 - SMOOTHING) * loss;
      const smoothed = average / (1 - SMOOTHING ** (i + 1));
      const point = { step: i + 1, lr, loss, smoothed };
      points.push(point);
      opts.onPoint(point);
      if (!Number.isFinite(loss) || smoothed > finder.divergeFactor * best) {
        stoppedBy = 'diverged';
        break;
      }
      best = Math.min(best, smoothed);
      // Let IPC (a cancel) in: the wasm backend computes synchronously.
      await new Promise((resolve) => setImmediate(resolve));
    }
  } catch (error) {
    throw explainGpuFault(error, config);
  } finally {
    tf.dispose(run.checkpoint?.bestWeights ?? []);
    await run.dispose();
  }
  return { points, stoppedBy, suggestions: suggestLearningRates(points), environment: run.environment, options: finder };
}
