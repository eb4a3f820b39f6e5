// Hyperparameter analysis of a sweep or any set of runs: which config fields
// vary (those are the axes), and the ECharts options for parallel coordinates
// (config fields then metrics, coloured by the chosen metric) and for a scatter
// of one field against one metric. Both charts brush: the selected runs open in
// Compare.
import type { RunRow } from '../../../src-main/shared/api';
import { flattenConfig } from '../../../src-main/shared/config-paths';
import { METRIC_FIELDS, fieldValue, type RunField } from '../../../src-main/shared/run-fields';
import { formatDuration, formatNumber } from '../../../src-main/shared/format';

export interface Axis {
  key: string;
  label: string;
  /** Text axes list their values in order; numbers get a value (or log) axis. */
  kind: 'category' | 'value' | 'log';
  categories?: string[];
  /** A duration in milliseconds: its labels read "1m 15s". */
  unit?: 'duration';
}

const IGNORED = new Set(['config.name', 'config.seed']);

/**
 * Config fields whose values differ between the runs: the axes worth drawing.
 * Name and seed are left out, and so is a field only some runs have that is the
 * same wherever it appears (a polynomial's default d when the kernel varies).
 */
export function varyingFields(rows: readonly RunRow[]): Axis[] {
  const values = new Map<string, unknown[]>();
  for (const row of rows) {
    for (const [path, value] of Object.entries(flattenConfig(row.config))) {
      const key = `config.${path}`;
      if (IGNORED.has(key)) continue;
      const list = values.get(key) ?? [];
      list.push(value);
      values.set(key, list);
    }
  }
  const axes: Axis[] = [];
  for (const [key, list] of [...values.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const distinct = [...new Set(list.map((v) => JSON.stringify(v)))];
    if (distinct.length < 2) continue;
    axes.push(axisFor(key, key.slice('config.'.length), list));
  }
  return axes;
}

function axisFor(key: string, label: string, values: readonly unknown[]): Axis {
  const numbers = values.filter((v): v is number => typeof v === 'number');
  if (numbers.length === values.length && numbers.length > 0) return { key, label, kind: logSpaced(numbers) ? 'log' : 'value' };
  const categories = [...new Set(values.map((v) => (v === undefined || v === null ? '—' : typeof v === 'string' ? v : JSON.stringify(v))))].sort();
  return { key, label, kind: 'category', categories };
}

/** Coefficient of variation: how unevenly spread the values are (0 = all equal). */
function variation(values: readonly number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  return mean === 0 ? Infinity : sd / Math.abs(mean);
}

/**
 * Whether a field's values are log-spaced, as learning rates, weight decays and
 * batch sizes are swept (0.001, 0.003, 0.01; 32, 64, 128): all positive, spanning
 * a factor of 4 or more, their steps more even as ratios than as differences
 * (two values: a factor of 10 or more). Such a field gets a log axis.
 */
export function logSpaced(values: readonly number[]): boolean {
  const distinct = [...new Set(values)].sort((a, b) => a - b);
  if (distinct.length < 2 || distinct[0] <= 0) return false;
  const span = distinct[distinct.length - 1] / distinct[0];
  if (distinct.length === 2) return span >= 10;
  if (span < 4) return false;
  const gaps = distinct.slice(1).map((v, i) => v - distinct[i]);
  const ratios = distinct.slice(1).map((v, i) => Math.log(v / distinct[i]));
  return variation(ratios) < variation(gaps);
}

/** Metrics whose values differ between the runs (a constant axis says nothing); parameter counts are not results. */
export function metricAxes(rows: readonly RunRow[]): Axis[] {
  return METRIC_FIELDS.filter((f) => f.key !== 'summary.parameterCount')
    .filter((f) => new Set(rows.map((r) => fieldValue(r, f.key)).filter((v) => typeof v === 'number')).size >= 2)
    .map((f: RunField) => ({ key: f.key, label: f.label, kind: 'value' as const, ...(f.key === 'durationMs' ? { unit: 'duration' as const } : {}) }));
}

/** How an axis's numbers read: durations (stored in ms) as "1m 15s", others with `digits` significant digits. */
export function axisValueText(axis: Axis, digits = 3): (v: number) => string {
  return axis.unit === 'duration' ? (v) => formatDuration(v) : (v) => formatNumber(v, digits);
}

/** Where the parallel axes sit (pixels from the chart's edges): axis i of n is at left + i·(width − left − right)/(n − 1). */
export const PARALLEL_LAYOUT = { left: 70, right: 140, top: 50, bottom: 40 };

function cell(row: RunRow, axis: Axis): number | string | null {
  const v = fieldValue(row, axis.key);
  if (axis.kind === 'category') return v === undefined || v === null ? '—' : typeof v === 'string' ? v : JSON.stringify(v);
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** The colour scale of a metric (red = low, green = high), shown at the right; on data dimension `dimension`. */
function colourScale(dimension: number, values: readonly (number | string | null)[], label: string): Record<string, unknown> | undefined {
  const numbers = values.filter((v): v is number => typeof v === 'number');
  if (numbers.length === 0) return undefined;
  return {
    type: 'continuous',
    dimension,
    min: Math.min(...numbers),
    max: Math.max(...numbers),
    show: true,
    right: 8,
    top: 'middle',
    itemHeight: 120,
    precision: 3,
    calculable: false,
    text: [label, ''],
    textStyle: { fontSize: 10 },
    inRange: { color: COLOUR_SCALE },
    // A run without the metric (still training) stays visible, in grey.
    outOfRange: { color: '#9aa3ad' },
  };
}

/** The colours of colourScale, low to high. */
export const COLOUR_SCALE = ['#c8324f', '#f2b13a', '#2f9a52'];

/** One line per run across the axes, coloured by `colorBy` (a metric key). Row order = data index order. */
export function parallelOption(rows: readonly RunRow[], axes: readonly Axis[], colorBy: string): Record<string, unknown> {
  const colorDim = axes.findIndex((a) => a.key === colorBy);
  return {
    animation: false,
    parallel: { ...PARALLEL_LAYOUT, parallelAxisDefault: { nameLocation: 'start', nameGap: 16, nameTextStyle: { fontSize: 11 } } },
    parallelAxis: axes.map((axis, dim) => ({
      dim,
      name: axis.label,
      type: axis.kind,
      ...(axis.kind === 'category' ? { data: axis.categories } : { scale: true }),
      axisLabel: { fontSize: 10, ...(axis.kind === 'category' ? {} : { formatter: axisValueText(axis) }) },
      nameLocation: 'end',
      nameGap: 14,
    })),
    visualMap: colorDim >= 0 ? colourScale(colorDim, rows.map((r) => cell(r, axes[colorDim])), axes[colorDim].label) : undefined,
    series: [
      {
        type: 'parallel',
        lineStyle: { width: 1.6, opacity: 0.75 },
        inactiveOpacity: 0.06,
        activeOpacity: 1,
        emphasis: { lineStyle: { width: 3 } },
        data: rows.map((r) => axes.map((a) => cell(r, a))),
      },
    ],
  };
}

/**
 * One field against one metric: a point per run (category fields spread as a
 * category axis), coloured by the `colorBy` metric like the parallel
 * coordinates, brushable by dragging a rectangle. Runs selected elsewhere
 * (brushed on the parallel coordinates) stand out; the others fade.
 */
export function scatterOption(rows: readonly RunRow[], x: Axis, y: Axis, colorBy: Axis | null, selected: ReadonlySet<number> = new Set()): Record<string, unknown> {
  const faded = (id: number) => selected.size > 0 && !selected.has(id);
  const data = rows.map((r) => ({
    value: [cell(r, x), cell(r, y), colorBy ? cell(r, colorBy) : null],
    name: `#${r.id} ${r.name}`,
    runId: r.id,
    itemStyle: { opacity: faded(r.id) ? 0.12 : 0.9 },
  }));
  return {
    animation: false,
    grid: { left: 12, right: colorBy ? 110 : 20, top: 30, bottom: 30, containLabel: true },
    tooltip: { trigger: 'item', formatter: (p: { name: string; value: [unknown, unknown] }) => `${p.name}<br>${x.label}: ${String(p.value[0])}<br>${y.label}: ${typeof p.value[1] === 'number' ? axisValueText(y, 4)(p.value[1]) : '—'}` },
    xAxis: { type: x.kind, name: x.label, nameLocation: 'middle', nameGap: 26, scale: true, ...(x.kind === 'category' ? { data: x.categories } : {}), splitLine: { show: false } },
    yAxis: { type: y.kind, name: y.label, scale: true, axisLabel: { formatter: axisValueText(y) } },
    visualMap: colorBy ? colourScale(2, data.map((d) => d.value[2]), colorBy.label) : undefined,
    // EChart.svelte takes the brush cursor whenever an option with a brush is applied.
    brush: { xAxisIndex: 0, brushType: 'rect', brushMode: 'single', throttleType: 'debounce', throttleDelay: 100, outOfBrush: { colorAlpha: 0.15 } },
    series: [{ type: 'scatter', symbolSize: 9, itemStyle: { color: '#2f6fb0' }, data }],
  };
}

/** Ranks 1..n of the values, ties sharing the mean of their ranks (Spearman's convention). */
export function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && order[end + 1][0] === order[start][0]) end++;
    const rank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) out[order[k][1]] = rank;
    start = end + 1;
  }
  return out;
}

/** Spearman's ρ: Pearson's correlation of the ranks; null when either side is constant or there are under 3 pairs. */
export function spearman(xs: readonly number[], ys: readonly number[]): number | null {
  if (xs.length !== ys.length || xs.length < 3) return null;
  const [rx, ry] = [ranks(xs), ranks(ys)];
  const mean = (rx.length + 1) / 2;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < rx.length; i++) {
    sxy += (rx[i] - mean) * (ry[i] - mean);
    sxx += (rx[i] - mean) ** 2;
    syy += (ry[i] - mean) ** 2;
  }
  return sxx === 0 || syy === 0 ? null : sxy / Math.sqrt(sxx * syy);
}

export interface FieldImportance {
  axis: Axis;
  /** Spearman's ρ of the field with the metric, over replicates; null when it cannot be told. */
  rho: number | null;
  /** Replicates (a config and seed: a run and its copies, averaged) with both values. */
  n: number;
}

/**
 * How strongly each numeric config field goes with a metric: Spearman's rank
 * correlation (monotone, so a log-spaced rate needs no transform), strongest
 * first. A run and its copies (the same config and seed: configHash) count once,
 * as their mean, as in every seed statistic. Text fields have no order to rank.
 */
export function fieldImportance(rows: readonly RunRow[], fields: readonly Axis[], metric: Axis): FieldImportance[] {
  return fields
    .filter((axis) => axis.kind !== 'category')
    .map((axis) => {
      const replicates = new Map<string, { x: number; ys: number[] }>();
      for (const row of rows) {
        const [x, y] = [cell(row, axis), cell(row, metric)];
        if (typeof x !== 'number' || typeof y !== 'number') continue;
        const entry = replicates.get(row.configHash) ?? { x, ys: [] };
        entry.ys.push(y);
        replicates.set(row.configHash, entry);
      }
      const pairs = [...replicates.values()].map((r) => [r.x, r.ys.reduce((a, b) => a + b, 0) / r.ys.length] as const);
      return { axis, rho: spearman(pairs.map((p) => p[0]), pairs.map((p) => p[1])), n: pairs.length };
    })
    .sort((a, b) => Math.abs(b.rho ?? 0) - Math.abs(a.rho ?? 0));
}
