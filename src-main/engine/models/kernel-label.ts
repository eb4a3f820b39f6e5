// A short, readable kernel name for tables: "polynomial(c=1, d=3)", "gaussian(γ=0.5, learnable)".
const PARAMETERS: Record<string, [field: string, label: string][]> = {
  polynomial: [
    ['c', 'c'],
    ['d', 'd'],
  ],
  gaussian: [['gamma', 'γ']],
  sigmoid: [['c', 'c']],
};

export function kernelLabel(kernel: unknown): string {
  if (!kernel || typeof kernel !== 'object' || typeof (kernel as { type?: unknown }).type !== 'string') return 'unknown';
  const spec = kernel as Record<string, unknown> & { type: string };
  const parts = (PARAMETERS[spec.type] ?? [])
    .filter(([field]) => typeof spec[field] === 'number')
    .map(([field, label]) => `${label}=${spec[field]}`);
  if (spec.learnable === true) parts.push('learnable');
  return parts.length > 0 ? `${spec.type}(${parts.join(', ')})` : spec.type;
}
