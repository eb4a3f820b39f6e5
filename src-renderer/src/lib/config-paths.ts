// Validation issues placed on the form fields they belong to. Reading and writing
// dotted paths ("optimizer.lr") is shared/config-paths.ts, the one implementation
// the service's sweeps and the form both use.

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
