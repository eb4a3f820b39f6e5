// Chart settings (smoothing, log scale, x axis) shared by Run detail, Compare and
// Diagnostics, and kept across reloads in localStorage: a researcher who reads
// curves at smoothing 0.9 by wall time should not set it again on every page.
import type { XAxisMode } from '../lib/curves';

export interface ChartSettings {
  smoothing: number;
  logScale: boolean;
  xAxis: XAxisMode;
}

const KEY = 'kerv.chart-settings';
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

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

export const chartSettings = $state<ChartSettings>(parseChartSettings(storage()?.getItem(KEY) ?? null));

$effect.root(() => {
  $effect(() => {
    const text = JSON.stringify({ smoothing: chartSettings.smoothing, logScale: chartSettings.logScale, xAxis: chartSettings.xAxis });
    storage()?.setItem(KEY, text);
  });
});
