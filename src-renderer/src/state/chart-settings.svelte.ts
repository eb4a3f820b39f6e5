// Chart settings (smoothing, log scale, x axis) shared by Run detail, Compare and
// Diagnostics, and kept across reloads in localStorage: a researcher who reads
// curves at smoothing 0.9 by wall time should not set it again on every page.
import { parseChartSettings, type ChartSettings } from '../lib/chart-settings';

const KEY = 'kerv.chart-settings';

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
