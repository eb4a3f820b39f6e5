// Small numeric helpers shared by the benchmark sections.

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs fn `warmup` times untimed, then `steps` times timed; returns each timed duration in ms. */
export function timeRepeated(fn: () => void, warmup: number, steps: number): number[] {
  for (let i = 0; i < warmup; i++) fn();
  const durationsMs: number[] = [];
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    fn();
    durationsMs.push(performance.now() - start);
  }
  return durationsMs;
}

/**
 * timeRepeated, but a slow step (judged on the first warm-up step) shortens the
 * run so one very slow variant cannot take the whole benchmark's time: slower
 * than `slowStepMs` → no further warm-up and at most 3 timed steps; slower than
 * 4 × `slowStepMs` → one timed step. The caller reports how many were timed.
 */
export function timeWithBudget(fn: () => void, warmup: number, steps: number, slowStepMs: number): number[] {
  if (warmup === 0) return timeRepeated(fn, 0, steps);
  const start = performance.now();
  fn();
  const firstMs = performance.now() - start;
  if (firstMs > 4 * slowStepMs) return timeRepeated(fn, 0, 1);
  if (firstMs > slowStepMs) return timeRepeated(fn, 0, Math.min(steps, 3));
  return timeRepeated(fn, warmup - 1, steps);
}

export const MIB = 1024 * 1024;
