// Progress bar and ETA of a running run, from the steps it has reported.
import type { StepSeries } from '../../../src-main/shared/api';

export interface RunProgress {
  step: number;
  totalSteps: number | null;
  /** 0..1, null when the total is unknown. */
  fraction: number | null;
  etaMs: number | null;
  imagesPerSecond: number | null;
}

/**
 * ETA from the recent pace (the last `window` steps of wall time), not the
 * average since the start, so a slow first epoch (warm-up, compilation) does not
 * distort it.
 */
export function runProgress(steps: StepSeries, totalSteps: number | null, window = 50): RunProgress {
  const n = steps.step.length;
  const step = n > 0 ? steps.step[n - 1] : 0;
  const fraction = totalSteps && totalSteps > 0 ? Math.min(1, step / totalSteps) : null;
  let etaMs: number | null = null;
  if (totalSteps && n >= 2) {
    const from = Math.max(0, n - 1 - window);
    const stepsDone = steps.step[n - 1] - steps.step[from];
    const elapsed = steps.wallTimeMs[n - 1] - steps.wallTimeMs[from];
    if (stepsDone > 0 && elapsed >= 0) etaMs = Math.max(0, ((totalSteps - step) * elapsed) / stepsDone);
  }
  const imagesPerSecond = n > 0 ? steps.imagesPerSecond[n - 1] : null;
  return { step, totalSteps, fraction, etaMs, imagesPerSecond };
}

export function emptySeries(): StepSeries {
  return { step: [], epoch: [], loss: [], accuracy: [], learningRate: [], imagesPerSecond: [], wallTimeMs: [] };
}

/** Appends pushed step metrics, skipping steps already present (a reload racing with live events). */
export function appendSteps(series: StepSeries, steps: readonly { step: number; epoch: number; loss: number; accuracy: number; learningRate: number; imagesPerSecond: number; wallTimeMs: number }[]): StepSeries {
  const last = series.step.length ? series.step[series.step.length - 1] : -Infinity;
  const fresh = steps.filter((s) => s.step > last);
  if (fresh.length === 0) return series;
  return {
    step: [...series.step, ...fresh.map((s) => s.step)],
    epoch: [...series.epoch, ...fresh.map((s) => s.epoch)],
    loss: [...series.loss, ...fresh.map((s) => s.loss)],
    accuracy: [...series.accuracy, ...fresh.map((s) => s.accuracy)],
    learningRate: [...series.learningRate, ...fresh.map((s) => s.learningRate)],
    imagesPerSecond: [...series.imagesPerSecond, ...fresh.map((s) => s.imagesPerSecond)],
    wallTimeMs: [...series.wallTimeMs, ...fresh.map((s) => s.wallTimeMs)],
  };
}

/**
 * The duration to show: while a run trains, the wall time of its newest pushed
 * step (every open tab receives the same steps, so they agree, and it moves with
 * every batch instead of at epoch ends); otherwise what the store recorded.
 */
export function liveDurationMs(status: string, storedMs: number | null, steps: StepSeries): number | null {
  const lastWallMs = steps.wallTimeMs.length > 0 ? steps.wallTimeMs[steps.wallTimeMs.length - 1] : null;
  if (status !== 'running' || lastWallMs === null) return storedMs;
  return Math.max(storedMs ?? 0, lastWallMs);
}
