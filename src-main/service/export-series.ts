// Full-resolution metric series as long-format ("tidy") CSV: one row per run,
// step and metric, ready for pandas / R / a spreadsheet pivot.
import type { RunMetrics } from '../shared/api';
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
