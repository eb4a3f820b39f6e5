// Building blocks shared by the architecture builders, so that "a conv followed by
// batch norm and ReLU" or "a basic residual block" is written once.
import type { ActivationName, ArchNode, BatchNormNode, ConvNode } from '../spec';

export interface ConvOptions {
  strides?: number;
  padding?: 'same' | 'valid';
  /** Off by default where batch norm follows: its beta makes a conv bias redundant. */
  useBias?: boolean;
  role?: ConvNode['role'];
}

export function conv(name: string, filters: number, kernelSize: number, options: ConvOptions = {}): ConvNode {
  return {
    op: 'conv',
    name,
    filters,
    kernelSize,
    strides: options.strides ?? 1,
    padding: options.padding ?? 'same',
    useBias: options.useBias ?? true,
    role: options.role ?? 'main',
    kernel: null,
  };
}

export function batchNorm(name: string, zeroGamma = false): BatchNormNode {
  return zeroGamma ? { op: 'batchNorm', name, zeroGamma } : { op: 'batchNorm', name };
}

export function activation(name: string, fn: ActivationName = 'relu'): ArchNode {
  return { op: 'activation', name, fn };
}

/** conv → (batch norm) → ReLU, the unit every plain CNN here is made of. */
export function convUnit(prefix: string, filters: number, kernelSize: number, options: ConvOptions & { batchNorm: boolean }): ArchNode[] {
  const { batchNorm: withBn, ...convOptions } = options;
  const nodes: ArchNode[] = [conv(`${prefix}_conv`, filters, kernelSize, { useBias: !withBn, ...convOptions })];
  if (withBn) nodes.push(batchNorm(`${prefix}_bn`));
  nodes.push(activation(`${prefix}_relu`));
  return nodes;
}

/**
 * The ResNet BasicBlock (He et al. 2016): two 3×3 conv+BN with a ReLU between, added
 * to the input, then ReLU. When the block changes resolution or width the shortcut
 * is a 1×1 conv + BN projection ("option B"); otherwise it is the identity.
 */
export function basicBlock(prefix: string, inFilters: number, filters: number, strides: number): ArchNode[] {
  const needsProjection = strides !== 1 || inFilters !== filters;
  return [
    {
      op: 'residual',
      name: `${prefix}_add`,
      body: [
        conv(`${prefix}_conv1`, filters, 3, { strides, useBias: false }),
        batchNorm(`${prefix}_bn1`),
        activation(`${prefix}_relu1`),
        conv(`${prefix}_conv2`, filters, 3, { useBias: false }),
        batchNorm(`${prefix}_bn2`, true),
      ],
      shortcut: needsProjection
        ? [conv(`${prefix}_proj`, filters, 1, { strides, useBias: false, role: 'projection' }), batchNorm(`${prefix}_proj_bn`)]
        : [],
    },
    activation(`${prefix}_relu`),
  ];
}

/** The classifier: raw logits (the training loop applies softmax cross-entropy). */
export function logits(numClasses: number): ArchNode {
  return { op: 'dense', name: 'logits', units: numClasses, activation: 'linear' };
}
