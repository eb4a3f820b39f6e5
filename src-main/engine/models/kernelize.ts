// Which convolutions of an architecture become kervolutions. Convolutions are
// numbered in the order they are created, which is depth order (a residual
// block's body before its shortcut): index 0 is the stem. Only 'main'
// convolutions are numbered: the 1×1 projection shortcuts of residual blocks stay
// linear and are not counted, because the paper kernelizes the 3×3 feature
// convolutions, and a non-linear shortcut would break the near-identity path that
// lets residual networks train at depth.
import type { ArchitectureName, KernelSpec, KervLayers } from '../../shared/run-config';
import { ConfigError } from '../../shared/run-config';
import { ARCHITECTURE_BUILDERS } from './architectures/index';
import type { ArchitectureSpec, ConvNode } from './spec';
import { mapNodes, walkNodes } from './spec';

export interface KernelizeOptions {
  kernel: KernelSpec;
  layers: KervLayers;
}

function isIndexed(node: ConvNode): boolean {
  return node.role === 'main';
}

/** The numbered (kernelizable) convolutions of a spec, in index order. */
export function indexedConvolutions(spec: ArchitectureSpec): ConvNode[] {
  const convs: ConvNode[] = [];
  walkNodes(spec.layers, (node) => {
    if (node.op === 'conv' && isIndexed(node)) convs.push(node);
  });
  return convs;
}

// Architectures have the same convolutions whatever the input size, class count or width.
const REFERENCE_OPTIONS = { inputShape: [32, 32, 3] as [number, number, number], numClasses: 10, widthMultiplier: 1 };

/** How many convolutions kervLayers can index in an architecture (projection shortcuts excluded). */
export function countConvolutions(arch: ArchitectureName | ArchitectureSpec): number {
  const spec = typeof arch === 'string' ? ARCHITECTURE_BUILDERS[arch](REFERENCE_OPTIONS) : arch;
  return indexedConvolutions(spec).length;
}

function outOfRange(spec: ArchitectureSpec, count: number, what: string): ConfigError {
  const available = count === 0 ? 'no convolutions' : `${count} convolution${count === 1 ? '' : 's'} (indices 0-${count - 1})`;
  const message = `${spec.arch} has ${available}; ${what} is out of range`;
  return new ConfigError(`Invalid run config: model.kervLayers: ${message}`, [{ path: 'model.kervLayers', message }]);
}

/** The sorted, de-duplicated convolution indices a kervLayers value selects; throws ConfigError when one does not exist. */
export function selectConvolutions(spec: ArchitectureSpec, layers: KervLayers): number[] {
  const count = countConvolutions(spec);
  const all = Array.from({ length: count }, (_, i) => i);
  if (layers === 'all') return all;
  if (layers === 'stem') {
    if (count === 0) throw outOfRange(spec, count, "'stem' (index 0)");
    return [0];
  }
  if (typeof layers === 'number') {
    if (!Number.isInteger(layers) || layers < 1 || layers > count) throw outOfRange(spec, count, `the first ${layers}`);
    return all.slice(0, layers);
  }
  for (const index of layers) {
    if (!Number.isInteger(index) || index < 0 || index >= count) throw outOfRange(spec, count, `index ${index}`);
  }
  return [...new Set(layers)].sort((a, b) => a - b);
}

/**
 * A copy of the spec in which the selected convolutions carry the kernel. A
 * linear kernel still validates the selection but leaves ordinary convolutions.
 */
export function kernelize(spec: ArchitectureSpec, { kernel, layers }: KernelizeOptions): ArchitectureSpec {
  const selected = new Set(selectConvolutions(spec, layers));
  let index = 0;
  const kernelized = mapNodes(spec.layers, (node) => {
    if (node.op !== 'conv' || !isIndexed(node)) return node;
    const chosen = selected.has(index++);
    return chosen && kernel.type !== 'linear' ? { ...node, kernel } : node;
  });
  return { ...spec, layers: kernelized };
}
