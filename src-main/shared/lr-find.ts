// The learning-rate finder's options and results (engine/train/lr-find.ts runs
// it; the service keeps every result with the run history; the New Run form and
// `kerv lr-find` show it). Schemas, so a request names the field it got wrong
// and a stored result is checked when read back.
import { z } from 'zod';
import { runEnvironmentSchema } from './progress';
import type { RunConfig } from './run-config';

export const lrFindOptionsSchema = z
  .object({
    /** The rate of the first step. */
    startLr: z.number().positive().max(1).default(1e-7),
    /** The rate of the last step (the test usually diverges before). */
    endLr: z.number().positive().max(1000).default(10),
    /** Steps from startLr to endLr. */
    steps: z.number().int().min(10).max(2000).default(200),
    /** Stop once the smoothed loss exceeds its lowest value so far this many times. */
    divergeFactor: z.number().min(1.5).max(100).default(4),
  })
  .strict()
  .refine((o) => o.endLr > o.startLr, { message: 'endLr must be larger than startLr', path: ['endLr'] });
export type LrFindOptions = z.infer<typeof lrFindOptionsSchema>;
export type LrFindOptionsInput = z.input<typeof lrFindOptionsSchema>;

const measure = z.number();

export const lrFindPointSchema = z.strictObject({
  step: z.number().int().min(1),
  lr: measure,
  /** The batch's loss at that rate (NaN once diverged; JSON stores it as null). */
  loss: measure.nullable(),
  /** Exponential moving average of the loss (β 0.98), bias-corrected. */
  smoothed: measure.nullable(),
});
export type LrFindPoint = { step: number; lr: number; loss: number; smoothed: number };

export const lrSuggestionsSchema = z.strictObject({
  /** Where the smoothed loss falls fastest against log10(rate), before its minimum. */
  steepest: measure.nullable(),
  /** A tenth of the rate at the smoothed loss's minimum. */
  minimumDiv10: measure.nullable(),
});
export type LrSuggestions = z.infer<typeof lrSuggestionsSchema>;

export const lrFindResultSchema = z.strictObject({
  points: z.array(lrFindPointSchema),
  /** 'diverged': the loss blew up (the usual end); 'end': it reached endLr; 'cancelled'. */
  stoppedBy: z.enum(['diverged', 'end', 'cancelled']),
  suggestions: lrSuggestionsSchema,
  environment: runEnvironmentSchema,
  options: z.strictObject({ startLr: measure, endLr: measure, steps: z.number().int(), divergeFactor: measure }),
});
export type LrFindResult = Omit<z.infer<typeof lrFindResultSchema>, 'points'> & { points: LrFindPoint[] };

export type LrFindStatus = 'running' | 'completed' | 'failed' | 'cancelled';

/** One finder run as the history keeps it. */
export interface LrFindRecord {
  id: number;
  status: LrFindStatus;
  config: RunConfig;
  createdAt: string;
  finishedAt: string | null;
  result: LrFindResult | null;
  /** While it runs: the steps taken so far (the result holds them once it ends). */
  pointsSoFar?: LrFindPoint[];
  error: string | null;
}

/** The history's list of finder runs, without their curves. */
export interface LrFindSummary {
  id: number;
  status: LrFindStatus;
  createdAt: string;
  arch: string;
  kernel: string;
  dataset: string;
  optimizer: string;
  batchSize: number;
  suggestions: LrSuggestions | null;
}
