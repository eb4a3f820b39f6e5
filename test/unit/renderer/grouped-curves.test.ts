// Curves grouped over seeds on the Compare screen (lib/grouped-curves.ts): grouping
// and labels, alignment on steps and on wall time, and the mean-and-band chart.
import { describe, expect, it } from 'vitest';
import type { RunRow, StepSeries } from '../../../src-main/shared/api';
import { parseRunConfig } from '../../../src-main/shared/run-config';
import type { EpochMetrics } from '../../../src-main/shared/progress';
import type { CompareInput } from '../../../src-renderer/src/lib/compare';
import { alignExact, alignInterpolated, groupCurves, groupedCompareOption, groupingFields, interpolate } from '../../../src-renderer/src/lib/grouped-curves';

function series(losses: number[], wallStepMs = 100, offsetMs = 0): StepSeries {
  const n = losses.length;
  return {
    step: losses.map((_, i) => i + 1),
    epoch: losses.map((_, i) => (i < n / 2 ? 1 : 2)),
    loss: losses,
    accuracy: losses.map((l) => 1 - l / 3),
    learningRate: losses.map(() => 0.01),
    imagesPerSecond: losses.map(() => 1000),
    wallTimeMs: losses.map((_, i) => offsetMs + (i + 1) * wallStepMs),
  };
}

function epochs(values: number[]): EpochMetrics[] {
  return values.map((v, i) => ({
    epoch: i + 1, step: (i + 1) * 2, trainLoss: v, trainAccuracy: 0.5, validationLoss: v, validationAccuracy: 1 - v,
    perClassAccuracy: [], confusion: [], samplePredictions: [], durationMs: 100, wallTimeMs: (i + 1) * 200,
  }));
}

const run = (id: number, losses: number[], wallStepMs = 100): CompareInput => ({ id, label: `#${id}`, color: '#000', steps: series(losses, wallStepMs), epochs: epochs([losses[1], losses[3]]) });

// Two kernels × two seeds, and a fifth run at another lr.
const inputs = [run(1, [2, 1.5, 1, 0.5]), run(2, [2.2, 1.7, 1.2, 0.7]), run(3, [2, 1.9, 1.8, 1.7]), run(4, [2.4, 2.1, 2, 1.9]), run(5, [3, 2, 1, 0.1])];
function row(id: number, kernel: 'polynomial' | 'gaussian', seed: number, lr = 0.01, copyOf?: number): RunRow {
  const config = parseRunConfig({ seed, model: { arch: 'lenet5', kernel: { type: kernel } }, optimizer: { lr } });
  return {
    id, name: `run ${id}`, status: 'completed', arch: 'lenet5', kernel, dataset: 'fashion-mnist', seed, config,
    experimentHash: `${kernel}-${lr}`, configHash: copyOf ? `h${copyOf}` : `h${id}`,
  } as unknown as RunRow;
}
const rows = [row(1, 'polynomial', 0), row(2, 'polynomial', 1), row(3, 'gaussian', 0), row(4, 'gaussian', 1), row(5, 'polynomial', 0, 0.1)];
const diff = [
  { path: 'model.kernel.type', values: ['polynomial', 'polynomial', 'gaussian', 'gaussian', 'polynomial'] },
  { path: 'name', values: ['a', 'b', 'c', 'd', 'e'] },
  { path: 'optimizer.lr', values: [0.01, 0.01, 0.01, 0.01, 0.1] },
  { path: 'seed', values: [0, 1, 0, 1, 0] },
];
const settings = { smoothing: 0, logScale: false, xAxis: 'step' as const };

describe('groupCurves', () => {
  it('groups by experiment with the labels of "group by config" (the field that tells groups apart), never by seed or name', () => {
    expect(groupingFields(diff)).toEqual(['model.kernel.type', 'optimizer.lr']);
    const groups = groupCurves(inputs, rows, 'experiment', ['red', 'blue', 'green']);
    expect(groups.map((g) => [g.label, g.members.map((m) => m.id), g.color])).toEqual([
      ['lenet5 · polynomial · fashion-mnist · optimizer.lr=0.01 (n=2)', [1, 2], 'red'],
      ['lenet5 · gaussian · fashion-mnist (n=2)', [3, 4], 'blue'],
      ['lenet5 · polynomial · fashion-mnist · optimizer.lr=0.1 (n=1)', [5], 'green'],
    ]);
  });

  it('draws a copy of a run (same config and seed) once, and says so', () => {
    const withCopy = [row(1, 'polynomial', 0), row(2, 'polynomial', 0, 0.01, 1), row(3, 'gaussian', 0), row(4, 'gaussian', 1)];
    const groups = groupCurves(inputs.slice(0, 4), withCopy, 'experiment', ['red']);
    expect(groups.map((g) => [g.label, g.members.map((m) => m.id)])).toEqual([
      ['lenet5 · polynomial · fashion-mnist (n=1; 1 copy of a seed drawn once)', [1]],
      ['lenet5 · gaussian · fashion-mnist (n=2)', [3, 4]],
    ]);
  });

  it('groups by one field, whatever else differs', () => {
    const groups = groupCurves(inputs, rows, 'model.kernel.type', ['red', 'blue']);
    expect(groups.map((g) => [g.label, g.members.map((m) => m.id)])).toEqual([
      ['type = polynomial (n=3)', [1, 2, 5]],
      ['type = gaussian (n=2)', [3, 4]],
    ]);
  });
});

describe('alignment', () => {
  it('on steps: mean, sample std, min and max of the runs at each step, however many have it', () => {
    const points = alignExact([{ x: [1, 2, 3], y: [1, 2, 3] }, { x: [1, 2], y: [3, 4] }]);
    expect(points.map((p) => [p.x, p.mean, p.min, p.max, p.n])).toEqual([[1, 2, 1, 3, 2], [2, 3, 2, 4, 2], [3, 3, 3, 3, 1]]);
    expect(points[0].std).toBeCloseTo(Math.SQRT2, 12);
    expect(points[2].std).toBe(0);
  });

  it('on wall time: each run interpolated onto one grid, only where it has data', () => {
    expect(interpolate([0, 10], [0, 100], 2.5)).toBe(25);
    expect(interpolate([0, 10], [0, 100], 11)).toBeNull();
    const points = alignInterpolated([{ x: [0, 10], y: [0, 10] }, { x: [0, 5], y: [10, 20] }], 3);
    expect(points.map((p) => [p.x, p.mean, p.n])).toEqual([[0, 5, 2], [5, 12.5, 2], [10, 10, 1]]);
  });
});

describe('groupedCompareOption', () => {
  it('draws each group as a mean line over a filled band, one legend entry per group', () => {
    const groups = groupCurves(inputs, rows, 'model.kernel.type', ['red', 'blue']);
    const option = groupedCompareOption(groups, 'trainLoss', settings, 'range') as {
      legend: { data: string[] };
      series: { id: string; name: string; stack?: string; data: number[][]; areaStyle?: unknown }[];
    };
    expect(option.legend.data).toEqual(['type = polynomial (n=3)', 'type = gaussian (n=2)']);
    expect(option.series.map((s) => s.id)).toEqual(['"polynomial":lower', '"polynomial":band', '"polynomial":mean', '"gaussian":lower', '"gaussian":band', '"gaussian":mean']);
    const [lower, band, mean] = option.series;
    // Step 4 of runs 1, 2 and 5: losses 0.5, 0.7 and 0.1.
    expect(mean.data[3].slice(0, 2)).toEqual([4, (0.5 + 0.7 + 0.1) / 3]);
    expect(lower.data[3]).toEqual([4, 0.1]);
    expect(band.data[3][1]).toBeCloseTo(0.6, 12); // up to the max, 0.7
    expect(lower.stack).toBe(band.stack);
    expect(band.areaStyle).toBeTruthy();
  });

  it('aligns validation points by epoch, and a std band is mean ± std', () => {
    const groups = groupCurves(inputs.slice(0, 2), rows.slice(0, 2), 'experiment', ['red']);
    const option = groupedCompareOption(groups, 'validationLoss', { ...settings, xAxis: 'epoch' }, 'std') as { series: { data: number[][] }[] };
    const [lower, band, mean] = option.series;
    expect(mean.data.map((p) => p[0])).toEqual([1, 2]);
    expect(mean.data[0][1]).toBeCloseTo(1.6, 12); // runs 1 and 2 at epoch 1: 1.5 and 1.7
    expect(lower.data[0][1] + band.data[0][1] / 2).toBeCloseTo(1.6, 12);
    expect(band.data[0][1] / 2).toBeCloseTo(Math.sqrt(0.02), 12);
  });
});
