// The pure parts of the Compare screen: one chart per chosen metric with one line
// per visible run (colour fixed by the run's place in the comparison, no in-chart
// legend: the side list is the legend), zoom and pan, and the predictions of 2–4
// runs on the fixed sample set (flips) with the difference of two confusion matrices.
import type { StepSeries } from '../../../src-main/shared/api';
import type { EpochMetrics, SampleImage, SamplePrediction } from '../../../src-main/shared/progress';
import { confusionHeatmap, CURVE_GRID, lineSymbol, seriesValues, stepX, tickLabels, xAxisOption, zoomOption, type XAxisMode } from './curves';
import { downsample } from './downsample';
import { emaSmooth } from './smoothing';
import { formatNumber } from '../../../src-main/shared/format';

export const COMPARE_METRICS = [
  { key: 'trainLoss', label: 'train loss', source: 'step', field: 'loss' },
  { key: 'trainAccuracy', label: 'train accuracy', source: 'step', field: 'accuracy' },
  { key: 'validationLoss', label: 'validation loss', source: 'epoch', field: 'validationLoss' },
  { key: 'validationAccuracy', label: 'validation accuracy', source: 'epoch', field: 'validationAccuracy' },
  { key: 'learningRate', label: 'learning rate', source: 'step', field: 'learningRate' },
  { key: 'imagesPerSecond', label: 'images/s', source: 'step', field: 'imagesPerSecond' },
] as const;

export type CompareMetric = (typeof COMPARE_METRICS)[number]['key'];
export const DEFAULT_COMPARE_METRICS: CompareMetric[] = ['trainLoss', 'validationAccuracy'];

export interface CompareInput {
  id: number;
  label: string;
  color: string;
  steps: StepSeries;
  epochs: EpochMetrics[];
}

function epochX(epoch: EpochMetrics, mode: XAxisMode): number {
  if (mode === 'wall') return epoch.wallTimeMs / 1000;
  if (mode === 'epoch') return epoch.epoch;
  return epoch.step;
}

/** One metric of every visible run on one chart, zoomable (wheel, drag, and the slider under the axis). */
export function compareOption(
  inputs: readonly CompareInput[],
  metric: CompareMetric,
  settings: { smoothing: number; logScale: boolean; xAxis: XAxisMode },
): Record<string, unknown> {
  const spec = COMPARE_METRICS.find((m) => m.key === metric)!;
  const series = inputs.map((input) => {
    let data: number[][];
    if (spec.source === 'step') {
      const xs = stepX(input.steps, settings.xAxis);
      const ys = input.steps[spec.field];
      const smoothed = spec.field === 'loss' || spec.field === 'accuracy' ? emaSmooth(ys, settings.smoothing) : ys;
      data = downsample(xs, smoothed, 1000);
    } else {
      data = input.epochs
        .map((e) => [epochX(e, settings.xAxis), e[spec.field]] as const)
        .filter((p): p is readonly [number, number] => p[1] !== null && Number.isFinite(p[1]))
        .map(([x, y]) => [x, y]);
    }
    const points = spec.source === 'epoch' ? { showSymbol: true, symbolSize: 5 } : lineSymbol(data.length);
    return {
      id: String(input.id),
      name: input.label,
      type: 'line',
      ...points,
      emphasis: { focus: 'series' },
      lineStyle: { width: 1.5, color: input.color },
      itemStyle: { color: input.color },
      data,
    };
  });
  return {
    animation: false,
    grid: { ...CURVE_GRID, bottom: 56 },
    tooltip: {
      trigger: 'axis',
      confine: true,
      order: 'valueDesc',
      valueFormatter: (v: number) => (typeof v === 'number' ? formatNumber(v, 4) : String(v)),
    },
    xAxis: xAxisOption(settings.xAxis),
    yAxis: {
      type: settings.logScale ? 'log' : 'value',
      name: spec.label,
      nameTextStyle: { align: 'left' },
      scale: true,
      axisLabel: { formatter: tickLabels(seriesValues(series)) },
      ...(spec.field === 'accuracy' || spec.field === 'validationAccuracy' ? (settings.logScale ? {} : { max: 1 }) : {}),
    },
    dataZoom: zoomOption(settings.xAxis),
    series,
  };
}

// ---- predictions across runs ----

export interface PredictionRow {
  image: SampleImage;
  /** Predicted class per run (in the order given), null where the run has no prediction for the sample. */
  predicted: (number | null)[];
  /** Some runs are right and others wrong on this sample. */
  flip: boolean;
}

/** The fixed sample set with each run's prediction at its chosen epoch; flips are the samples the runs disagree on (right vs wrong). */
export function predictionRows(images: readonly SampleImage[], perRun: readonly (readonly SamplePrediction[] | null)[]): PredictionRow[] {
  const maps = perRun.map((predictions) => new Map((predictions ?? []).map((p) => [p.sampleIndex, p.top[0]?.classIndex ?? null])));
  return images.map((image) => {
    const predicted = maps.map((m) => m.get(image.sampleIndex) ?? null);
    const known = predicted.filter((p): p is number => p !== null);
    const right = known.filter((p) => p === image.label).length;
    return { image, predicted, flip: known.length >= 2 && right > 0 && right < known.length };
  });
}

/** The epoch every run has predictions for, latest first; null when they share none. */
export function lastCommonEpoch(epochLists: readonly (readonly EpochMetrics[])[]): number | null {
  if (epochLists.length === 0) return null;
  const withPredictions = epochLists.map((list) => new Set(list.filter((e) => e.samplePredictions.length > 0).map((e) => e.epoch)));
  const candidates = [...withPredictions[0]].filter((e) => withPredictions.every((s) => s.has(e))).sort((a, b) => b - a);
  return candidates[0] ?? null;
}

/**
 * B − A, cell by cell, as fractions of each true class (rows): how many more of
 * the class's images B puts in that column than A does. Counts are normalised
 * because two runs may evaluate different split sizes.
 */
export function confusionDifference(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): number[][] {
  if (a.length !== b.length) throw new Error(`The confusion matrices have ${a.length} and ${b.length} classes; only runs on the same classes can be compared.`);
  const rate = (row: readonly number[]) => {
    const total = row.reduce((s, v) => s + v, 0);
    return row.map((v) => (total > 0 ? v / total : 0));
  };
  return a.map((rowA, t) => {
    const ra = rate(rowA);
    const rb = rate(b[t]);
    return ra.map((v, p) => rb[p] - v);
  });
}

/** The heatmap of a confusion difference: blue where B has more, red where A has more, labelled in percentage points. */
export function confusionDiffOption(diff: readonly (readonly number[])[], classNames: readonly string[]): Record<string, unknown> {
  const pp = (v: number) => `${v > 0 ? '+' : ''}${v.toFixed(1)}`;
  const { data, max, option, labelled } = confusionHeatmap(diff, classNames, (v) => Math.round(v * 1000) / 10, (v) => `${pp(v)} percentage points`);
  return {
    ...option,
    visualMap: { min: -max, max, show: false, inRange: { color: ['#c8324f', '#f4f4f4', '#2f6fb0'] } },
    series: [{ type: 'heatmap', data, label: { show: labelled, fontSize: 9, formatter: (p: { value: [number, number, number] }) => (p.value[2] === 0 ? '' : pp(p.value[2])) } }],
  };
}
