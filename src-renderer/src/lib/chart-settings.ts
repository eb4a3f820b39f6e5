// Chart settings (smoothing, log scale, x axis) as saved: parsed field by field,
// so a value from an older version or a hand edit falls back to the default.
import type { XAxisMode } from './curves';

export interface ChartSettings {
  smoothing: number;
  logScale: boolean;
  xAxis: XAxisMode;
}

export const DEFAULT_CHART_SETTINGS: ChartSettings = { smoothing: 0.6, logScale: false, xAxis: 'step' };

/** Saved settings, each field checked: a value from an older version or a hand edit falls back to the default. */
export function parseChartSettings(text: string | null): ChartSettings {
  let saved: Partial<Record<keyof ChartSettings, unknown>> = {};
  try {
    saved = text ? (JSON.parse(text) as typeof saved) : {};
  } catch {
    saved = {};
  }
  const d = DEFAULT_CHART_SETTINGS;
  return {
    smoothing: typeof saved.smoothing === 'number' && saved.smoothing >= 0 && saved.smoothing < 1 ? saved.smoothing : d.smoothing,
    logScale: typeof saved.logScale === 'boolean' ? saved.logScale : d.logScale,
    xAxis: saved.xAxis === 'step' || saved.xAxis === 'epoch' || saved.xAxis === 'wall' ? saved.xAxis : d.xAxis,
  };
}
