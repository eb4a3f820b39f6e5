// Mean ± sample standard deviation for groups of repeated runs (seeds).

export interface Summary {
  n: number;
  mean: number;
  std: number;
}

export function summarize(values: readonly (number | null | undefined)[]): Summary | null {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (xs.length === 0) return null;
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  const variance = xs.length > 1 ? xs.reduce((s, v) => s + (v - mean) ** 2, 0) / (xs.length - 1) : 0;
  return { n: xs.length, mean, std: Math.sqrt(variance) };
}

export function formatMeanStd(summary: Summary | null, scale = 100, digits = 2): string {
  if (!summary) return '—';
  const mean = (summary.mean * scale).toFixed(digits);
  return summary.n > 1 ? `${mean} ± ${(summary.std * scale).toFixed(digits)}` : mean;
}
