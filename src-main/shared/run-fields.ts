// The fields of a run a table can show, filter and sort on, by one name each:
// RunRow keys ('bestValidationAccuracy'), summary metrics ('summary.testLoss'),
// config paths ('config.optimizer.lr') and 'tag'. The store turns a name into SQL,
// the UI into a column and a value; people type labels ('best val acc'), which
// resolveField maps back to a name.
import { invalidInput } from './errors';
import type { RunRow } from './api';
import { flattenConfig, getPath } from './config-paths';
import { configLeaves } from './run-config';

export type FieldType = 'number' | 'text';

export interface RunField {
  key: string;
  label: string;
  type: FieldType;
  /** Other names a filter may use (lower case). */
  aliases?: readonly string[];
  /** A fraction of 1 shown as a percentage (accuracies): a filter reads "80" and "80%" as 0.8. */
  fraction?: boolean;
}

/** Fields every run has, beside its config. */
export const BUILTIN_FIELDS: readonly RunField[] = [
  { key: 'id', label: '#', type: 'number', aliases: ['id', 'run'] },
  { key: 'status', label: 'Status', type: 'text' },
  { key: 'name', label: 'Name', type: 'text' },
  { key: 'dataset', label: 'Dataset', type: 'text' },
  { key: 'arch', label: 'Arch', type: 'text', aliases: ['architecture'] },
  { key: 'kernel', label: 'Kernel', type: 'text' },
  { key: 'seed', label: 'Seed', type: 'number' },
  { key: 'tag', label: 'Tags', type: 'text', aliases: ['tags'] },
  { key: 'bestValidationAccuracy', label: 'Best val acc', type: 'number', aliases: ['best val', 'val acc', 'best validation accuracy'], fraction: true },
  { key: 'testAccuracy', label: 'Test acc', type: 'number', aliases: ['test accuracy'], fraction: true },
  { key: 'summary.testLoss', label: 'Test loss', type: 'number' },
  { key: 'summary.finalTrainLoss', label: 'Final train loss', type: 'number', aliases: ['train loss'] },
  { key: 'summary.finalTrainAccuracy', label: 'Final train acc', type: 'number', aliases: ['train acc'], fraction: true },
  { key: 'summary.finalValidationAccuracy', label: 'Final val acc', type: 'number', fraction: true },
  { key: 'summary.parameterCount', label: 'Parameters', type: 'number', aliases: ['params'] },
  { key: 'step', label: 'Steps', type: 'number', aliases: ['steps'] },
  // Below the config's epochs when early stopping or an ASHA rung stopped the run.
  { key: 'summary.epochs', label: 'Epochs trained', type: 'number', aliases: ['trained epochs'] },
  { key: 'durationMs', label: 'Duration', type: 'number', aliases: ['duration ms'] },
  { key: 'createdAt', label: 'Created', type: 'text', aliases: ['started'] },
];

/** Metrics: what a hyperparameter view plots against config fields. */
export const METRIC_FIELDS: readonly RunField[] = BUILTIN_FIELDS.filter(
  (f) => f.type === 'number' && (f.key.startsWith('summary.') || f.key.endsWith('Accuracy') || f.key === 'durationMs'),
);

const FIELD_NAME = /^(config|summary)\.[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;

/** Whether a name is one the store can query: a built-in field, a summary metric or a config path. */
export function isFieldName(key: string): boolean {
  return BUILTIN_FIELDS.some((f) => f.key === key) || key === 'experimentHash' || FIELD_NAME.test(key);
}

/** Whether the runs list can sort by this field: every field but tags (a run has several). */
export function isSortField(key: string): boolean {
  return isFieldName(key) && key !== 'tag';
}

/** A config path as a field ('optimizer.lr' → config field labelled 'optimizer.lr'): a number when it only holds numbers. */
export function configField(path: string, numeric: boolean): RunField {
  return { key: `config.${path}`, label: path, type: numeric ? 'number' : 'text' };
}

/**
 * Every config field as a table field, from the run-config schema (optional ones
 * and every kernel's parameters included), plus any path only older stored
 * configs have. The name is a built-in field.
 */
export function configFields(rows: readonly Pick<RunRow, 'config'>[] = []): RunField[] {
  const fields = new Map(configLeaves().map((leaf) => [leaf.path, configField(leaf.path, leaf.numeric)]));
  for (const row of rows) {
    for (const [path, value] of Object.entries(flattenConfig(row.config))) if (!fields.has(path)) fields.set(path, configField(path, typeof value === 'number'));
  }
  fields.delete('name');
  return [...fields.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, field]) => field);
}

/** A field's value in a row (config and summary fields need the row's config/summary). */
export function fieldValue(row: RunRow, key: string): unknown {
  if (key.startsWith('config.')) return getPath(row.config, key.slice('config.'.length));
  if (key.startsWith('summary.')) return row.summary ? getPath(row.summary, key.slice('summary.'.length)) : null;
  if (key === 'tag') return row.tags;
  return (row as unknown as Record<string, unknown>)[key];
}

const normalise = (s: string) => s.trim().toLowerCase().replace(/[\s_-]+/g, ' ');

/**
 * The field a person means by `name`: a key, a label or alias, a config path
 * ("optimizer.lr"), or the unique config path ending in it ("lr", "gamma").
 * Throws with the candidates when it is unknown or ambiguous.
 */
export function resolveField(name: string, fields: readonly RunField[]): RunField {
  const wanted = normalise(name);
  const exact = fields.find(
    (f) => normalise(f.key) === wanted || normalise(f.label) === wanted || (f.aliases ?? []).some((a) => normalise(a) === wanted) || normalise(f.key) === `config.${wanted}`,
  );
  if (exact) return exact;
  const suffix = fields.filter((f) => f.key.startsWith('config.') && normalise(f.key).endsWith(`.${wanted.replace(/ /g, '.')}`));
  if (suffix.length === 1) return suffix[0];
  if (suffix.length > 1) throw invalidInput(`'${name}' could mean ${suffix.map((f) => f.label).join(' or ')}; write the full path.`);
  if (FIELD_NAME.test(name.trim())) return configOrSummary(name.trim());
  throw invalidInput(`Unknown field '${name}'; try a column (best val acc, kernel, epochs, optimizer.lr, tag).`);
}

/**
 * A field by its key: one of `fields`, or a config path or summary metric they do not
 * list (a saved view's column from configs no run on this page has), labelled by its
 * path as the column picker labels config fields; undefined for a name the store cannot query.
 */
export function fieldByKey(key: string, fields: readonly RunField[]): RunField | undefined {
  return fields.find((f) => f.key === key) ?? (FIELD_NAME.test(key) ? configOrSummary(key) : undefined);
}

function configOrSummary(key: string): RunField {
  return { key, label: key.replace(/^config\./, ''), type: 'number' };
}
