// Starting points offered by the "new run" form and `config:defaults`.
import type { Preset } from '../shared/api';

export const PRESETS: Preset[] = [
  {
    id: 'quick-check',
    label: 'Quick check: small MLP on 5,000 Fashion-MNIST images, 2 epochs',
    config: { dataset: { name: 'fashion-mnist', trainSubset: 5000 }, model: { arch: 'mlp', widthMultiplier: 0.5 }, epochs: 2 },
  },
  {
    id: 'lenet5-linear',
    label: 'LeNet-5, ordinary convolutions (baseline)',
    config: { dataset: { name: 'fashion-mnist' }, model: { arch: 'lenet5', kernel: { type: 'linear' } }, epochs: 10 },
  },
  {
    id: 'lenet5-polynomial',
    label: 'LeNet-5 kervolution, polynomial kernel (c=1, d=3)',
    config: { dataset: { name: 'fashion-mnist' }, model: { arch: 'lenet5', kernel: { type: 'polynomial', c: 1, d: 3 } }, epochs: 10 },
  },
  {
    id: 'lenet5-gaussian',
    label: 'LeNet-5 kervolution, Gaussian kernel',
    config: { dataset: { name: 'fashion-mnist' }, model: { arch: 'lenet5', kernel: { type: 'gaussian', gamma: 1 } }, epochs: 10 },
  },
  {
    id: 'cifar-resnet-small',
    label: 'CIFAR-10, small ResNet, polynomial stem',
    config: {
      dataset: { name: 'cifar10' },
      model: { arch: 'resnet-small', kernel: { type: 'polynomial' }, kervLayers: 'stem' },
      optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 5e-4 },
      schedule: { type: 'cosine', warmupEpochs: 1 },
      epochs: 30,
      batchSize: 128,
    },
  },
];
