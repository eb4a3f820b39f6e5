// Curves grouped over seeds (or any config field), as a paper draws a kernel
// comparison: each group is its mean curve with a band (± one standard
// deviation, or min–max) and one legend entry. Runs are aligned on the chart's
// x axis: on steps and epochs exactly (runs of one config share them), on wall
// time by linear interpolation onto a common grid (no two runs log at the same
// second). Pure data, tested without a DOM.
import type { ConfigDiffRow, RunRow } from '../../../src-main/shared/api';
import { getPath } from '../../../src-main/shared/config-paths';
import { canonicalJson } from '../../../src-main/shared/run-config';
import { formatNumber, formatValue } from '../../../src-main/shared/format';
import { groupRuns } from './grouping';
import { COMPARE_METRICS, type CompareInput, type CompareMetric } from './compare';
import { CURVE_GRID, seriesValues, stepX, tickLabels, xAxisOption, zoomOption, type XAxisMode } from './curves';
import { emaSmooth } from './smoothing';

export type BandKind = 'std' | 'range';
/** 'experiment' = runs whose configs differ only in seed (and name); otherwise a config path. */
export type GroupBy = 'experiment' | string;

export interface CurveGroup {
  key: string;
  label: string;
  color: string;
  members: CompareInput[];
}

/** Config paths never worth grouping by: every run has its own. */
const NOT_GROUPING = new Set(['name', 'seed']);

/** The fields a user can group the compared runs by: those whose values differ between them. */
export function groupingFields(diff: readonly ConfigDiffRow[]): string[] {
  return diff.map((row) => row.path).filter((path) => !NOT_GROUPING.has(path));
}

/**
 * The curves in groups, in order of first appearance. By experiment: the groups
 * and labels of "group by config" everywhere else (lib/grouping.ts). By a field:
 * one group per value, labelled "field = value". A seed's copies (a Re-run with
 * the same seed, an imported bundle: the same configHash) are one replicate, as
 * in every seed statistic, so only the first of them is drawn.
 */
export function groupCurves(inputs: readonly CompareInput[], rows: readonly RunRow[], by: GroupBy, colors: readonly string[]): CurveGroup[] {
  const rowOf = new Map(rows.map((r) => [r.id, r]));
  const shown = inputs.filter((input) => rowOf.has(input.id));
  const valueOf = (id: number) => getPath(rowOf.get(id)!.config, by) ?? null;
  const byValue = (): { key: string; label: string; ids: number[] }[] => {
    const groups = new Map<string, number[]>();
    for (const input of shown) {
      const key = canonicalJson(valueOf(input.id));
      groups.set(key, [...(groups.get(key) ?? []), input.id]);
    }
    return [...groups.entries()].map(([key, ids]) => ({ key, label: `${by.split('.').at(-1)} = ${formatValue(getPath(rowOf.get(ids[0])!.config, by))}`, ids }));
  };
  const keyed =
    by === 'experiment' ? groupRuns(shown.map((input) => rowOf.get(input.id)!)).map((g) => ({ key: g.key, label: g.label, ids: g.rows.map((r) => r.id) })) : byValue();
  return keyed.map(({ key, label, ids }, i) => {
    const replicates = new Map<string, CompareInput>();
    for (const id of ids) {
      const replicate = rowOf.get(id)!.configHash;
      if (!replicates.has(replicate)) replicates.set(replicate, shown.find((input) => input.id === id)!);
    }
    const copies = ids.length - replicates.size;
    const count = `n=${replicates.size}${copies > 0 ? `; ${copies} cop${copies === 1 ? 'y' : 'ies'} of a seed drawn once` : ''}`;
    return { key, label: `${label} (${count})`, color: colors[i % colors.length], members: [...replicates.values()] };
  });
}

export interface GroupPoint {
  x: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  /** How many runs have a value here. */
  n: number;
}

function stats(x: number, values: number[]): GroupPoint {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n < 2 ? 0 : Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return { x, mean, std, min: Math.min(...values), max: Math.max(...values), n };
}

/** Points of several curves that share x values (steps, epochs): statistics of the curves at each x any of them has. */
export function alignExact(curves: readonly { x: readonly number[]; y: readonly number[] }[]): GroupPoint[] {
  const at = new Map<number, number[]>();
  for (const { x, y } of curves) {
    x.forEach((xi, i) => {
      if (!Number.isFinite(y[i])) return;
      const key = Number(xi.toPrecision(12)); // fractional epochs computed alike compare equal
      at.set(key, [...(at.get(key) ?? []), y[i]]);
    });
  }
  return [...at.entries()].sort((a, b) => a[0] - b[0]).map(([x, values]) => stats(x, values));
}

/** The value of a curve (x ascending) at `x` by linear interpolation; null outside its range. */
export function interpolate(x: readonly number[], y: readonly number[], at: number): number | null {
  if (x.length === 0 || at < x[0] || at > x[x.length - 1]) return null;
  let lo = 0;
  let hi = x.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (x[mid] <= at) lo = mid;
    else hi = mid;
  }
  if (x[hi] === x[lo]) return y[lo];
  const t = (at - x[lo]) / (x[hi] - x[lo]);
  return y[lo] + t * (y[hi] - y[lo]);
}

/** Curves with their own x values (wall time), interpolated onto `points` evenly spaced x values over their span. */
export function alignInterpolated(curves: readonly { x: readonly number[]; y: readonly number[] }[], points = 300): GroupPoint[] {
  const finite = curves.map(({ x, y }) => {
    const keep = x.map((_, i) => i).filter((i) => Number.isFinite(y[i]) && Number.isFinite(x[i]));
    return { x: keep.map((i) => x[i]), y: keep.map((i) => y[i]) };
  });
  const xs = finite.flatMap((c) => (c.x.length ? [c.x[0], c.x[c.x.length - 1]] : []));
  if (xs.length === 0) return [];
  const [from, to] = [Math.min(...xs), Math.max(...xs)];
  const count = to > from ? points : 1;
  const out: GroupPoint[] = [];
  for (let k = 0; k < count; k++) {
    const at = count === 1 ? from : from + ((to - from) * k) / (count - 1);
    const values = finite.map((c) => interpolate(c.x, c.y, at)).filter((v): v is number => v !== null);
    if (values.length > 0) out.push(stats(at, values));
  }
  return out;
}

function epochX(epoch: CompareInput['epochs'][number], mode: XAxisMode): number {
  if (mode === 'wall') return epoch.wallTimeMs / 1000;
  if (mode === 'epoch') return epoch.epoch;
  return epoch.step;
}

/** One run's curve of the metric on the chosen x axis (step metrics smoothed as on every curve chart). */
export function metricCurve(input: CompareInput, metric: CompareMetric, settings: { smoothing: number; xAxis: XAxisMode }): { x: number[]; y: number[] } {
  const spec = COMPARE_METRICS.find((m) => m.key === metric)!;
  if (spec.source === 'step') {
    const ys = input.steps[spec.field];
    return { x: stepX(input.steps, settings.xAxis), y: spec.field === 'loss' || spec.field === 'accuracy' ? emaSmooth(ys, settings.smoothing) : [...ys] };
  }
  const points = input.epochs.map((e) => [epochX(e, settings.xAxis), e[spec.field]] as const).filter((p): p is readonly [number, number] => p[1] !== null);
  return { x: points.map((p) => p[0]), y: points.map((p) => p[1]) };
}

/** A group's statistics along the x axis: exact on steps and epochs, interpolated on wall time. */
export function groupStats(group: CurveGroup, metric: CompareMetric, settings: { smoothing: number; xAxis: XAxisMode }): GroupPoint[] {
  const curves = group.members.map((m) => metricCurve(m, metric, settings));
  return settings.xAxis === 'wall' ? alignInterpolated(curves) : alignExact(curves);
}

/** Every k-th point, so a band's three lines keep the same x values (LTTB would pick different ones per line). */
function thin<T>(points: T[], max: number): T[] {
  if (points.length <= max) return points;
  const step = Math.ceil(points.length / max);
  return points.filter((_, i) => i % step === 0 || i === points.length - 1);
}

/**
 * One chart of a metric with a mean line and a band per group. The band is two
 * stacked series (the lower edge, invisible, then the band's height, filled),
 * named like the mean so one legend entry shows or hides all three.
 */
export function groupedCompareOption(
  groups: readonly CurveGroup[],
  metric: CompareMetric,
  settings: { smoothing: number; logScale: boolean; xAxis: XAxisMode },
  band: BandKind,
): Record<string, unknown> {
  const spec = COMPARE_METRICS.find((m) => m.key === metric)!;
  const series = groups.flatMap((group) => {
    const points = thin(groupStats(group, metric, settings), 1000);
    // On a log axis a band may not reach zero or below: it stops at the lowest run there.
    const lower = points.map((p) => {
      const edge = band === 'std' ? p.mean - p.std : p.min;
      return settings.logScale && edge <= 0 ? p.min : edge;
    });
    const upper = points.map((p) => (band === 'std' ? p.mean + p.std : p.max));
    // The band's two stacked parts: its lower edge, invisible, then its height, filled.
    const bandPart = (part: 'lower' | 'band', values: number[], extra: Record<string, unknown> = {}) => ({
      id: `${group.key}:${part}`,
      name: group.label,
      type: 'line',
      stack: `band:${group.key}`,
      silent: true,
      showSymbol: false,
      lineStyle: { opacity: 0 },
      // The legend takes its swatch from the first series of a name: the lower edge.
      itemStyle: { color: group.color },
      data: points.map((p, i) => [p.x, values[i]]),
      ...extra,
    });
    return [
      bandPart('lower', lower),
      bandPart('band', upper.map((u, i) => u - lower[i]), { areaStyle: { color: group.color, opacity: 0.18 } }),
      {
        id: `${group.key}:mean`,
        name: group.label,
        type: 'line',
        showSymbol: spec.source === 'epoch',
        symbolSize: 5,
        lineStyle: { width: 2, color: group.color },
        itemStyle: { color: group.color },
        // [x, mean, std, min, max, n]: the tooltip reads the spread from the point itself.
        data: points.map((p) => [p.x, p.mean, p.std, p.min, p.max, p.n]),
      },
    ];
  });
  const bandText = band === 'std' ? 'mean ± std' : 'mean, min–max';
  return {
    animation: false,
    grid: { ...CURVE_GRID, top: 52, bottom: 56 },
    legend: { top: 0, left: 0, type: 'scroll', textStyle: { fontSize: 11 }, data: groups.map((g) => g.label) },
    tooltip: {
      trigger: 'axis',
      confine: true,
      formatter: (params: { seriesId: string; seriesName: string; value: number[]; color: string }[]) => {
        const means = params.filter((p) => p.seriesId.endsWith(':mean'));
        if (means.length === 0) return '';
        const lines = means.map((p) => {
          const [, mean, std, min, max, n] = p.value;
          const spread = band === 'std' ? `± ${formatNumber(std, 3)}` : `[${formatNumber(min, 4)}, ${formatNumber(max, 4)}]`;
          return `<span style="color:${p.color}">●</span> ${p.seriesName}: ${formatNumber(mean, 4)} ${spread} (n=${n})`;
        });
        return [`${spec.label}, ${bandText}`, ...lines].join('<br>');
      },
    },
    xAxis: xAxisOption(settings.xAxis),
    yAxis: {
      type: settings.logScale ? 'log' : 'value',
      name: `${spec.label} (${bandText})`,
      nameTextStyle: { align: 'left' },
      scale: true,
      // Bands are stacked differences, not values: the lower edges and the means span the axis.
      axisLabel: { formatter: tickLabels(seriesValues(series.filter((s) => !s.id.endsWith(':band')))) },
    },
    dataZoom: zoomOption(settings.xAxis),
    series,
  };
}
