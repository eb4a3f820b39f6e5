// Curves grouped over seeds on the Compare screen (lib/grouped-curves.ts): grouping
// and labels, alignment on steps and on wall time, and the mean-and-band chart.
import { describe, expect, it } from 'vitest';
import type { StepSeries } from '../../../src-main/shared/api';
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
const ids = [1, 2, 3, 4, 5];
const diff = [
  { path: 'model.kernel.type', values: ['polynomial', 'polynomial', 'gaussian', 'gaussian', 'polynomial'] },
  { path: 'name', values: ['a', 'b', 'c', 'd', 'e'] },
  { path: 'optimizer.lr', values: [0.01, 0.01, 0.01, 0.01, 0.1] },
  { path: 'seed', values: [0, 1, 0, 1, 0] },
];
const experiment = (id: number) => ({ 1: 'P', 2: 'P', 3: 'G', 4: 'G', 5: 'P-lr' })[id] as string;
const settings = { smoothing: 0, logScale: false, xAxis: 'step' as const };

describe('groupCurves', () => {
  it('groups by experiment, labelled with every field that tells the groups apart (never seed or name)', () => {
    expect(groupingFields(diff)).toEqual(['model.kernel.type', 'optimizer.lr']);
    const groups = groupCurves(inputs, diff, ids, 'experiment', experiment, ['red', 'blue', 'green']);
    expect(groups.map((g) => [g.label, g.members.map((m) => m.id), g.color])).toEqual([
      ['type = polynomial · lr = 0.01 (n=2)', [1, 2], 'red'],
      ['type = gaussian · lr = 0.01 (n=2)', [3, 4], 'blue'],
      ['type = polynomial · lr = 0.1 (n=1)', [5], 'green'],
    ]);
  });

  it('labels with the fewest fields that tell the groups apart: a kernel type, not its parameters too', () => {
    const kernels = [
      { path: 'model.kernel.c', values: [1, 1, null, null] },
      { path: 'model.kernel.gamma', values: [null, null, 'auto', 'auto'] },
      { path: 'model.kernel.type', values: ['polynomial', 'polynomial', 'gaussian', 'gaussian'] },
      { path: 'seed', values: [0, 1, 0, 1] },
    ];
    const groups = groupCurves(inputs.slice(0, 4), kernels, [1, 2, 3, 4], 'experiment', experiment, ['red', 'blue']);
    expect(groups.map((g) => g.label)).toEqual(['type = polynomial (n=2)', 'type = gaussian (n=2)']);
  });

  it('counts a copy of a run (same experiment, same seed) once, and says so', () => {
    const identity = (id: number) => ({ 1: 'P:0', 2: 'P:0', 3: 'G:0', 4: 'G:1', 5: 'Q:0' })[id] as string;
    const groups = groupCurves(inputs.slice(0, 4), diff.map((d) => ({ ...d, values: d.values.slice(0, 4) })), [1, 2, 3, 4], 'experiment', experiment, ['red'], identity);
    expect(groups.map((g) => [g.label, g.members.map((m) => m.id)])).toEqual([
      ['type = polynomial (n=1, 1 copy of a seed left out)', [1]],
      ['type = gaussian (n=2)', [3, 4]],
    ]);
  });

  it('groups by one field, whatever else differs', () => {
    const groups = groupCurves(inputs, diff, ids, 'model.kernel.type', experiment, ['red', 'blue']);
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
    const groups = groupCurves(inputs, diff, ids, 'model.kernel.type', experiment, ['red', 'blue']);
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
    const groups = groupCurves(inputs.slice(0, 2), diff.map((d) => ({ ...d, values: d.values.slice(0, 2) })), [1, 2], 'experiment', () => 'P', ['red']);
    const option = groupedCompareOption(groups, 'validationLoss', { ...settings, xAxis: 'epoch' }, 'std') as { series: { data: number[][] }[] };
    const [lower, band, mean] = option.series;
    expect(mean.data.map((p) => p[0])).toEqual([1, 2]);
    expect(mean.data[0][1]).toBeCloseTo(1.6, 12); // runs 1 and 2 at epoch 1: 1.5 and 1.7
    expect(lower.data[0][1] + band.data[0][1] / 2).toBeCloseTo(1.6, 12);
    expect(band.data[0][1] / 2).toBeCloseTo(Math.sqrt(0.02), 12);
  });
});
