// "Group by config": runs whose configs differ only in name and seed are repeats
// of one experiment. (RunRow.configHash covers the seed, since it identifies a
// reproducible run, so it cannot be the grouping key.)
import type { ConfigDiffRow, RunRow } from '../../../src-main/shared/api';
import { canonicalJson } from '../../../src-main/shared/run-config';
import { summarize, type Summary } from './stats';

export interface RunGroup {
  key: string;
  rows: RunRow[];
  bestValidation: Summary | null;
}

const IGNORED = new Set(['name', 'seed']);

/** The experiment a config belongs to: everything but its name and seed. */
export function experimentKey(config: Record<string, unknown>): string {
  const rest = Object.fromEntries(Object.entries(config).filter(([key]) => !IGNORED.has(key)));
  return canonicalJson(rest);
}

/** Experiment keys of compared runs, from the comparison's config diff (the fields that differ). */
export function experimentKeysFromDiff(runIds: readonly number[], diff: readonly ConfigDiffRow[]): Map<number, string> {
  const relevant = diff.filter((row) => !IGNORED.has(row.path));
  return new Map(runIds.map((id, i) => [id, canonicalJson(relevant.map((row) => [row.path, row.values[i]]))]));
}

/** Groups in order of first appearance; rows without a known key stay alone. */
export function groupRuns(rows: readonly RunRow[], keyOf: (row: RunRow) => string | undefined): RunGroup[] {
  const groups = new Map<string, RunRow[]>();
  for (const row of rows) {
    const key = keyOf(row) ?? `run:${row.id}`;
    const list = groups.get(key);
    if (list) list.push(row);
    else groups.set(key, [row]);
  }
  return [...groups.entries()].map(([key, groupRows]) => ({
    key,
    rows: groupRows,
    bestValidation: summarize(groupRows.map((r) => r.bestValidationAccuracy)),
  }));
}
