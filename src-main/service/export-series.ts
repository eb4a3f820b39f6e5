// Full-resolution metric series of chosen runs: long-format ("tidy") CSV, one
// row per run, step and metric, ready for pandas / R / a spreadsheet pivot; or
// JSON with each run's config, its step series as columns, its epochs (without
// the per-sample predictions) and its diagnostic series.
import type { RunMetrics, ScalarSeries } from '../shared/api';
import type { RunConfig } from '../shared/run-config';
import { csvLine } from '../shared/table-format';

const STEP_METRICS = [
  ['loss', 'loss'],
  ['accuracy', 'accuracy'],
  ['learningRate', 'learning_rate'],
  ['imagesPerSecond', 'images_per_second'],
] as const;

const EPOCH_METRICS = [
  ['trainLoss', 'epoch_train_loss'],
  ['trainAccuracy', 'epoch_train_accuracy'],
  ['validationLoss', 'val_loss'],
  ['validationAccuracy', 'val_accuracy'],
] as const;

export const SERIES_HEADER = ['run_id', 'run_name', 'step', 'epoch', 'wall_time_ms', 'metric', 'value'];

export function formatSeriesCsv(runs: { id: number; name: string; metrics: RunMetrics }[]): string {
  const lines = [csvLine(SERIES_HEADER)];
  const num = (v: number | null) => (v === null || Number.isNaN(v) ? '' : String(v));
  for (const run of runs) {
    const s = run.metrics.steps;
    for (let i = 0; i < s.step.length; i++) {
      for (const [field, metric] of STEP_METRICS) {
        lines.push(csvLine([String(run.id), run.name, String(s.step[i]), String(s.epoch[i]), String(s.wallTimeMs[i]), metric, num(s[field][i])]));
      }
    }
    for (const e of run.metrics.epochs) {
      for (const [field, metric] of EPOCH_METRICS) {
        lines.push(csvLine([String(run.id), run.name, String(e.step), String(e.epoch), String(e.wallTimeMs), metric, num(e[field])]));
      }
    }
  }
  return lines.join('\r\n') + '\r\n';
}

/** What the JSON export holds per run. */
export interface SeriesRun {
  id: number;
  name: string;
  config: RunConfig;
  metrics: RunMetrics;
  scalars: Record<string, ScalarSeries>;
}

/** The runs' series as one JSON document (NaN, which JSON cannot hold, as null). */
export function formatSeriesJson(runs: readonly SeriesRun[]): string {
  const document = {
    format: 'kerv-series',
    version: 1,
    runs: runs.map((r) => ({
      id: r.id,
      name: r.name,
      config: r.config,
      steps: r.metrics.steps,
      epochs: r.metrics.epochs.map((e) => ({
        epoch: e.epoch,
        step: e.step,
        wallTimeMs: e.wallTimeMs,
        durationMs: e.durationMs,
        trainLoss: e.trainLoss,
        trainAccuracy: e.trainAccuracy,
        validationLoss: e.validationLoss,
        validationAccuracy: e.validationAccuracy,
        perClassAccuracy: e.perClassAccuracy,
        confusion: e.confusion,
      })),
      scalars: r.scalars,
    })),
  };
  return `${JSON.stringify(document, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value))}\n`;
}
