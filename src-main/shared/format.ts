// How numbers, durations and dates read in tables and terminal output: fixed widths,
// units always shown. Pure, so the UI and the CLI print the same way.
import type { EpochMetrics, TrainSummary } from './progress';
import type { RunStatus } from './api';
import type { Aggregate } from './table-format';

export function formatPercent(fraction: number | null | undefined, digits = 2): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '—';
  return `${(fraction * 100).toFixed(digits)}%`;
}

/** A validation metric's value as logs and pages show it: accuracy as a percentage, loss in nats. */
export function formatValidationMetric(metric: 'validationAccuracy' | 'validationLoss', value: number): string {
  return metric === 'validationAccuracy' ? `${(value * 100).toFixed(2)}%` : value.toFixed(4);
}

/** How a validation metric is named in sentences. */
export const VALIDATION_METRIC_LABELS = { validationAccuracy: 'validation accuracy', validationLoss: 'validation loss' } as const;

/** "1 run", "2 runs", "0 runs" (English plurals by -s, or the given plural). */
export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? noun : nouns}`;
}

/** 1234 → "1,234"; 1.2e6 → "1.20M". */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  return Math.round(n).toLocaleString('en-US');
}

/** A short, precision-appropriate rendering of a metric (loss, learning rate). */
export function formatNumber(n: number | null | undefined, significant = 4): string {
  if (n === null || n === undefined) return '—';
  if (!Number.isFinite(n)) return String(n);
  if (n === 0) return '0';
  const abs = Math.abs(n);
  if (abs < 1e-3 || abs >= 1e6) return n.toExponential(significant - 1);
  return Number(n.toPrecision(significant)).toString();
}

/** 75_000 → "1m 15s"; 3_723_000 → "1h 02m". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 60) return ms < 10_000 && ms % 1000 !== 0 ? `${(ms / 1000).toFixed(1)}s` : `${totalSeconds}s`;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, '0')}m`;
  return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
}

/** ISO timestamp → "2026-11-23 14:05" in local time; tables stay sortable by eye. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Any config value as one table cell. */
export function formatValue(value: unknown): string {
  if (value === undefined) return '—';
  if (value === null) return 'null';
  if (typeof value === 'number') return formatNumber(value, 6);
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

export function formatShape(shape: readonly (number | null)[]): string {
  return `(${shape.map((d) => (d === null ? 'N' : String(d))).join(', ')})`;
}

/** An aggregate over repeats as "92.00 ± 2.00" (scaled, e.g. to percent); the mean alone for one run. */
export function formatMeanStd(summary: Aggregate | null, scale = 100, digits = 2): string {
  if (!summary) return '—';
  const mean = (summary.mean * scale).toFixed(digits);
  return summary.std !== null ? `${mean} ± ${(summary.std * scale).toFixed(digits)}` : mean;
}

/** A loss as the logs print it: four decimals, or — for none. */
function loss(v: number | null): string {
  return v === null || !Number.isFinite(v) ? '—' : v.toFixed(4);
}

/** "Epoch 2/10: train loss 0.4099 acc 85.01% | val loss 0.3162 acc 88.57% | 1m 11s": what `kerv train` prints and a run's log keeps. */
export function epochLine(m: EpochMetrics, epochs: number | null): string {
  const validation = m.validationLoss === null ? 'no validation split' : `val loss ${loss(m.validationLoss)} acc ${formatPercent(m.validationAccuracy)}`;
  return `Epoch ${m.epoch}/${epochs ?? '?'}: train loss ${loss(m.trainLoss)} acc ${formatPercent(m.trainAccuracy)} | ${validation} | ${formatDuration(m.durationMs)}`;
}

/** "test accuracy 88.07% (loss 0.3291), best validation accuracy 88.57%, …, 1 epoch / 844 steps in 1m 14s": how a run ended well. */
export function summaryLine(s: TrainSummary): string {
  const tested = s.testedOn?.model === 'best' ? `, epoch ${s.testedOn.epoch}'s weights: the best` : '';
  return (
    `test accuracy ${formatPercent(s.testAccuracy)} (loss ${loss(s.testLoss)}${tested}), best validation accuracy ${formatPercent(s.bestValidationAccuracy)}, ` +
    `final train loss ${loss(s.finalTrainLoss)}, ${plural(s.epochs, 'epoch')} / ${s.steps} steps in ${formatDuration(s.trainingTimeMs)}`
  );
}

/** The run log's last line for an end that is not a completion: what happened and what can be done. */
export function endLine(status: Exclude<RunStatus, 'completed' | 'queued' | 'running'>, error: string | null): string {
  switch (status) {
    case 'cancelled':
      return `Cancelled${error ? `: ${error}` : ''}; Resume continues from the last checkpoint.`;
    case 'interrupted':
      return `Interrupted${error ? `: ${error}` : ''}; Resume continues from the last checkpoint.`;
    case 'failed':
      return `Failed: ${error ?? 'no reason given'}`;
  }
}
