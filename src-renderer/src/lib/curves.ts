// ECharts options for training curves, built as plain data so they can be tested
// without a DOM. Step series are smoothed (EMA, the raw curve kept faint behind)
// and downsampled to what a chart can show; epoch series are drawn as points.
import type { EpochMetrics, TrainSummary } from '../../../src-main/shared/progress';
import type { StepSeries } from '../../../src-main/shared/api';
import { emaSmooth } from './smoothing';
import { downsample } from './downsample';
import { formatDuration, formatNumber } from '../../../src-main/shared/format';

export type XAxisMode = 'step' | 'epoch' | 'wall';

export interface CurveSettings {
  smoothing: number;
  logScale: boolean;
  xAxis: XAxisMode;
  /** Most points drawn per line. */
  maxPoints?: number;
}

export interface CurveInput {
  /** Legend label; one entry per run on the compare screen. */
  label: string;
  steps: StepSeries;
  epochs: EpochMetrics[];
  /** Epochs marked with a vertical line and a label (where early stopping stopped, the best epoch). */
  marks?: CurveMark[];
}

export interface CurveMark {
  epoch: number;
  label: string;
}

/** Where a run stopped before its last epoch, and why: early stopping (with its best epoch) or an ASHA rung. */
export function stopMarks(summary: Pick<TrainSummary, 'earlyStopping' | 'asha'> | null | undefined): CurveMark[] {
  const marks: CurveMark[] = [];
  const early = summary?.earlyStopping;
  if (early?.bestEpoch != null) marks.push({ epoch: early.bestEpoch, label: `best (epoch ${early.bestEpoch})` });
  if (early?.stoppedAtEpoch != null) marks.push({ epoch: early.stoppedAtEpoch, label: `stopped early (epoch ${early.stoppedAtEpoch})` });
  const asha = summary?.asha;
  if (asha) marks.push({ epoch: asha.stoppedAtEpoch, label: `stopped by ASHA (epoch ${asha.stoppedAtEpoch})` });
  return marks;
}

export const PALETTE = ['#2f6fb0', '#d9822b', '#3a9a5b', '#b8405e', '#7a5bb5', '#6b7a8f', '#c4a000', '#1f9aa8'];
/** One run's chart: train and validation read apart at a glance. */
export const TRAIN_COLOR = PALETTE[0];
export const VALIDATION_COLOR = PALETTE[1];

export function stepX(steps: StepSeries, mode: XAxisMode): number[] {
  if (mode === 'wall') return steps.wallTimeMs.map((ms) => ms / 1000);
  if (mode === 'epoch') {
    // Fractional epoch: position of the step inside its epoch.
    const perEpoch = new Map<number, { first: number; count: number }>();
    steps.epoch.forEach((e, i) => {
      const entry = perEpoch.get(e);
      if (entry) entry.count++;
      else perEpoch.set(e, { first: i, count: 1 });
    });
    return steps.epoch.map((e, i) => {
      const { first, count } = perEpoch.get(e)!;
      return e - 1 + (i - first + 1) / count;
    });
  }
  return steps.step.slice();
}

function epochX(epoch: EpochMetrics, mode: XAxisMode): number {
  if (mode === 'wall') return epoch.wallTimeMs / 1000;
  if (mode === 'epoch') return epoch.epoch;
  return epoch.step;
}

export const X_AXIS_LABEL: Record<XAxisMode, string> = { step: 'step', epoch: 'epoch', wall: 'wall time' };

/** How an x value reads on the axis and in tooltips: wall time as a duration (x is in seconds), steps as counts. */
export function formatX(value: number, mode: XAxisMode): string {
  if (mode === 'wall') return formatDuration(value * 1000);
  if (mode === 'epoch') return formatNumber(value, 3);
  return Number.isInteger(value) ? String(value) : formatNumber(value, 4);
}

/** The x axis every curve chart shares. */
export function xAxisOption(mode: XAxisMode): Record<string, unknown> {
  return {
    type: 'value',
    name: X_AXIS_LABEL[mode],
    nameLocation: 'middle',
    nameGap: 26,
    min: 'dataMin',
    max: 'dataMax',
    splitLine: { show: false },
    axisLabel: { formatter: (v: number) => formatX(v, mode), hideOverlap: true },
  };
}

/** Room for axis labels and names: labels are measured (containLabel), never cut at the edge. */
export const CURVE_GRID = { left: 12, right: 20, top: 32, bottom: 30, containLabel: true };

/**
 * A value axis's label formatter with just enough significant digits that its
 * ticks over `values` read apart: a learning rate decaying from 0.002 printed
 * with a fixed 3 digits read "0.00199" on every tick.
 */
export function tickLabels(values: Iterable<number>): (v: number) => string {
  let [min, max] = [Infinity, -Infinity];
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const magnitude = Math.max(Math.abs(min), Math.abs(max));
  if (!(max > min) || magnitude === 0) return (v) => formatNumber(v, 3);
  // ECharts puts about five ticks on the span at round steps: a tenth of it must read apart.
  const digits = Math.min(10, Math.max(3, Math.ceil(Math.log10(magnitude / ((max - min) / 10))) + 1));
  return (v) => formatNumber(v, digits);
}

/** The y values of line series data ([x, y] points), for tickLabels. */
export function seriesValues(series: readonly { data?: unknown }[]): number[] {
  return series.flatMap((s) => (Array.isArray(s.data) ? (s.data as unknown[]).map((p) => (Array.isArray(p) ? Number(p[1]) : NaN)) : []));
}

/**
 * Zoom and pan on x: the wheel and drags in the plot, and a slider under the
 * axis whose handle labels read like the axis (120, not 120.0) and have room
 * beside the slider (the last one was cut off at the chart's edge).
 */
export function zoomOption(mode: XAxisMode): Record<string, unknown>[] {
  return [
    { type: 'inside', xAxisIndex: 0, filterMode: 'none' },
    { type: 'slider', xAxisIndex: 0, filterMode: 'none', height: 16, bottom: 4, left: ZOOM_LABEL_ROOM, right: ZOOM_LABEL_ROOM, labelFormatter: (v: number) => formatX(v, mode) },
  ];
}

/** Pixels beside the zoom slider for its handle labels: "1h 02m" at 12px is about 40. */
export const ZOOM_LABEL_ROOM = 52;

/** A line without symbols hides a single point: show the symbol until there are two. */
export function lineSymbol(points: number): { showSymbol: boolean; symbolSize: number } {
  return { showSymbol: points < 2, symbolSize: 6 };
}

function tooltip(mode: XAxisMode): Record<string, unknown> {
  return {
    trigger: 'axis',
    axisPointer: { label: { formatter: (p: { value: number }) => formatX(p.value, mode) } },
    valueFormatter: (v: number) => (typeof v === 'number' ? formatNumber(v, 4) : String(v)),
  };
}

type Metric = 'loss' | 'accuracy';

/** One chart: the train metric per step plus the validation metric per epoch, for every input. */
export function curveOption(inputs: readonly CurveInput[], metric: Metric, settings: CurveSettings): Record<string, unknown> {
  const maxPoints = settings.maxPoints ?? 1500;
  const series: Record<string, unknown>[] = [];
  const single = inputs.length === 1;
  inputs.forEach((input, k) => {
    const color = single ? TRAIN_COLOR : PALETTE[k % PALETTE.length];
    const validationColor = single ? VALIDATION_COLOR : color;
    const prefix = single ? '' : `${input.label} `;
    const xs = stepX(input.steps, settings.xAxis);
    const raw = input.steps[metric];
    const smooth = emaSmooth(raw, settings.smoothing);
    if (settings.smoothing > 0) {
      series.push({
        name: `${prefix}train (raw)`,
        type: 'line',
        showSymbol: false,
        silent: true,
        lineStyle: { width: 1, opacity: 0.25, color },
        itemStyle: { color },
        data: downsample(xs, raw, maxPoints),
      });
    }
    series.push({
      name: `${prefix}train`,
      type: 'line',
      ...lineSymbol(xs.length),
      lineStyle: { width: 1.5, color },
      itemStyle: { color },
      data: downsample(xs, smooth, maxPoints),
    });
    const validation = input.epochs
      .map((e) => [epochX(e, settings.xAxis), metric === 'loss' ? e.validationLoss : e.validationAccuracy] as const)
      .filter((p): p is readonly [number, number] => p[1] !== null && Number.isFinite(p[1]));
    const marks = (input.marks ?? []).flatMap((mark) => {
      const at = input.epochs.find((e) => e.epoch === mark.epoch);
      return at ? [{ xAxis: epochX(at, settings.xAxis), name: mark.label }] : [];
    });
    series.push({
      name: `${prefix}validation`,
      type: 'line',
      symbol: 'circle',
      symbolSize: 6,
      lineStyle: { width: 1.5, type: 'dashed', color: validationColor },
      itemStyle: { color: validationColor },
      data: validation.map(([x, y]) => [x, y]),
      ...(marks.length > 0
        ? { markLine: { silent: true, symbol: 'none', lineStyle: { color: validationColor, type: 'dotted' }, label: { formatter: '{b}', position: 'insideEndTop', fontSize: 10 }, data: marks } }
        : {}),
    });
  });
  return {
    animation: false,
    grid: CURVE_GRID,
    // The faint raw curves stay out of the legend: they share the smoothed curve's colour.
    legend: { top: 0, right: 0, textStyle: { fontSize: 11 }, itemWidth: 14, itemHeight: 8, data: series.map((s) => s.name as string).filter((name) => !name.endsWith('(raw)')) },
    tooltip: tooltip(settings.xAxis),
    xAxis: xAxisOption(settings.xAxis),
    yAxis: {
      type: settings.logScale ? 'log' : 'value',
      name: metric,
      nameTextStyle: { align: 'left' },
      scale: true,
      ...(metric === 'accuracy' && !settings.logScale ? { max: 1 } : {}),
    },
    series,
  };
}

/** A single per-step scalar (learning rate, images/s). */
export function scalarOption(steps: StepSeries, field: 'learningRate' | 'imagesPerSecond', settings: Pick<CurveSettings, 'xAxis'>): Record<string, unknown> {
  const xs = stepX(steps, settings.xAxis);
  return {
    animation: false,
    grid: CURVE_GRID,
    tooltip: tooltip(settings.xAxis),
    xAxis: xAxisOption(settings.xAxis),
    yAxis: { type: 'value', name: field === 'learningRate' ? 'learning rate' : 'images/s', nameTextStyle: { align: 'left' }, scale: true, axisLabel: { formatter: tickLabels(steps[field]) } },
    series: [{ type: 'line', ...lineSymbol(xs.length), lineStyle: { width: 1.5, color: PALETTE[0] }, itemStyle: { color: PALETTE[0] }, data: downsample(xs, steps[field], 800) }],
  };
}

/** Pixel insets of the confusion heatmap's grid (the e2e test clicks cells by position). */
export const CONFUSION_GRID = { left: 104, right: 16, top: 10, bottom: 70 };

type HeatmapCell = [predicted: number, truth: number, value: number];

/**
 * What every confusion heatmap shares (a run's, two runs' difference): the class
 * names on both axes (true top to bottom, predicted left to right), one cell per
 * pair at the grid the e2e test clicks, a tooltip naming the pair, and the largest
 * |value| for the colour scale (at least 1, so an empty matrix still has one).
 */
export function confusionHeatmap(matrix: readonly (readonly number[])[], classNames: readonly string[], cell: (v: number) => number, valueText: (v: number) => string) {
  const names = classNames.length === matrix.length ? classNames : matrix.map((_, i) => String(i));
  const data = matrix.flatMap((row, t) => row.map((v, p): HeatmapCell => [p, t, cell(v)]));
  const max = data.reduce((m, d) => Math.max(m, Math.abs(d[2])), 1);
  const option = {
    animation: false,
    grid: { ...CONFUSION_GRID },
    tooltip: { formatter: (p: { value: HeatmapCell }) => `true ${names[p.value[1]]} → predicted ${names[p.value[0]]}: ${valueText(p.value[2])}` },
    xAxis: { type: 'category', data: names, name: 'predicted', nameLocation: 'middle', nameGap: 55, axisLabel: { rotate: 40, fontSize: 10 } },
    yAxis: { type: 'category', data: names, inverse: true, name: 'true', nameLocation: 'middle', nameGap: 84, nameRotate: 90, axisLabel: { fontSize: 10 } },
  };
  return { data, max, option, labelled: matrix.length <= 12 };
}

/** Confusion matrix heatmap: rows = true class (top to bottom), columns = predicted. */
export function confusionOption(confusion: number[][], classNames: readonly string[]): Record<string, unknown> {
  const { data, max, option, labelled } = confusionHeatmap(confusion, classNames, (count) => count, String);
  return {
    ...option,
    xAxis: { ...option.xAxis, splitArea: { show: true } },
    yAxis: { ...option.yAxis, splitArea: { show: true } },
    visualMap: { min: 0, max, show: false, inRange: { color: ['#f4f7fb', '#2f6fb0'] } },
    series: [{ type: 'heatmap', data, label: { show: labelled, fontSize: 10 }, emphasis: { itemStyle: { borderColor: '#222', borderWidth: 1 } } }],
  };
}
