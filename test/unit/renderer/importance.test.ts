// Hyperparameter importance on the Hyperparameters screen (lib/hyperparams.ts):
// Spearman's rank correlation of each numeric config field with a metric.
import { describe, expect, it } from 'vitest';
import type { RunRow } from '../../../src-main/shared/api';
import { parseRunConfig } from '../../../src-main/shared/run-config';
import { fieldImportance, metricAxes, ranks, spearman, varyingFields } from '../../../src-renderer/src/lib/hyperparams';

describe('spearman', () => {
  it('ranks ties by their mean rank, and is ±1 for any monotone relation', () => {
    expect(ranks([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1]);
    expect(spearman([1e-4, 1e-3, 1e-2, 1e-1], [0.5, 0.6, 0.8, 0.81])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [9, 4, 1, 0])).toBeCloseTo(-1, 12);
    // The textbook example: ρ = 1 − 6Σd²/(n(n²−1)) with d = (0, −1, 1, 0, 0) → 0.9.
    expect(spearman([1, 2, 3, 4, 5], [1, 3, 2, 4, 5])).toBeCloseTo(0.9, 12);
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNull();
    expect(spearman([1, 2], [1, 2])).toBeNull();
  });
});

function row(id: number, lr: number, wd: number, kernel: string, acc: number, copyOf?: number): RunRow {
  const config = parseRunConfig({ seed: 0, optimizer: { lr, weightDecay: wd }, model: { kernel: { type: kernel as 'linear' } } });
  return { id, name: `r${id}`, config, configHash: copyOf ? `h${copyOf}` : `h${id}`, bestValidationAccuracy: acc, testAccuracy: acc - 0.01 } as unknown as RunRow;
}

describe('fieldImportance', () => {
  it('orders the numeric fields by |ρ| with the metric, leaves text fields out, and counts a copy once', () => {
    const rows = [
      row(1, 0.001, 0.1, 'linear', 0.7),
      row(2, 0.01, 0.0, 'polynomial', 0.8),
      row(3, 0.1, 0.2, 'linear', 0.9),
      row(4, 0.3, 0.05, 'polynomial', 0.95),
      // A copy of run 1 with another result: averaged with it (0.7 and 0.9 → 0.8), one replicate.
      row(5, 0.001, 0.1, 'linear', 0.9, 1),
    ];
    const fields = varyingFields(rows);
    const metric = metricAxes(rows).find((m) => m.key === 'bestValidationAccuracy')!;
    const importance = fieldImportance(rows, fields, metric);
    expect(importance.map((i) => [i.axis.key, i.n])).toEqual([
      ['config.optimizer.lr', 4],
      ['config.optimizer.weightDecay', 4],
    ]);
    // lr → 0.8, 0.8, 0.9, 0.95: ranks 1, 2, 3, 4 against 1.5, 1.5, 3, 4.
    expect(importance[0].rho).toBeCloseTo(spearman([1, 2, 3, 4], [0.8, 0.8, 0.9, 0.95])!, 12);
    expect(importance[0].axis.kind).toBe('log');
  });
});
