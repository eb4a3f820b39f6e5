// Builds result tables from stored runs: chosen config fields and final/best
// metrics per run, or per group of runs that share a config up to the seed
// (mean ± std over the repeats, and n). Formatting lives in shared/table-format.
import type { ExportRequest } from '../shared/api';
import { invalidInput } from '../shared/errors';
import { diffConfigs, flattenConfig, getPath } from '../shared/config-paths';
import { canonicalJson, defaultRunConfig, KERNEL_TYPES, replicateKey, runConfigSchema, type RunConfig } from '../shared/run-config';
import { aggregateReplicates, type Cell, type Table, type TableColumn } from '../shared/table-format';
import type { TrainSummary } from '../shared/progress';

/** What the export needs to know about one run. */
export interface ExportRun {
  id: number;
  name: string;
  status: string;
  groupId: number | null;
  config: RunConfig;
  step: number;
  durationMs: number | null;
  bestValidationAccuracy: number | null;
  testAccuracy: number | null;
  parameterCount: number | null;
  summary: TrainSummary | null;
  lastEpoch: { epoch: number; trainLoss: number | null; trainAccuracy: number | null; validationLoss: number | null; validationAccuracy: number | null } | null;
}

interface MetricColumn {
  label: string;
  digits?: number;
  value: (r: ExportRun) => number | null;
}

/** Metrics a table can show; accuracies are fractions in [0, 1]. */
export const METRIC_COLUMNS: Record<string, MetricColumn> = {
  bestValidationAccuracy: { label: 'best val acc', digits: 4, value: (r) => r.bestValidationAccuracy },
  finalValidationAccuracy: {
    label: 'final val acc',
    digits: 4,
    value: (r) => r.summary?.finalValidationAccuracy ?? r.lastEpoch?.validationAccuracy ?? null,
  },
  testAccuracy: { label: 'test acc', digits: 4, value: (r) => r.testAccuracy },
  testLoss: { label: 'test loss', digits: 4, value: (r) => r.summary?.testLoss ?? null },
  finalTrainLoss: { label: 'final train loss', digits: 4, value: (r) => r.summary?.finalTrainLoss ?? r.lastEpoch?.trainLoss ?? null },
  finalTrainAccuracy: {
    label: 'final train acc',
    digits: 4,
    value: (r) => r.summary?.finalTrainAccuracy ?? r.lastEpoch?.trainAccuracy ?? null,
  },
  trainingTimeS: {
    label: 'training time (s)',
    digits: 1,
    value: (r) => (r.summary ? r.summary.trainingTimeMs / 1000 : r.durationMs !== null ? r.durationMs / 1000 : null),
  },
  parameterCount: { label: 'parameters', digits: 0, value: (r) => r.summary?.parameterCount ?? r.parameterCount },
  // Not 'epochs': that is the config path (epochs planned); a cancelled run trained fewer.
  epochsTrained: { label: 'epochs trained', digits: 0, value: (r) => r.summary?.epochs ?? r.lastEpoch?.epoch ?? null },
  steps: { label: 'steps', digits: 0, value: (r) => r.step },
};

/**
 * A metric column by key: the fixed ones above, or a learned kernel parameter's
 * final value, named as in the run's scalars (kernel/<layer>/<param>[/mean|min|max]):
 * the summary keeps them (TrainSummary.kernelParameters).
 */
export function metricColumn(key: string): MetricColumn | undefined {
  if (Object.hasOwn(METRIC_COLUMNS, key)) return METRIC_COLUMNS[key];
  if (/^kernel\/[^/]+\/[^/]+(\/(mean|min|max))?$/.test(key)) {
    return { label: key, digits: 4, value: (r) => r.summary?.kernelParameters?.[key] ?? null };
  }
  return undefined;
}

/** Per-run fields (not aggregatable). */
const RUN_COLUMNS: Record<string, { label: string; value: (r: ExportRun) => Cell }> = {
  id: { label: 'run', value: (r) => r.id },
  name: { label: 'name', value: (r) => r.name },
  status: { label: 'status', value: (r) => r.status },
  group: { label: 'group', value: (r) => r.groupId },
};

export const DEFAULT_COLUMNS = [
  'id',
  'name',
  'dataset.name',
  'model.arch',
  'model.kernel.type',
  'seed',
  'bestValidationAccuracy',
  'finalValidationAccuracy',
  'testAccuracy',
  'trainingTimeS',
  'parameterCount',
];

/** Every config path a table can use: the defaulted config plus the parameters of every kernel type. */
export function configPaths(): string[] {
  const paths = new Set(Object.keys(flattenConfig(defaultRunConfig())));
  for (const type of KERNEL_TYPES) {
    const config = runConfigSchema.parse({ model: { kernel: { type } } });
    for (const path of Object.keys(flattenConfig(config))) paths.add(path);
  }
  paths.delete('name');
  return [...paths].sort();
}

/**
 * Every column a table can show. Metric and per-run names must not collide with
 * a config path: one name, one column (a duplicate is caught by the tests).
 */
export function exportColumns(): { path: string; label: string }[] {
  return [
    ...Object.entries(RUN_COLUMNS).map(([path, c]) => ({ path, label: c.label })),
    ...Object.entries(METRIC_COLUMNS).map(([path, c]) => ({ path, label: c.label })),
    ...configPaths().map((path) => ({ path, label: path })),
  ];
}

/** The special group-by key: every config field except the seed (and the free-text name). */
export const GROUP_BY_CONFIG = 'config';

function checkPaths(paths: string[], what: string, allowed: Set<string>): void {
  const unknown = paths.filter((p) => !allowed.has(p));
  if (unknown.length > 0) {
    throw invalidInput(
      `Unknown ${what} ${unknown.map((u) => `'${u}'`).join(', ')}: use a config path (e.g. model.kernel.type, optimizer.lr) or one of ${[
        ...Object.keys(RUN_COLUMNS),
        ...Object.keys(METRIC_COLUMNS),
      ].join(', ')}, or a learned kernel parameter (kernel/<layer>/<param>, with /mean, /min, /max when per channel).`,
    );
  }
}

function configValue(run: ExportRun, path: string): Cell {
  const v = getPath(run.config, path);
  if (v === undefined || v === null) return null;
  return typeof v === 'object' ? JSON.stringify(v) : (v as Cell);
}

function withoutSeed(config: RunConfig): unknown {
  const { seed: _seed, name: _name, ...rest } = config;
  return rest;
}

/** A column's header and kind: a metric, a per-run field, or a config path (numeric when the runs' values are). */
function columnOf(runs: ExportRun[], key: string): TableColumn {
  const metric = metricColumn(key);
  if (metric) return { key, label: metric.label, numeric: true, digits: metric.digits };
  const run = RUN_COLUMNS[key];
  if (run) return { key, label: run.label, numeric: key === 'id' || key === 'group' };
  const sample = runs.map((r) => getPath(r.config, key)).find((v) => v !== undefined && v !== null);
  return { key, label: key, numeric: typeof sample === 'number' };
}

function cellOf(run: ExportRun, key: string): Cell {
  const metric = metricColumn(key);
  if (metric) return metric.value(run);
  if (RUN_COLUMNS[key]) return RUN_COLUMNS[key].value(run);
  return configValue(run, key);
}

/** One row per run. */
function perRunTable(runs: ExportRun[], columns: string[]): Table {
  return { columns: columns.map((key) => columnOf(runs, key)), rows: runs.map((r) => columns.map((key) => cellOf(r, key))) };
}

/**
 * One row per group of runs: the key columns first (for 'config', the fields that
 * differ between groups), then the requested config fields (a value, or 'mixed'
 * when it varies inside a group), then aggregated metrics (mean ± std over
 * replicates: a seed's copies count once), then n, the replicates.
 */
function groupedTable(runs: ExportRun[], columns: string[], groupBy: string[]): Table {
  const byConfig = groupBy.includes(GROUP_BY_CONFIG);
  const explicitKeys = groupBy.filter((g) => g !== GROUP_BY_CONFIG && g !== 'seed');
  const keyOf = (r: ExportRun) => (byConfig ? canonicalJson(withoutSeed(r.config)) : canonicalJson(explicitKeys.map((p) => getPath(r.config, p) ?? null)));
  const groups = new Map<string, ExportRun[]>();
  for (const r of runs) {
    const key = keyOf(r);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const keyPaths = byConfig ? [...new Set([...explicitKeys, ...diffConfigs(runs.map((r) => withoutSeed(r.config))).map((d) => d.path)])] : explicitKeys;
  const otherConfig = columns.filter((c) => !metricColumn(c) && !RUN_COLUMNS[c] && c !== 'seed' && !keyPaths.includes(c));
  const metrics = columns.filter((c) => metricColumn(c));
  const rows = [...groups.values()].map((members): Cell[] => {
    const first = members[0];
    const sameInGroup = (p: string) => new Set(members.map((m) => canonicalJson(configValue(m, p)))).size === 1;
    return [
      ...keyPaths.map((p) => configValue(first, p)),
      ...otherConfig.map((p) => (sameInGroup(p) ? configValue(first, p) : 'mixed')),
      ...metrics.map((m) => aggregateReplicates(members.map((r) => ({ replicate: replicateKey(r.config), value: metricColumn(m)!.value(r) })))),
      new Set(members.map((r) => replicateKey(r.config))).size,
    ];
  });
  // n counts replicates: runs with the same settings and seed (a Re-run, an imported copy) are one.
  const cols = [...[...keyPaths, ...otherConfig, ...metrics].map((key) => columnOf(runs, key)), { key: 'n', label: 'n', numeric: true }];
  return { columns: cols, rows };
}

export function buildExportTable(runs: ExportRun[], request: Pick<ExportRequest, 'columns' | 'groupBy'>): Table {
  const allowedConfig = new Set(configPaths());
  const columns = request.columns && request.columns.length > 0 ? request.columns : DEFAULT_COLUMNS;
  checkPaths(columns.filter((c) => !metricColumn(c)), 'column(s)', new Set([...allowedConfig, ...Object.keys(RUN_COLUMNS)]));
  const groupBy = request.groupBy ?? [];
  checkPaths(groupBy.filter((g) => g !== GROUP_BY_CONFIG && g !== 'seed'), 'group-by field(s)', allowedConfig);
  return groupBy.length === 0 ? perRunTable(runs, columns) : groupedTable(runs, columns, groupBy);
}
