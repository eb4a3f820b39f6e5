// Dotted paths into a run config ("optimizer.lr"): how form fields, validation
// issues, sweep grids and config diffs name a field.

export function getPath(object: unknown, path: string): unknown {
  let current: unknown = object;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Returns a copy of `object` with `path` set; intermediate objects are created. */
export function setPath<T>(object: T, path: string, value: unknown): T {
  const [head, ...rest] = path.split('.');
  const base = (object && typeof object === 'object' ? object : {}) as Record<string, unknown>;
  const copy: Record<string, unknown> = Array.isArray(base) ? ([...base] as unknown as Record<string, unknown>) : { ...base };
  if (rest.length === 0) {
    if (value === undefined) delete copy[head];
    else copy[head] = value;
  } else {
    copy[head] = setPath(base[head], rest.join('.'), value);
  }
  return copy as T;
}

/** Every leaf as [path, value]; arrays are leaves (milestones, layer indices). */
export function flatten(object: unknown, prefix = ''): [string, unknown][] {
  if (object === null || typeof object !== 'object' || Array.isArray(object)) return [[prefix, object]];
  const entries: [string, unknown][] = [];
  for (const [key, value] of Object.entries(object as Record<string, unknown>)) {
    entries.push(...flatten(value, prefix ? `${prefix}.${key}` : key));
  }
  return entries;
}

/**
 * Validation issues keyed by the form field they belong to. An issue on a parent
 * ("model.kernel") is shown on the first field below it; the rest go to `other`.
 */
export function issuesByField(
  issues: readonly { path: string; message: string }[],
  fieldPaths: readonly string[],
): { byField: Record<string, string[]>; other: { path: string; message: string }[] } {
  const byField: Record<string, string[]> = {};
  const other: { path: string; message: string }[] = [];
  for (const issue of issues) {
    const field =
      fieldPaths.find((f) => f === issue.path) ??
      fieldPaths.find((f) => issue.path.startsWith(`${f}.`)) ??
      fieldPaths.find((f) => f.startsWith(`${issue.path}.`));
    if (field) (byField[field] ??= []).push(issue.message);
    else other.push(issue);
  }
  return { byField, other };
}
