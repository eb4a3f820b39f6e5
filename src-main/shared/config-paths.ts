// Dotted paths into a run config ("model.kernel.type"): read, write, flatten and
// diff. Used by sweeps (grid axes), compare (config diff), export (columns) and the
// new-run form (fields, validation issues); pure, so the UI uses these same functions.
import { invalidInput } from './errors';
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

/** Objects whose `type` decides which other fields exist: the discriminated unions of run-config.ts. */
const DISCRIMINATED_OBJECTS = new Set(['model.kernel']);

/**
 * Returns a copy of obj with `path` set to value (undefined removes the field),
 * creating objects on the way. Only the objects along the path are copied, so it
 * works on any object graph, reactive proxies included, and shares the rest.
 * Setting the type of a discriminated union (model.kernel.type) to a different
 * value replaces the whole object: a polynomial's c and d do not belong to a
 * gaussian. Other `type` fields (optimizer.type) keep their siblings: an Adam
 * learning rate is still the learning rate after switching to SGD.
 */
export function setPath<T>(obj: T, path: string, value: unknown): T {
  if (isPrototypeKey(path)) throw invalidInput(`'${path}' is not a config path (it names an object prototype).`);
  return setKeys(obj, path.split('.'), 0, value) as T;
}

function setKeys(node: unknown, keys: string[], depth: number, value: unknown): unknown {
  const key = keys[depth];
  const copy: Record<string, unknown> = Array.isArray(node)
    ? ([...node] as unknown as Record<string, unknown>)
    : isPlainObject(node)
      ? { ...node }
      : {};
  if (depth === keys.length - 1) {
    if (value === undefined) delete copy[key];
    else copy[key] = value;
    return copy;
  }
  const child = copy[key];
  const switchesKind =
    depth === keys.length - 2 &&
    keys[depth + 1] === 'type' &&
    DISCRIMINATED_OBJECTS.has(keys.slice(0, depth + 1).join('.')) &&
    isPlainObject(child) &&
    child.type !== value;
  copy[key] = setKeys(switchesKind ? {} : child, keys, depth + 1, value);
  return copy;
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
