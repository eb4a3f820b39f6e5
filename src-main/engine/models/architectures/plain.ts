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
 * sees 14×14. ReLU rather than the original scaled tanh: it trains faster with
 * SGD/Adam at the usual rates, and tanh saturates on the large responses a
 * polynomial kervolution produces, which stalls exactly the runs this tool is for.
 */
export function lenet5({ inputShape, numClasses, widthMultiplier }: BuildOptions): ArchitectureSpec {
  const w = (n: number) => scaleWidth(n, widthMultiplier);
  const firstPadding = Math.min(inputShape[0], inputShape[1]) < 32 ? 'same' : 'valid';
  return {
    arch: 'lenet5',
    inputShape,
    numClasses,
    notes: [],
    layers: [
      conv('conv1', w(6), 5, { padding: firstPadding }),
      activation('relu1'),
      { op: 'maxPool', name: 'pool1', poolSize: 2, strides: 2 },
      conv('conv2', w(16), 5, { padding: 'valid' }),
      activation('relu2'),
      { op: 'maxPool', name: 'pool2', poolSize: 2, strides: 2 },
      { op: 'flatten', name: 'flatten' },
      hidden('fc1', w(120)),
      hidden('fc2', w(84)),
      logits(numClasses),
    ],
  };
}
