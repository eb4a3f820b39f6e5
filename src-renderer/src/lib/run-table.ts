// The runs table as data: its columns (any run field: built-ins, summary metrics,
// config paths, tags), how a cell reads, the filter language people type
// ("best val acc > 0.85, kernel = gaussian, epochs ≥ 5") and saved views.
import type { FilterOp, RunFilter, RunRow } from '../../../src-main/shared/api';
import { BUILTIN_FIELDS, configFields, fieldValue, isFieldName, resolveField, type RunField } from '../../../src-main/shared/run-fields';
import { formatCount, formatDateTime, formatDuration, formatNumber, formatPercent, formatValue } from '../../../src-main/shared/format';

/** The columns a fresh table shows (their order is what users and tests know). */
export const DEFAULT_COLUMNS = ['id', 'status', 'name', 'dataset', 'arch', 'kernel', 'bestValidationAccuracy', 'durationMs', 'createdAt'];

/** Every field a column or filter can name: the built-ins and every config field (shared/run-fields.ts configFields). */
export function availableFields(rows: readonly RunRow[]): RunField[] {
  return [...BUILTIN_FIELDS, ...configFields(rows)];
}

/** Whether showing or filtering these fields needs each row's config and summary. */
export function needsConfig(keys: readonly string[]): boolean {
  return keys.some((k) => k.startsWith('config.') || k.startsWith('summary.'));
}

/** A cell as text, in the unit its field carries. */
export function cellText(row: RunRow, key: string): string {
  const value = fieldValue(row, key);
  if (key === 'tag') return (value as string[]).join(', ');
  if (key === 'durationMs') return formatDuration(value as number | null);
  if (key === 'createdAt') return formatDateTime(row.startedAt ?? row.createdAt);
  if (BUILTIN_FIELDS.find((f) => f.key === key)?.fraction) return formatPercent(value as number | null);
  if (key === 'summary.parameterCount' || key === 'step') return formatCount(value as number | null);
  if (typeof value === 'number') return formatNumber(value, 5);
  if (value === undefined || value === null) return '—';
  return formatValue(value);
}

const OPS: [string, FilterOp][] = [
  ['>=', '>='],
  ['≥', '>='],
  ['<=', '<='],
  ['≤', '<='],
  ['!=', '!='],
  ['≠', '!='],
  ['==', '='],
  ['=', '='],
  ['>', '>'],
  ['<', '<'],
];

/**
 * Parses the filter box: conditions separated by commas, semicolons or "and",
 * each `field op value`. Fields are resolved like column names (labels,
 * aliases, config paths, unique path suffixes); numbers stay numbers, "85%"
 * means 0.85, and so does 85 for an accuracy (shown in percent). Throws an
 * Error naming the condition that does not parse.
 */
export function parseFilter(text: string, fields: readonly RunField[]): RunFilter[] {
  const parts = text
    .split(/\s*(?:[,;]|\band\b)\s*/i)
    .map((p) => p.trim())
    .filter(Boolean);
  return parts.map((part) => {
    let found: { at: number; token: string; op: FilterOp } | null = null;
    for (const [token, op] of OPS) {
      const at = part.indexOf(token);
      if (at > 0 && (found === null || at < found.at || (at === found.at && token.length > found.token.length))) found = { at, token, op };
    }
    if (!found) throw new Error(`'${part}': expected field, operator and value, e.g. "best val acc > 0.85" or "kernel = gaussian".`);
    const name = part.slice(0, found.at).trim();
    const raw = part.slice(found.at + found.token.length).trim().replace(/^["']|["']$/g, '');
    if (raw === '') throw new Error(`'${part}': the value is missing.`);
    const field = resolveField(name, fields);
    const percent = /^-?\d+(\.\d+)?%$/.test(raw);
    const numeric = percent ? Number(raw.slice(0, -1)) / 100 : Number(raw);
    let value = raw !== '' && Number.isFinite(numeric) && (percent || /^-?(\d+\.?\d*|\.\d+)(e-?\d+)?$/i.test(raw)) ? numeric : raw;
    if (field.type === 'number' && typeof value !== 'number') throw new Error(`'${part}': ${field.label} is a number; got '${raw}'.`);
    if (field.fraction && typeof value === 'number' && !percent && value > 1) {
      // The table shows accuracies in percent, so "best val acc > 80" means 80 %.
      if (value > 100) throw new Error(`'${part}': ${field.label} is a percentage (0–100%, or a fraction 0–1); got ${raw}.`);
      value /= 100;
    }
    return { field: field.key, op: found.op, value };
  });
}

export interface SavedView {
  name: string;
  columns: string[];
  filter: string;
  sortBy: string;
  sortDir: 'asc' | 'desc';
}

const VIEWS_KEY = 'kerv.run-views';
const COLUMNS_KEY = 'kerv.run-columns';

/** Saved views from localStorage; malformed entries are dropped. */
export function parseViews(text: string | null): SavedView[] {
  try {
    const list = JSON.parse(text ?? '[]') as unknown;
    if (!Array.isArray(list)) return [];
    return list.filter(
      (v): v is SavedView =>
        !!v && typeof v.name === 'string' && Array.isArray(v.columns) && v.columns.every((c: unknown) => typeof c === 'string') && typeof v.filter === 'string' && typeof v.sortBy === 'string' && (v.sortDir === 'asc' || v.sortDir === 'desc'),
    );
  } catch {
    return [];
  }
}

/** Where views are kept: the browser's localStorage, or anything with its two methods. */
export interface ViewStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export function loadViews(storage: ViewStorage): SavedView[] {
  try {
    return parseViews(storage.getItem(VIEWS_KEY));
  } catch {
    return [];
  }
}

/** Saves (or replaces, by name) a view; returns the new list. */
export function saveView(storage: ViewStorage, views: readonly SavedView[], view: SavedView): SavedView[] {
  const next = [...views.filter((v) => v.name !== view.name), view].sort((a, b) => a.name.localeCompare(b.name));
  try {
    storage.setItem(VIEWS_KEY, JSON.stringify(next));
  } catch {
    // Private mode or a full quota: the view lasts for this session.
  }
  return next;
}

/** The columns last shown (kept across reloads), or the defaults; names the store cannot query are dropped. */
export function loadColumns(storage: ViewStorage): string[] {
  try {
    const list = JSON.parse(storage.getItem(COLUMNS_KEY) ?? 'null') as unknown;
    if (Array.isArray(list)) {
      const columns = list.filter((c): c is string => typeof c === 'string' && isFieldName(c));
      if (columns.length > 0) return [...new Set(columns)];
    }
  } catch {
    // Unreadable: the defaults.
  }
  return [...DEFAULT_COLUMNS];
}

export function saveColumns(storage: ViewStorage, columns: readonly string[]): void {
  try {
    storage.setItem(COLUMNS_KEY, JSON.stringify(columns));
  } catch {
    // Private mode or a full quota: the choice lasts for this session.
  }
}
