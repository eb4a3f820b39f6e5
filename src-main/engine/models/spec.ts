// An architecture is described as data before it becomes tfjs layers: a tree of
// nodes (convolutions, batch norm, pools, dense layers, residual blocks). Builders
// in architectures/ produce it, kernelize() rewrites its convolutions, and
// materialize() turns it into a functional tf.LayersModel. Keeping the description
// as plain data makes "which convolutions become kervolutions" a pure function
// that can be checked (and counted for the UI) without building a single tensor.
import type { ArchitectureName, KernelSpec } from '../../shared/run-config';

export type InputShape = [height: number, width: number, channels: number];

export interface ConvNode {
  op: 'conv';
  name: string;
  filters: number;
  kernelSize: number;
  strides: number;
  padding: 'same' | 'valid';
  useBias: boolean;
  /**
   * 'main' convolutions carry the features and are the ones kervLayers indexes;
   * 'projection' marks the 1×1 shortcut projections of residual blocks, which
   * stay linear (see kernelize.ts).
   */
  role: 'main' | 'projection';
  /** null = an ordinary (linear) convolution. */
  kernel: KernelSpec | null;
}

export interface BatchNormNode {
  op: 'batchNorm';
  name: string;
  /**
   * Start gamma at 0 (the last BN of a residual branch): each block then begins
   * as the identity, which keeps the forward signal bounded at initialisation
   * however non-linear the kervolutions inside are (Goyal et al. 2017).
   */
  zeroGamma?: boolean;
}

export type ActivationName = 'relu' | 'tanh';

export type ArchNode =
  | ConvNode
  | BatchNormNode
  | { op: 'activation'; name: string; fn: ActivationName }
  | { op: 'maxPool'; name: string; poolSize: number; strides: number }
  | { op: 'globalAvgPool'; name: string }
  | { op: 'globalMaxPool'; name: string }
  | { op: 'flatten'; name: string }
  | { op: 'dense'; name: string; units: number; activation: ActivationName | 'linear' }
  | { op: 'dropout'; name: string; rate: number }
  /** output = body(x) + shortcut(x); an empty shortcut is the identity. */
  | { op: 'residual'; name: string; body: ArchNode[]; shortcut: ArchNode[] };

export interface ArchitectureSpec {
  arch: ArchitectureName;
  inputShape: InputShape;
  numClasses: number;
  /** Human-readable facts about the architecture (e.g. "no convolutions") for describe output. */
  notes: string[];
  layers: ArchNode[];
}

/** What every architecture builder receives. */
export interface BuildOptions {
  inputShape: InputShape;
  numClasses: number;
  widthMultiplier: number;
}

export type ArchitectureBuilder = (options: BuildOptions) => ArchitectureSpec;

/** Calls visit on every node, depth first, residual bodies before their shortcuts (the order layers are created). */
export function walkNodes(nodes: readonly ArchNode[], visit: (node: ArchNode) => void): void {
  for (const node of nodes) {
    visit(node);
    if (node.op === 'residual') {
      walkNodes(node.body, visit);
      walkNodes(node.shortcut, visit);
    }
  }
}

/** A copy of the tree with every node passed through fn (children first, so fn sees rewritten residuals). */
export function mapNodes(nodes: readonly ArchNode[], fn: (node: ArchNode) => ArchNode): ArchNode[] {
  return nodes.map((node) =>
    node.op === 'residual'
      ? fn({ ...node, body: mapNodes(node.body, fn), shortcut: mapNodes(node.shortcut, fn) })
      : fn({ ...node }),
  );
}

/**
 * Scales a channel/unit count by the width multiplier. Rounded, and never below 4
 * (or below the original count where that is smaller): a 1–3 channel layer is a
 * bottleneck that makes a narrow test model untrainable rather than just smaller.
 */
export function scaleWidth(count: number, widthMultiplier: number): number {
  return Math.max(Math.min(count, 4), Math.round(count * widthMultiplier));
}
