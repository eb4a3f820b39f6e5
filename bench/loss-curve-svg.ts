// Draws loss curves as a standalone SVG (GitHub renders it inline in markdown):
// axes with round-number ticks, labels, one polyline per series, a legend. Pure
// string building, no DOM, so it runs in a script and is easy to test.
import { parseCsv } from '../src-main/shared/table-format';

export interface CurveSeries {
  label: string;
  x: number[];
  y: number[];
}

export interface CurveChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

/** About `count` round tick values (1, 2, 5 × 10^k steps) covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) return [min];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const formatTick = (v: number) => (Math.abs(v) >= 1000 ? v.toLocaleString('en-US') : String(Number(v.toPrecision(4))));

export function renderLossCurveSvg(series: CurveSeries[], options: CurveChartOptions): string {
  const width = options.width ?? 720;
  const height = options.height ?? 400;
  // The legend sits in a row under the title, outside the plot, so it never hides a curve.
  const margin = { left: 64, right: 24, top: 56, bottom: 48 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const finite = (values: number[]) => values.filter((v) => Number.isFinite(v));
  const xs = series.flatMap((s) => finite(s.x));
  const ys = series.flatMap((s) => finite(s.y));
  if (xs.length === 0 || ys.length === 0) throw new Error('renderLossCurveSvg: no finite points to draw');
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs) > xMin ? Math.max(...xs) : xMin + 1;
  const yMin = Math.min(0, Math.min(...ys));
  const yData = Math.max(...ys) > yMin ? Math.max(...ys) : yMin + 1;
  // Round the top up to a tick, so the highest gridline labels the top of the plot.
  const yStep = niceTicks(yMin, yData)[1] - niceTicks(yMin, yData)[0] || yData - yMin;
  const yMax = Math.ceil(yData / yStep - 1e-9) * yStep;
  const px = (x: number) => margin.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const py = (y: number) => margin.top + plotH - ((y - yMin) / (yMax - yMin)) * plotH;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(options.title)}</text>`,
  ];
  for (const t of niceTicks(yMin, yMax)) {
    const y = py(t).toFixed(1);
    parts.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${y}" y2="${y}" stroke="#e0e0e0"/>`);
    parts.push(`<text x="${margin.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${formatTick(t)}</text>`);
  }
  for (const t of niceTicks(xMin, xMax, 6)) {
    const x = px(t).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${margin.top + plotH}" y2="${margin.top + plotH + 4}" stroke="black"/>`);
    parts.push(`<text x="${x}" y="${margin.top + plotH + 18}" text-anchor="middle">${formatTick(t)}</text>`);
  }
  parts.push(
    `<polyline fill="none" stroke="black" points="${margin.left},${margin.top} ${margin.left},${margin.top + plotH} ${margin.left + plotW},${margin.top + plotH}"/>`,
    `<text x="${margin.left + plotW / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
    `<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}</text>`,
  );
  let legendX = margin.left;
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const points = s.x
      .map((x, j) => [x, s.y[j]] as const)
      .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
      .map(([x, y]) => [px(x).toFixed(1), py(y).toFixed(1)] as const);
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${points.map(([x, y]) => `${x},${y}`).join(' ')}"/>`);
    // Sparse series (per-epoch values) get markers: a single point has no line to show.
    if (points.length <= 40) {
      for (const [x, y] of points) parts.push(`<circle cx="${x}" cy="${y}" r="3" fill="${color}"/>`);
    }
    const ly = 38;
    parts.push(`<line x1="${legendX}" x2="${legendX + 20}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    parts.push(`<text x="${legendX + 25}" y="${ly}" dominant-baseline="middle">${escapeXml(s.label)}</text>`);
    legendX += 40 + 6.5 * s.label.length;
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/**
 * Reads the long-format series CSV of `kerv export` (run_id, run_name, step,
 * epoch, wall_time_ms, metric, value) and returns one series per run for a metric,
 * against the step (default), the epoch or the wall time.
 */
export function seriesFromLongCsv(csv: string, metric: string, xColumn: 'step' | 'epoch' | 'wall_time_ms' = 'step'): CurveSeries[] {
  const [header = [], ...rows] = parseCsv(csv.trim());
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`series CSV: no '${name}' column (header: ${header.join(', ')})`);
    return i;
  };
  const [runName, runId, x, metricCol, value] = [col('run_name'), col('run_id'), col(xColumn), col('metric'), col('value')];
  const byRun = new Map<string, CurveSeries>();
  for (const cells of rows) {
    if (cells[metricCol] !== metric) continue;
    const key = cells[runId];
    const entry = byRun.get(key) ?? { label: cells[runName] || `run ${key}`, x: [], y: [] };
    entry.x.push(Number(cells[x]));
    entry.y.push(Number(cells[value]));
    byRun.set(key, entry);
  }
  return [...byRun.values()];
}
