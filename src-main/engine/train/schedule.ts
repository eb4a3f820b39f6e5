// Learning-rate schedules as pure functions of the global step, so the rate at any
// step can be recomputed after a resume (nothing to checkpoint) and unit-tested.
import type { ScheduleConfig } from '../../shared/run-config';

export interface ScheduleContext {
  /** The configured (peak) learning rate. */
  baseLr: number;
  stepsPerEpoch: number;
  /** Steps of the whole run (epochs × stepsPerEpoch). */
  totalSteps: number;
}

/** one-cycle starts (and, without warm-up, rises from) baseLr / this, as in PyTorch's OneCycleLR. */
export const ONE_CYCLE_DIV_FACTOR = 25;
/** one-cycle without warm-up rises over this fraction of the run (PyTorch's pct_start). */
export const ONE_CYCLE_RISE_FRACTION = 0.3;

function cosineBetween(from: number, to: number, progress: number): number {
  const t = Math.min(1, Math.max(0, progress));
  return to + (from - to) * 0.5 * (1 + Math.cos(Math.PI * t));
}

/**
 * The learning rate for the step with 0-based index `stepIndex` (the step that
 * becomes global step stepIndex + 1).
 *
 * - Warm-up (all schedules but one-cycle): the rate rises linearly from 0 to the
 *   schedule's rate over warmupEpochs (first step: 1/warmupSteps of it).
 * - constant: baseLr.
 * - step: baseLr × factor^k, k = number of milestones (in epochs) already completed.
 * - cosine: cosine annealing from baseLr to minLr over the steps after the warm-up.
 * - one-cycle: its warm-up is the rise phase: cosine from baseLr/25 to baseLr over
 *   the warm-up (or the first 30% of the steps when warmupEpochs is 0), then cosine
 *   down to minLr by the last step.
 */
export function learningRateAt(stepIndex: number, schedule: ScheduleConfig, ctx: ScheduleContext): number {
  const { baseLr, stepsPerEpoch, totalSteps } = ctx;
  const warmupSteps = Math.min(totalSteps, Math.round(schedule.warmupEpochs * stepsPerEpoch));
  if (schedule.type === 'one-cycle') {
    const riseSteps = warmupSteps > 0 ? warmupSteps : Math.max(1, Math.round(ONE_CYCLE_RISE_FRACTION * totalSteps));
    if (stepIndex < riseSteps) {
      return cosineBetween(baseLr / ONE_CYCLE_DIV_FACTOR, baseLr, stepIndex / riseSteps);
    }
    const fallSteps = Math.max(1, totalSteps - 1 - riseSteps);
    return cosineBetween(baseLr, schedule.minLr, (stepIndex - riseSteps) / fallSteps);
  }
  const scheduled = scheduledRate(Math.max(stepIndex, warmupSteps), schedule, ctx, warmupSteps);
  if (stepIndex < warmupSteps) return (scheduled * (stepIndex + 1)) / warmupSteps;
  return scheduled;
}

function scheduledRate(stepIndex: number, schedule: ScheduleConfig, ctx: ScheduleContext, warmupSteps: number): number {
  const { baseLr, stepsPerEpoch, totalSteps } = ctx;
  switch (schedule.type) {
    case 'constant':
      return baseLr;
    case 'step': {
      const epochsDone = stepIndex / stepsPerEpoch;
      const passed = schedule.milestones.filter((m) => epochsDone >= m).length;
      return baseLr * schedule.factor ** passed;
    }
    case 'cosine': {
      const decaySteps = Math.max(1, totalSteps - 1 - warmupSteps);
      return cosineBetween(baseLr, schedule.minLr, (stepIndex - warmupSteps) / decaySteps);
    }
    default:
      throw new Error(`schedule.type: unknown schedule '${String(schedule.type)}'`);
  }
}
