// "Group by config": runs whose configs differ only in name and seed are repeats
// of one experiment. The service stores that identity with every run
// (RunRow.experimentHash, sha256 of the config without name and seed), so
// grouping needs nothing beyond the rows already on screen.
import type { RunRow } from '../../../src-main/shared/api';
import { aggregate, type Aggregate } from '../../../src-main/shared/table-format';

export interface RunGroup {
  key: string;
  rows: RunRow[];
  bestValidation: Aggregate | null;
}

/** Groups by experiment, in order of first appearance, with the spread of the best validation accuracy. */
export function groupRuns(rows: readonly RunRow[]): RunGroup[] {
  const groups = new Map<string, RunRow[]>();
  for (const row of rows) {
    const list = groups.get(row.experimentHash);
    if (list) list.push(row);
    else groups.set(row.experimentHash, [row]);
  }
  return [...groups.entries()].map(([key, groupRows]) => ({
    key,
    rows: groupRows,
    bestValidation: aggregate(groupRows.map((r) => r.bestValidationAccuracy)),
  }));
}
