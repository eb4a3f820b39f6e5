// The learning-rate finder's plot: loss against the rate on a log axis (the raw
// batch losses faint, the smoothed curve drawn), the suggestions marked. The
// divergence at the end would flatten everything else, so the y axis stops a
// little above the starting loss. Pure data, tested without a DOM.
import type { LrFindPoint, LrSuggestions } from '../../../src-main/shared/lr-find';
import { formatNumber } from '../../../src-main/shared/format';
import { CURVE_GRID, TRAIN_COLOR, VALIDATION_COLOR } from './curves';

/** "1.2e-3": how rates read everywhere the finder shows one. */
export const formatRate = (lr: number | null | undefined): string => (typeof lr === 'number' && Number.isFinite(lr) ? lr.toExponential(1) : '—');

type MarkEnd = { name?: string; coord: [number, number] };

/**
 * The suggestions as vertical lines from `bottom` to `top`. Each is a pair of
 * points: ECharts draws no { xAxis: value } mark on a log axis.
 */
export function suggestionMarks(s: LrSuggestions | null, bottom: number, top: number): [MarkEnd, MarkEnd][] {
  if (!s) return [];
  const line = (name: string, lr: number): [MarkEnd, MarkEnd] => [{ name, coord: [lr, bottom] }, { coord: [lr, top] }];
  const marks: [MarkEnd, MarkEnd][] = [];
  if (s.steepest !== null) marks.push(line(`steepest ${formatRate(s.steepest)}`, s.steepest));
  if (s.minimumDiv10 !== null) marks.push(line(`min ÷ 10 ${formatRate(s.minimumDiv10)}`, s.minimumDiv10));
  return marks;
}

/** A round number at or below (down) or above (up) a value: 0.1 steps under 2, 0.5 above. */
function round(value: number, up: boolean): number {
  const step = value < 2 ? 0.1 : 0.5;
  return (up ? Math.ceil(value / step) : Math.floor(value / step)) * step;
}

export function lrFindOption(points: readonly LrFindPoint[], suggestions: LrSuggestions | null): Record<string, unknown> {
  const finite = points.filter((p) => Number.isFinite(p.loss) && Number.isFinite(p.smoothed));
  const start = finite.length > 0 ? Math.max(...finite.slice(0, Math.max(1, Math.ceil(finite.length / 10))).map((p) => p.smoothed)) : 1;
  const low = finite.length > 0 ? Math.min(...finite.map((p) => Math.min(p.smoothed, p.loss))) : 0;
  const yMin = Math.max(0, round(low - 0.1 * (start - low), false));
  const yMax = round(start + 0.25 * (start - low), true);
  return {
    animation: false,
    grid: { ...CURVE_GRID, top: 36 },
    legend: { top: 0, right: 0, textStyle: { fontSize: 11 }, data: ['smoothed loss', 'batch loss'] },
    tooltip: {
      trigger: 'axis',
      axisPointer: { label: { formatter: (p: { value: number }) => formatRate(p.value) } },
      valueFormatter: (v: number) => (typeof v === 'number' ? formatNumber(v, 4) : String(v)),
    },
    xAxis: { type: 'log', name: 'learning rate', nameLocation: 'middle', nameGap: 26, min: 'dataMin', max: 'dataMax', axisLabel: { formatter: (v: number) => formatRate(v) } },
    // Above the starting loss is only the divergence: cut there, so the fall stays readable.
    yAxis: { type: 'value', name: 'loss', min: yMin, max: yMax, axisLabel: { formatter: (v: number) => formatNumber(v, 3) } },
    series: [
      { name: 'batch loss', type: 'scatter', symbolSize: 3, itemStyle: { color: TRAIN_COLOR, opacity: 0.3 }, data: finite.map((p) => [p.lr, p.loss]) },
      {
        name: 'smoothed loss',
        type: 'line',
        showSymbol: false,
        lineStyle: { width: 2, color: TRAIN_COLOR },
        itemStyle: { color: TRAIN_COLOR },
        data: finite.map((p) => [p.lr, p.smoothed]),
        markLine: {
          silent: true,
          symbol: 'none',
          lineStyle: { color: VALIDATION_COLOR, type: 'dashed' },
          label: { formatter: '{b}', position: 'insideEndTop', fontSize: 10 },
          data: suggestionMarks(suggestions, yMin, yMax),
        },
      },
    ],
  };
}
