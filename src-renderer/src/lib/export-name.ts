// What an exported table is called: after what it holds, so several exports of
// one session do not all arrive as the same name (kerv-runs (3).csv).

/**
 * "run-12.csv", "runs-3-7-12.csv", "24-runs-1-to-24.csv" (more than four runs),
 * "all-runs.csv"; grouped tables add what they are grouped by
 * ("…-by-model.kernel.type.md").
 */
export function exportFileName(ids: readonly number[], groupBy: readonly string[], extension: string): string {
  const sorted = [...ids].sort((a, b) => a - b);
  const runs =
    sorted.length === 0
      ? 'all-runs'
      : sorted.length === 1
        ? `run-${sorted[0]}`
        : sorted.length <= 4
          ? `runs-${sorted.join('-')}`
          : `${sorted.length}-runs-${sorted[0]}-to-${sorted[sorted.length - 1]}`;
  const grouped = groupBy.length > 0 ? `-by-${groupBy.join('-')}` : '';
  return `${runs}${grouped}.${extension}`;
}
