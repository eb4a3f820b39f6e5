// Which convolutions of an architecture become kervolutions. Convolutions are
// numbered in the order they are created, which is depth order (a residual
// block's body before its shortcut): index 0 is the stem. Only 'main'
// convolutions are numbered: the 1×1 projection shortcuts of residual blocks stay
// linear and are not counted, because the paper kernelizes the 3×3 feature
// convolutions, and a non-linear shortcut would break the near-identity path that
// lets residual networks train at depth.
import type { ArchitectureName, KernelSpec, KervLayers, ModelConfig } from '../../shared/run-config';
import { ConfigError } from '../../shared/run-config';
import { ARCHITECTURE_BUILDERS } from './architectures/index';
import type { ArchNode, ArchitectureSpec, ConvNode } from './spec';
import { mapNodes, walkNodes } from './spec';
import { plural } from '../../shared/format';

export interface KernelizeOptions {
  kernel: KernelSpec;
  layers: KervLayers;
  /** Batch norm after each selected convolution; default 'none'. */
  norm?: ModelConfig['kervNorm'];
  /** The activation right after each selected convolution; default 'arch' (unchanged). */
  activation?: ModelConfig['kervActivation'];
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
  const available = count === 0 ? 'no convolutions' : `${plural(count, 'convolution')} (indices 0-${count - 1})`;
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
export function kernelize(spec: ArchitectureSpec, { kernel, layers, norm = 'none', activation = 'arch' }: KernelizeOptions): ArchitectureSpec {
  const selected = new Set(selectConvolutions(spec, layers));
  const selectedNames = new Set<string>();
  let index = 0;
  const kernelized = mapNodes(spec.layers, (node) => {
    if (node.op !== 'conv' || !isIndexed(node)) return node;
    const chosen = selected.has(index++);
    if (chosen) selectedNames.add(node.name);
    return chosen && kernel.type !== 'linear' ? { ...node, kernel } : node;
  });
  if (norm === 'none' && activation === 'arch') return { ...spec, layers: kernelized };
  return { ...spec, layers: afterSelected(kernelized, selectedNames, norm, activation) };
}

/**
 * model.kervNorm and model.kervActivation: what follows each selected convolution.
 * A batch norm already there stays (and kervNorm adds none); the activation
 * right after the convolution and its batch norm is replaced, or removed for
 * 'none'; a convolution with no activation right after it keeps its successors.
 */
function afterSelected(nodes: ArchNode[], selected: Set<string>, norm: ModelConfig['kervNorm'], activation: ModelConfig['kervActivation']): ArchNode[] {
  const out: ArchNode[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i];
    if (node.op === 'residual') {
      out.push({ ...node, body: afterSelected(node.body, selected, norm, activation), shortcut: afterSelected(node.shortcut, selected, norm, activation) });
      continue;
    }
    out.push(node);
    if (node.op !== 'conv' || !selected.has(node.name)) continue;
    let next = i + 1;
    if (nodes[next]?.op === 'batchNorm') out.push(nodes[next++]);
    else if (norm === 'batch') out.push({ op: 'batchNorm', name: `${node.name}_bn` });
    const following = nodes[next];
    if (activation !== 'arch' && following?.op === 'activation') {
      if (activation !== 'none') out.push({ op: 'activation', name: `${node.name}_${activation}`, fn: activation });
      next++;
    }
    i = next - 1;
  }
  return out;
}
