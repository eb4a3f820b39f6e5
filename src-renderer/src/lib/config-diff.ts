// Config diff for the compare screen: one row per field whose value differs
// between runs, values rendered for a table. The service computes the diff rows;
// this decides how they read and which cells stand out.
import type { ConfigDiffRow } from '../../../src-main/shared/api';
import { formatValue } from '../../../src-main/shared/format';

export interface DiffCell {
  text: string;
  /** This run's value differs from the first run's. */
  differs: boolean;
}

export interface RenderedDiffRow {
  path: string;
  cells: DiffCell[];
}

/** Rows sorted by path; the name and seed are noise when comparing configs, so they go last. */
export function renderConfigDiff(rows: readonly ConfigDiffRow[]): RenderedDiffRow[] {
  const rank = (path: string) => (path === 'name' || path === 'seed' ? 1 : 0);
  return [...rows]
    .sort((a, b) => rank(a.path) - rank(b.path) || a.path.localeCompare(b.path))
    .map((row) => {
      const first = JSON.stringify(row.values[0]);
      return {
        path: row.path,
        // A field one run's config lacks (a polynomial's d on a linear run) arrives as null: shown as absent.
        cells: row.values.map((value, i) => ({ text: value === null ? '—' : formatValue(value), differs: i > 0 && JSON.stringify(value) !== first })),
      };
    });
}
