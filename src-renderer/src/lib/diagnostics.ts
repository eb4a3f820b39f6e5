// The Diagnostics section of a run: its named scalar series (shared/progress.ts
// ScalarSample: kernel/<layer>/<param>, weight_norm/<layer>, grad_norm/<layer>,
// activation/<layer>/{mean,std}, system/...) grouped into charts by family, so a
// researcher sees γ of every layer on one chart, every layer's gradient norm on
// another, and what the run costs the machine on a third.
import type { ScalarSeries, StepSeries } from '../../../src-main/shared/api';
import type { ScalarSample } from '../../../src-main/shared/progress';
import { CURVE_GRID, lineSymbol, seriesValues, stepX, tickLabels, xAxisOption, type XAxisMode } from './curves';
import { runColor } from './colors';
import { downsample } from './downsample';
import { emaSmooth } from './smoothing';
import { formatNumber } from '../../../src-main/shared/format';

/** Appends pushed samples to columnar series (a step already present is replaced, as the store does). */
export function appendScalars(current: Record<string, ScalarSeries>, samples: readonly ScalarSample[]): Record<string, ScalarSeries> {
  const next = { ...current };
  const copied = new Set<string>();
  for (const sample of samples) {
    for (const [name, value] of Object.entries(sample.values)) {
      if (!copied.has(name)) {
        const old = next[name] ?? { step: [], wallTimeMs: [], value: [] };
        next[name] = { step: [...old.step], wallTimeMs: [...old.wallTimeMs], value: [...old.value] };
        copied.add(name);
      }
      const series = next[name];
      const last = series.step.length - 1;
      if (last >= 0 && series.step[last] === sample.step) {
        series.value[last] = value;
        series.wallTimeMs[last] = sample.wallTimeMs;
      } else if (last < 0 || series.step[last] < sample.step) {
        series.step.push(sample.step);
        series.wallTimeMs.push(sample.wallTimeMs);
        series.value.push(value);
      }
    }
  }
  return next;
}

export interface DiagnosticChart {
  /** Stable id (also the chart's accessible label). */
  key: string;
  family: string;
  title: string;
  /** Series on this chart: the stored name and its legend label. */
  lines: { name: string; label: string }[];
}

/** Families in the order a researcher reads them; unknown families follow, alphabetically. */
export const FAMILY_ORDER = ['kernel', 'weight_norm', 'grad_norm', 'activation', 'system'] as const;

export const FAMILY_TITLE: Record<string, string> = {
  kernel: 'Kernel parameters',
  weight_norm: 'Weight norms',
  grad_norm: 'Gradient norms',
  activation: 'Kervolution outputs',
  system: 'System',
};

const SYSTEM_TITLE: Record<string, string> = { cpu_percent: 'CPU (% of one core)', rss_mb: 'Memory (RSS, MB)', gpu_mb: 'GPU memory (MB)' };

/**
 * Which chart a series goes on and its label there: kernel parameters by
 * parameter (lines = layers), norms one chart per family, activations by
 * statistic, system one chart per quantity.
 */
function place(name: string): { key: string; family: string; title: string; label: string } {
  const [family, ...rest] = name.split('/');
  if (family === 'kernel' && rest.length >= 2) {
    const [layer, param, stat] = rest;
    return { key: `kernel/${param}`, family, title: `Kernel ${param}`, label: stat ? `${layer} ${stat}` : layer };
  }
  if ((family === 'weight_norm' || family === 'grad_norm') && rest.length >= 1) {
    return { key: family, family, title: FAMILY_TITLE[family], label: rest.join('/') };
  }
  if (family === 'activation' && rest.length >= 2) {
    const stat = rest[rest.length - 1];
    return { key: `activation/${stat}`, family, title: `Output ${stat}`, label: rest.slice(0, -1).join('/') };
  }
  if (family === 'system') {
    const quantity = rest.join('/');
    return { key: name, family, title: SYSTEM_TITLE[quantity] ?? quantity, label: quantity };
  }
  return { key: family, family, title: family, label: rest.join('/') || family };
}

/** The charts for a set of series names, grouped by family in reading order. */
export function diagnosticCharts(names: readonly string[]): { family: string; title: string; charts: DiagnosticChart[] }[] {
  const charts = new Map<string, DiagnosticChart>();
  for (const name of [...names].sort()) {
    const p = place(name);
    const chart = charts.get(p.key) ?? { key: p.key, family: p.family, title: p.title, lines: [] };
    chart.lines.push({ name, label: p.label });
    charts.set(p.key, chart);
  }
  const families = [...new Set([...charts.values()].map((c) => c.family))];
  const rank = (f: string) => {
    const i = (FAMILY_ORDER as readonly string[]).indexOf(f);
    return i < 0 ? FAMILY_ORDER.length : i;
  };
  families.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return families.map((family) => ({
    family,
    title: FAMILY_TITLE[family] ?? family,
    charts: [...charts.values()].filter((c) => c.family === family),
  }));
}

/** x positions of scalar samples: step, wall time, or the fractional epoch read off the run's step series. */
function scalarX(series: ScalarSeries, mode: XAxisMode, steps: StepSeries | null): number[] {
  if (mode === 'wall') return series.wallTimeMs.map((ms) => ms / 1000);
  if (mode === 'epoch' && steps && steps.step.length > 0) {
    const xs = stepX(steps, 'epoch');
    return series.step.map((s) => {
      // The last recorded step at or before s (binary search: steps are sorted).
      let lo = 0;
      let hi = steps.step.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (steps.step[mid] <= s) lo = mid;
        else hi = mid - 1;
      }
      return xs[lo];
    });
  }
  return series.step.slice();
}

export function diagnosticOption(
  chart: DiagnosticChart,
  scalars: Record<string, ScalarSeries>,
  settings: { smoothing: number; xAxis: XAxisMode },
  steps: StepSeries | null,
): Record<string, unknown> {
  // System readings are not noisy training signals: they are drawn as measured.
  const smoothing = chart.family === 'system' ? 0 : settings.smoothing;
  const xMode = settings.xAxis === 'epoch' && !steps ? 'step' : settings.xAxis;
  const series = chart.lines.map((line, i) => {
    const data = scalars[line.name] ?? { step: [], wallTimeMs: [], value: [] };
    const color = runColor(i);
    return {
      name: line.label,
      type: 'line',
      ...lineSymbol(data.step.length),
      lineStyle: { width: 1.5, color },
      itemStyle: { color },
      data: downsample(scalarX(data, xMode, steps), emaSmooth(data.value, smoothing), 600),
    };
  });
  return {
    animation: false,
    grid: { ...CURVE_GRID, top: chart.lines.length > 1 ? 40 : 24 },
    legend: chart.lines.length > 1 ? { type: 'scroll', top: 0, left: 0, right: 0, textStyle: { fontSize: 11 }, itemWidth: 14, itemHeight: 8 } : undefined,
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => (typeof v === 'number' ? formatNumber(v, 4) : String(v)) },
    xAxis: xAxisOption(xMode),
    yAxis: { type: 'value', scale: true, axisLabel: { formatter: tickLabels(seriesValues(series)) } },
    series,
  };
}
