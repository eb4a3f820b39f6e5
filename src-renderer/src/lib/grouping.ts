// "Group by config": runs whose configs differ only in name and seed are repeats
// of one experiment. The service stores that identity with every run
// (RunRow.experimentHash, sha256 of the config without name and seed), so
// grouping needs nothing beyond the rows already on screen. Statistics are over
// seeds: the copies of one seed (a Re-run with the same seed, an imported bundle;
// RunRow.configHash is equal) count once, as their mean.
import type { RunRow } from '../../../src-main/shared/api';
import { diffConfigs } from '../../../src-main/shared/config-paths';
import { canonicalJson } from '../../../src-main/shared/run-config';
import { formatValue } from '../../../src-main/shared/format';
import { aggregateReplicates, type Aggregate } from '../../../src-main/shared/table-format';

export interface RunGroup {
  key: string;
  rows: RunRow[];
  /** arch · kernel · dataset, then the config fields that tell it from groups that would read alike ("optimizer.lr=0.01"). */
  label: string;
  /** Distinct seeds among the runs: a seed's copies count once. */
  seeds: number;
  bestValidation: Aggregate | null;
  testAccuracy: Aggregate | null;
}

/** Fields every label shows already (arch · kernel · dataset), and those a group never differs in. */
const SHOWN = new Set(['model.arch', 'model.kernel.type', 'dataset.name', 'name', 'seed']);

/**
 * The fewest config fields (but those a label shows anyway) whose values tell
 * every two of the configs apart, chosen greedily (the field that separates the
 * most pairs still alike first), each with its value per config; in path order.
 */
function distinguishingFields(configs: readonly unknown[]): { path: string; values: unknown[] }[] {
  const candidates = diffConfigs([...configs]).filter((d) => !SHOWN.has(d.path));
  const differs = (d: { values: unknown[] }, [i, j]: [number, number]) => canonicalJson(d.values[i]) !== canonicalJson(d.values[j]);
  let alike: [number, number][] = configs.flatMap((_, i) => configs.slice(i + 1).map((__, k): [number, number] => [i, i + 1 + k]));
  const chosen: typeof candidates = [];
  while (alike.length > 0) {
    const split = candidates.map((d) => alike.filter((pair) => differs(d, pair)).length);
    const best = split.indexOf(Math.max(0, ...split));
    if (best < 0 || split[best] === 0) break;
    chosen.push(candidates[best]);
    alike = alike.filter((pair) => !differs(candidates[best], pair));
  }
  return chosen.sort((a, b) => a.path.localeCompare(b.path));
}

/** "arch · kernel · dataset", plus for groups that would read alike, the fields that tell them apart ("optimizer.lr=0.01"). */
function groupLabels(firsts: readonly RunRow[]): string[] {
  const base = firsts.map((r) => [r.arch, r.kernel, r.dataset].join(' · '));
  const labels = [...base];
  for (const shared of new Set(base)) {
    const members = base.flatMap((b, i) => (b === shared ? [i] : []));
    if (members.length < 2 || members.some((i) => !firsts[i].config)) continue;
    const fields = distinguishingFields(members.map((i) => firsts[i].config));
    members.forEach((i, k) => {
      labels[i] = [shared, ...fields.map((d) => `${d.path}=${d.values[k] === null ? '—' : formatValue(d.values[k])}`)].join(' · ');
    });
  }
  return labels;
}

/**
 * Groups by experiment, in order of first appearance, each labelled with what
 * sets it apart and with the spread of its accuracies over seeds. Labels name
 * the fields that tell groups apart only when the rows carry their configs
 * (RunListQuery.withConfig).
 */
export function groupRuns(rows: readonly RunRow[]): RunGroup[] {
  const byExperiment = new Map<string, RunRow[]>();
  for (const row of rows) {
    const list = byExperiment.get(row.experimentHash);
    if (list) list.push(row);
    else byExperiment.set(row.experimentHash, [row]);
  }
  const groups = [...byExperiment.entries()];
  const labels = groupLabels(groups.map(([, members]) => members[0]));
  const overSeeds = (members: RunRow[], value: (r: RunRow) => number | null) => aggregateReplicates(members.map((r) => ({ replicate: r.configHash, value: value(r) })));
  return groups.map(([key, members], i) => {
    return {
      key,
      rows: members,
      label: labels[i],
      seeds: new Set(members.map((r) => r.configHash)).size,
      bestValidation: overSeeds(members, (r) => r.bestValidationAccuracy),
      testAccuracy: overSeeds(members, (r) => r.testAccuracy),
    };
  });
}

/** "3 runs", or "3 runs, 2 seeds" when some are copies of a seed (which count once). */
export function groupSize(group: Pick<RunGroup, 'rows' | 'seeds'>): string {
  const runs = `${group.rows.length} run${group.rows.length === 1 ? '' : 's'}`;
  return group.seeds < group.rows.length ? `${runs}, ${group.seeds} seed${group.seeds === 1 ? '' : 's'}` : runs;
}

/** How the statistics treat copies, for the screens that show them. */
export const SEED_STATISTICS_NOTE = 'Mean ± std over seeds: runs with the same config and seed (a Re-run, an imported copy) count once, as their mean.';
