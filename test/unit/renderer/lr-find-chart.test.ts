// The learning-rate finder's plot (lib/lr-find-chart.ts): log rate axis, the y
// axis cut above the starting loss, the suggestions drawn as vertical lines.
import { describe, expect, it } from 'vitest';
import { formatRate, lrFindOption } from '../../../src-renderer/src/lib/lr-find-chart';

const points = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1].map((lr, i) => ({ step: i + 1, lr, loss: [2.3, 2.3, 2.1, 1.2, 0.8, 3, 400][i], smoothed: [2.3, 2.3, 2.2, 1.8, 1.3, 1.6, 40][i] }));

describe('lrFindOption', () => {
  it('plots loss against the rate on a log axis, marks the suggestions, and keeps the divergence from flattening the curve', () => {
    const option = lrFindOption(points, { steepest: 1e-3, minimumDiv10: 1e-3 }) as {
      xAxis: { type: string };
      yAxis: { min: number; max: number };
      series: { name: string; data: number[][]; markLine?: { data: [{ name: string; coord: number[] }, { coord: number[] }][] } }[];
    };
    expect(option.xAxis.type).toBe('log');
    // Starting loss 2.3, lowest 0.8: the axis ends a quarter of the fall above the start, on a round value.
    expect(option.yAxis.max).toBe(3);
    expect(option.yAxis.min).toBeCloseTo(0.6, 10);
    const smoothed = option.series.find((s) => s.name === 'smoothed loss')!;
    expect(smoothed.data.map((p) => p[0])).toEqual(points.map((p) => p.lr));
    expect(smoothed.markLine!.data.map(([from, to]) => [from.name, from.coord, to.coord])).toEqual([
      ['steepest 1.0e-3', [1e-3, option.yAxis.min], [1e-3, 3]],
      ['min ÷ 10 1.0e-3', [1e-3, option.yAxis.min], [1e-3, 3]],
    ]);
  });

  it('leaves out non-finite losses and reads rates in one format', () => {
    const option = lrFindOption([...points, { step: 8, lr: 2, loss: NaN, smoothed: NaN }], null) as { series: { data: number[][] }[] };
    expect(option.series[0].data).toHaveLength(7);
    expect([formatRate(0.00123), formatRate(null), formatRate(NaN)]).toEqual(['1.2e-3', '—', '—']);
  });
});
