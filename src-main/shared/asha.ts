// ASHA, asynchronous successive halving (Li et al., "A System for Massively
// Parallel Hyperparameter Tuning", 2018), as a stopping rule over a sweep: the
// way Ray Tune's ASHAScheduler runs it. Every run of the sweep trains towards the
// same maximum R = its config's epochs; after an epoch that is a rung (r, ηr,
// η²r, … below R) it waits for a verdict. The verdict compares its value of the
// metric with the values the sweep's other runs recorded at that rung so far: a
// run below their (1 − 1/η) quantile stops there (it ends 'completed', tested on
// its weights), the others go on. Nobody waits for anybody: a run is judged
// against whoever got there first, so the first run at a rung always continues.
//
// Pure: the service decides with it (service/asha.ts), the New Run form
// estimates the saving with it, the CLI checks its flags with it.
import { z } from 'zod';
import { EARLY_STOPPING_METRICS, type EarlyStoppingMetric } from './run-config';
import { formatValidationMetric, VALIDATION_METRIC_LABELS } from './format';
import type { TrainSummary } from './progress';

/** The validation metric a rung compares: the early-stopping metrics (accuracy rises, loss falls). */
export const ASHA_METRICS = EARLY_STOPPING_METRICS;
export type AshaMetric = EarlyStoppingMetric;

export const ashaOptionsSchema = z
  .object({
    /** r: the first rung, in epochs. */
    minEpochs: z.number().int().min(1).max(10_000),
    /** η: each rung keeps the top 1/η; rungs are η apart. */
    eta: z.number().int().min(2).max(100).default(3),
    metric: z.enum(ASHA_METRICS).default('validationAccuracy'),
  })
  .strict();
export type AshaOptions = z.infer<typeof ashaOptionsSchema>;
export type AshaOptionsInput = z.input<typeof ashaOptionsSchema>;

/** Options stored as JSON (a sweep group's); null for none, or for options that no longer parse (that sweep then trains every run to the end). */
export function parseAshaOptions(json: string | null): AshaOptions | null {
  if (!json) return null;
  const parsed = ashaOptionsSchema.safeParse(JSON.parse(json));
  return parsed.success ? parsed.data : null;
}

/** The rung epochs r, ηr, η²r, … strictly below R (at R the run ends anyway). */
export function ashaRungs(options: Pick<AshaOptions, 'minEpochs' | 'eta'>, maxEpochs: number): number[] {
  const rungs: number[] = [];
  for (let epoch = options.minEpochs; epoch < maxEpochs; epoch *= options.eta) rungs.push(epoch);
  return rungs;
}

/** Linear-interpolation quantile (numpy's default) of values; q in [0, 1]. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  return lo + 1 < sorted.length ? sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]) : sorted[lo];
}

export interface RungDecision {
  stop: boolean;
  /** The line a run had to reach; null when no other run had recorded a value at the rung. */
  cutoff: number | null;
}

/**
 * ASHA's rule at one rung: `others` are the values the other runs recorded there
 * so far. Accuracy: stop below their (1 − 1/η) quantile; loss: above their 1/η
 * quantile (the same rule on the negated loss). A tie continues. A value that is
 * not a number (NaN) is worse than any.
 */
export function decideRung(value: number | null, others: readonly number[], options: Pick<AshaOptions, 'eta' | 'metric'>): RungDecision {
  const known = others.filter(Number.isFinite);
  if (known.length === 0) return { stop: false, cutoff: null };
  const maximize = options.metric === 'validationAccuracy';
  const cutoff = quantile(known, maximize ? 1 - 1 / options.eta : 1 / options.eta);
  if (value === null || !Number.isFinite(value)) return { stop: true, cutoff };
  return { stop: maximize ? value < cutoff : value > cutoff, cutoff };
}

/** How a rung's verdict reads in a run's log and on its page. */
export function describeRungDecision(epoch: number, value: number | null, decision: RungDecision, options: Pick<AshaOptions, 'eta' | 'metric'>): string {
  const shown = `${VALIDATION_METRIC_LABELS[options.metric]} ${value === null ? 'not a number' : formatValidationMetric(options.metric, value)}`;
  if (decision.cutoff === null) return `ASHA rung at epoch ${epoch}: ${shown}, the first value at this rung: continues`;
  const cutoff = formatValidationMetric(options.metric, decision.cutoff);
  const side = options.metric === 'validationAccuracy' ? ['below', 'at or above'] : ['above', 'at or below'];
  return decision.stop
    ? `ASHA rung at epoch ${epoch}: ${shown} is ${side[0]} the rung's cutoff ${cutoff} (top 1/${options.eta} of the runs so far): stopped`
    : `ASHA rung at epoch ${epoch}: ${shown} is ${side[1]} the rung's cutoff ${cutoff}: continues`;
}

/** Where and why ASHA stopped a run (its summary's `asha`), in the words of its log and its page. */
export function describeAshaStop(stop: NonNullable<TrainSummary['asha']>, maxEpochs: number): string {
  const value = stop.value === null ? 'not a number' : formatValidationMetric(stop.metric, stop.value);
  const side = stop.metric === 'validationAccuracy' ? 'below' : 'above';
  return `Stopped by ASHA at epoch ${stop.stoppedAtEpoch} of ${maxEpochs} (${VALIDATION_METRIC_LABELS[stop.metric]} ${value} ${side} the rung's cutoff ${formatValidationMetric(stop.metric, stop.cutoff)}; only the top 1/${stop.eta} of the sweep's runs go on)`;
}

/**
 * Epochs the sweep trains if each rung kept exactly its top 1/η (synchronous
 * successive halving), against every run training R epochs. The asynchronous
 * rule keeps more than that while a rung has few values (its first run always
 * continues), so the real saving is smaller: the form says "up to".
 */
export function ashaEpochBudget(runs: number, maxEpochs: number, options: Pick<AshaOptions, 'minEpochs' | 'eta'>): { epochs: number; fullEpochs: number } {
  const rungs = ashaRungs(options, maxEpochs);
  const fullEpochs = runs * maxEpochs;
  if (rungs.length === 0 || runs === 0) return { epochs: fullEpochs, fullEpochs };
  const bounds = [0, ...rungs, maxEpochs];
  let epochs = 0;
  for (let i = 0; i + 1 < bounds.length; i++) epochs += Math.ceil(runs / options.eta ** i) * (bounds[i + 1] - bounds[i]);
  return { epochs, fullEpochs };
}

/** One run's value at one rung and the verdict it got, as the store keeps it. */
export interface RungRecord {
  runId: number;
  epoch: number;
  /** The metric at the rung; null when it was not a number. */
  value: number | null;
  cutoff: number | null;
  /** How many other runs' values the cutoff was taken over. */
  compared: number;
  verdict: 'continue' | 'stop';
  decidedAt: string;
}

/** What a training process needs to know to stop at rungs (it never sees the sweep). */
export interface RungPlan {
  epochs: number[];
  metric: AshaMetric;
}

/** The answer a training process waits for after a rung epoch. */
export interface RungVerdict {
  epoch: number;
  stop: boolean;
  value: number | null;
  cutoff: number | null;
  eta: number;
}
