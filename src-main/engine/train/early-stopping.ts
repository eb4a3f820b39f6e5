// Early stopping by epoch (the run config's earlyStopping): which epoch was the
// best so far on the watched validation metric, and whether the run has gone
// `patience` epochs without beating it by more than minDelta. Pure bookkeeping;
// the loop (run-loop.ts) keeps the best epoch's weights and stops the run. Its
// state goes into every checkpoint, so a resumed run counts on where it was.
import type { EarlyStoppingConfig } from '../../shared/run-config';
import { formatValidationMetric, plural, VALIDATION_METRIC_LABELS as LABELS } from '../../shared/format';

export interface EarlyStoppingState {
  /** The best value of the metric so far; null before the first epoch (or when every value was NaN). */
  bestValue: number | null;
  bestEpoch: number | null;
  /** Epochs in a row, since the best one, that did not improve on it. */
  epochsWithoutImprovement: number;
}

export class EarlyStopping {
  private state: EarlyStoppingState;

  constructor(
    readonly config: EarlyStoppingConfig,
    saved?: EarlyStoppingState,
  ) {
    this.state = saved ? { ...saved } : { bestValue: null, bestEpoch: null, epochsWithoutImprovement: 0 };
  }

  /** Accuracy is to rise, loss to fall. */
  private get maximize(): boolean {
    return this.config.metric === 'validationAccuracy';
  }

  /** Records an epoch's value of the metric: whether it is the new best, and whether the run stops after it. */
  observe(epoch: number, value: number): { improved: boolean; stop: boolean } {
    const { bestValue } = this.state;
    const { minDelta } = this.config;
    const improved =
      Number.isFinite(value) && (bestValue === null || (this.maximize ? value > bestValue + minDelta : value < bestValue - minDelta));
    if (improved) this.state = { bestValue: value, bestEpoch: epoch, epochsWithoutImprovement: 0 };
    else this.state = { ...this.state, epochsWithoutImprovement: this.state.epochsWithoutImprovement + 1 };
    return { improved, stop: this.state.epochsWithoutImprovement >= this.config.patience };
  }

  snapshot(): EarlyStoppingState {
    return { ...this.state };
  }

  /** Why the run stopped, in the words of its log. */
  reason(): string {
    const { patience, minDelta, metric } = this.config;
    const by = minDelta > 0 ? ` by more than ${minDelta}` : '';
    const best = this.state.bestValue === null ? '' : ` (best ${formatValidationMetric(metric, this.state.bestValue)} at epoch ${this.state.bestEpoch})`;
    return `${LABELS[metric]} did not improve${by} for ${plural(patience, 'epoch')}${best}`;
  }
}
