// Dotted paths into a run config ("model.kernel.type"): read, write, flatten and
// diff. Used by sweeps (grid axes), compare (config diff) and export (columns);
// pure, so the UI can use the same functions for previews.
import { canonicalJson } from './run-config';
import { isPrototypeKey } from './untrusted-json';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Own properties only: a path segment such as `__proto__` or `constructor` never reaches a prototype. */
export function getPath(obj: unknown, path: string): unknown {
  let current: unknown = obj;
  for (const key of path.split('.')) {
    if (!isPlainObject(current) || !Object.hasOwn(current, key)) return undefined;
    current = current[key];
  }
  return current;
}

/**
 * Returns a copy of obj with `path` set to value, creating objects on the way.
 * Setting a discriminator (a path ending in ".type", e.g. model.kernel.type) to a
 * different value replaces the whole object: parameters of the old kind (a
 * polynomial's c and d) do not belong to the new one (gaussian).
 */
export function setPath<T>(obj: T, path: string, value: unknown): T {
  if (isPrototypeKey(path)) throw new Error(`'${path}' is not a config path (it names an object prototype).`);
  const keys = path.split('.');
  const root: Record<string, unknown> = isPlainObject(obj) ? structuredClone(obj) : {};
  let node = root;
  for (let i = 0; i < keys.length - 1; i++) {
    const key = keys[i];
    const isDiscriminatorParent = i === keys.length - 2 && keys[keys.length - 1] === 'type';
    if (isDiscriminatorParent && isPlainObject(node[key]) && (node[key] as Record<string, unknown>).type !== value) {
      node[key] = {};
    } else if (!isPlainObject(node[key])) {
      node[key] = {};
    }
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
  return root as T;
}

/** Leaf paths and values; arrays are leaves (a milestone list is one setting). */
export function flattenConfig(obj: unknown, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isPlainObject(obj)) return out;
  for (const [key, value] of Object.entries(obj)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isPlainObject(value)) Object.assign(out, flattenConfig(value, path));
    else if (value !== undefined) out[path] = value;
  }
  return out;
}

/** The paths whose values differ between the configs (a path missing from some counts as differing). Sorted. */
export function diffConfigs(configs: unknown[]): { path: string; values: unknown[] }[] {
  const flat = configs.map((c) => flattenConfig(c));
  const paths = [...new Set(flat.flatMap((f) => Object.keys(f)))].sort();
  const rows: { path: string; values: unknown[] }[] = [];
  for (const path of paths) {
    const values = flat.map((f) => (path in f ? f[path] : null));
    const first = canonicalJson(values[0]);
    if (values.some((v) => canonicalJson(v) !== first)) rows.push({ path, values });
  }
  return rows;
}

/**
 * Parses a value typed on a command line or in a form: numbers, booleans, null
 * and JSON arrays/objects become themselves; anything else stays a string.
 */
export function parseScalar(text: string): Json {
  const t = text.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (t === 'null') return null;
  if (t !== '' && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return Number(t);
  if ((t.startsWith('[') && t.endsWith(']')) || (t.startsWith('{') && t.endsWith('}'))) {
    try {
      return JSON.parse(t) as Json;
    } catch {
      return t;
    }
  }
  return t;
}
