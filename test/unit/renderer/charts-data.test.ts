// The pure functions under the run-detail and compare charts.
import { describe, expect, it } from 'vitest';
import { emaSmooth } from '../../../src-renderer/src/lib/smoothing';
import { downsample, lttbIndices } from '../../../src-renderer/src/lib/downsample';
import { curveOption, confusionOption, CONFUSION_GRID } from '../../../src-renderer/src/lib/curves';
import { confusionDiffOption } from '../../../src-renderer/src/lib/compare';
import { appendSteps, emptySeries, runProgress } from '../../../src-renderer/src/lib/progress';
import type { StepSeries } from '../../../src-main/shared/api';

function series(n: number, loss: (i: number) => number = (i) => 1 / (i + 1)): StepSeries {
  const s = emptySeries();
  for (let i = 0; i < n; i++) {
    s.step.push(i + 1);
    s.epoch.push(Math.floor(i / 10) + 1);
    s.loss.push(loss(i));
    s.accuracy.push(i / n);
    s.learningRate.push(0.01);
    s.imagesPerSecond.push(1000);
    s.wallTimeMs.push((i + 1) * 100);
  }
  return s;
}

describe('emaSmooth', () => {
  it('is debiased: a constant series stays constant from the first point', () => {
    expect(emaSmooth([2, 2, 2, 2], 0.9).map((v) => +v.toFixed(12))).toEqual([2, 2, 2, 2]);
  });
  it('damps a jump gradually and follows it eventually', () => {
    const out = emaSmooth([0, 0, 0, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10], 0.6);
    expect(out[3]).toBeGreaterThan(0);
    expect(out[3]).toBeLessThan(10);
    expect(out.at(-1)).toBeCloseTo(10, 3);
  });
  it('weight 0 returns the input, and NaN does not poison later points', () => {
    expect(emaSmooth([1, 5, 3], 0)).toEqual([1, 5, 3]);
    const out = emaSmooth([1, NaN, 1], 0.5);
    expect(out[1]).toBeNaN();
    expect(out[2]).toBeCloseTo(1);
  });
  it('rejects a weight outside [0, 1)', () => {
    expect(() => emaSmooth([1], 1)).toThrow(/\[0, 1\)/);
  });
});

describe('LTTB downsampling', () => {
  it('keeps everything under the threshold', () => {
    expect(lttbIndices([1, 2, 3], [1, 2, 3], 10)).toEqual([0, 1, 2]);
  });
  it('keeps the first, the last and a spike among 10,000 points', () => {
    const xs = Array.from({ length: 10_000 }, (_, i) => i);
    const ys = xs.map((i) => (i === 5_123 ? 100 : Math.sin(i / 500)));
    const kept = lttbIndices(xs, ys, 200);
    expect(kept).toHaveLength(200);
    expect(kept[0]).toBe(0);
    expect(kept.at(-1)).toBe(9_999);
    expect(kept).toContain(5_123);
    expect([...kept].sort((a, b) => a - b)).toEqual(kept);
    expect(downsample(xs, ys, 200)[0]).toEqual([0, 0]);
  });
});

describe('curveOption', () => {
  it('draws the smoothed train curve over a faint raw one, and validation per epoch', () => {
    const option = curveOption([{ label: 'a', steps: series(30), epochs: [{ epoch: 1, step: 10, validationLoss: 0.5, validationAccuracy: 0.8 } as never] }], 'loss', {
      smoothing: 0.6,
      logScale: false,
      xAxis: 'step',
    }) as { series: { name: string; data: number[][] }[] };
    expect(option.series.map((s) => s.name)).toEqual(['train (raw)', 'train', 'validation']);
    expect(option.series[0].data[0]).toEqual([1, 1]);
    expect(option.series[1].data[1][1]).not.toBe(option.series[0].data[1][1]);
    expect(option.series[2].data).toEqual([[10, 0.5]]);
  });
  it('uses a log axis when asked, labels runs when comparing, and maps the x axis', () => {
    const inputs = [
      { label: '#1', steps: series(20), epochs: [] },
      { label: '#2', steps: series(20), epochs: [] },
    ];
    const option = curveOption(inputs, 'loss', { smoothing: 0, logScale: true, xAxis: 'wall' }) as {
      yAxis: { type: string };
      xAxis: { name: string };
      series: { name: string; data: number[][] }[];
    };
    expect(option.yAxis.type).toBe('log');
    expect(option.xAxis.name).toBe('wall time');
    expect(option.series.map((s) => s.name)).toEqual(['#1 train', '#1 validation', '#2 train', '#2 validation']);
    expect(option.series[0].data[0][0]).toBeCloseTo(0.1);
    const byEpoch = curveOption(inputs, 'loss', { smoothing: 0, logScale: false, xAxis: 'epoch' }) as { series: { data: number[][] }[] };
    expect(byEpoch.series[0].data[9][0]).toBeCloseTo(1);
    expect(byEpoch.series[0].data[0][0]).toBeCloseTo(0.1);
  });
  it('puts true classes on rows and predictions on columns of the confusion heatmap', () => {
    const option = confusionOption(
      [
        [5, 1],
        [2, 7],
      ],
      ['cat', 'dog'],
    ) as { series: { data: number[][] }[]; yAxis: { data: string[] } };
    expect(option.yAxis.data).toEqual(['cat', 'dog']);
    // [predicted, true, count]
    expect(option.series[0].data).toContainEqual([1, 0, 1]);
    expect(option.series[0].data).toContainEqual([0, 1, 2]);
  });
  it('draws two runs\' confusion difference on the same layout, in percentage points on a symmetric scale', () => {
    const option = confusionDiffOption(
      [
        [-0.4, 0.4],
        [0.1, -0.1],
      ],
      ['cat', 'dog'],
    ) as { series: { data: number[][] }[]; yAxis: { data: string[] }; grid: object; visualMap: { min: number; max: number } };
    expect(option.yAxis.data).toEqual(['cat', 'dog']);
    expect(option.grid).toEqual(CONFUSION_GRID);
    expect(option.series[0].data).toContainEqual([1, 0, 40]);
    expect(option.series[0].data).toContainEqual([0, 1, 10]);
    expect(option.visualMap).toMatchObject({ min: -40, max: 40 });
  });
});

describe('run progress', () => {
  it('estimates the time left from the recent pace', () => {
    const steps = series(100);
    const progress = runProgress(steps, 200);
    expect(progress.fraction).toBe(0.5);
    // 100 ms per step, 100 steps left.
    expect(progress.etaMs).toBeCloseTo(10_000);
    expect(runProgress(emptySeries(), null)).toMatchObject({ step: 0, fraction: null, etaMs: null });
  });
  it('appends pushed steps once, even when a reload already has them', () => {
    const base = series(3);
    const pushed = [2, 3, 4].map((step) => ({ step, epoch: 1, loss: 1, accuracy: 0, learningRate: 0.1, imagesPerSecond: 1, wallTimeMs: step }));
    const merged = appendSteps(base, pushed);
    expect(merged.step).toEqual([1, 2, 3, 4]);
    expect(appendSteps(merged, pushed)).toBe(merged);
  });
});

describe("issue 22's chart lows", async () => {
  const { tickLabels, zoomOption, ZOOM_LABEL_ROOM, formatX } = await import('../../../src-renderer/src/lib/curves');
  const { logSpaced, axisValueText, metricAxes, parallelOption } = await import('../../../src-renderer/src/lib/hyperparams');
  const { cellCaption } = await import('../../../src-renderer/src/lib/samples');
  const { originText, ranOnText } = await import('../../../src-renderer/src/lib/provenance');

  it('labels the ticks of a learning rate decaying from 0.002 apart, where three digits read 0.00199 on each', () => {
    const ticks = [0.00199, 0.001992, 0.001994, 0.001996, 0.001998, 0.002];
    const labels = ticks.map(tickLabels([0.002, 0.001995, 0.00199]));
    expect(new Set(labels).size).toBe(ticks.length);
    expect(labels[0]).toBe('0.00199');
    expect(tickLabels([0.5, 0.9])(0.7)).toBe('0.7');
    expect(tickLabels([])(0.123456)).toBe('0.123');
  });

  it('gives the zoom slider labels the axis reads, with room for the longest beside it', () => {
    const slider = zoomOption('step')[1] as { labelFormatter: (v: number) => string; left: number; right: number };
    expect(slider.labelFormatter(120)).toBe('120');
    expect((zoomOption('wall')[1] as typeof slider).labelFormatter(3723)).toBe(formatX(3723, 'wall'));
    // 6 characters ("1h 02m") at the 12 px sans-serif ECharts uses, about 7 px each.
    expect(Math.min(slider.left, slider.right)).toBe(ZOOM_LABEL_ROOM);
    expect(ZOOM_LABEL_ROOM).toBeGreaterThanOrEqual(6 * 7);
  });

  it('puts log-spaced fields (learning rates, batch sizes) on a log axis, evenly spaced ones on a linear one', () => {
    expect(logSpaced([0.001, 0.003, 0.01])).toBe(true); // span 10: linear before
    expect(logSpaced([32, 64, 128, 256])).toBe(true);
    expect(logSpaced([0.001, 0.01])).toBe(true);
    expect(logSpaced([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).toBe(false);
    expect(logSpaced([0.1, 0.2])).toBe(false);
    expect(logSpaced([0, 0.01, 0.1])).toBe(false);
  });

  it('reads durations as durations on the parallel coordinates, not as raw milliseconds', () => {
    const rows = [5_900, 75_000].map((durationMs, i) => ({ id: i + 1, durationMs, bestValidationAccuracy: 0.5 + i / 10, config: {}, summary: null }) as never);
    const axes = metricAxes(rows);
    const duration = axes.find((a) => a.key === 'durationMs')!;
    expect(axisValueText(duration)(75_000)).toBe('1m 15s');
    const option = parallelOption(rows, axes, 'bestValidationAccuracy') as { parallelAxis: { name: string; axisLabel: { formatter: (v: number) => string } }[] };
    const axis = option.parallelAxis.find((a) => a.name === 'Duration')!;
    expect(axis.axisLabel.formatter(5_900)).toBe('5.9s');
  });

  it("says how many of a confusion cell's images have pictures", () => {
    expect(cellCaption(1, 93, 32, 'validation')).toBe('1 of the 93 validation images in this cell; only the 32 fixed samples have images.');
    expect(cellCaption(0, 4, 32, 'test')).toBe('None of the 32 sample images fall in this cell (the matrix counts the whole test split: 4 here).');
  });

  it('says an imported run ran elsewhere, and where it came from and when', () => {
    const origin = 'imported from a.kervrun (run 5 there) at 2026-12-05T13:03:00.000Z';
    expect(ranOnText({ ranOn: null, origin })).toBe('another machine (imported)');
    expect(ranOnText({ ranOn: null, origin: 're-run of run 3' })).toBe('this machine');
    expect(ranOnText({ ranOn: 'gpu-1', origin: null })).toBe('worker gpu-1');
    expect(originText(origin)).toMatch(/^imported from a\.kervrun \(run 5 there\) at \d{4}-\d\d-\d\d \d\d:\d\d$/);
    expect(originText(null)).toBe('started here');
  });
});
