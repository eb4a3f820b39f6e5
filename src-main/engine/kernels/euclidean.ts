import * as tf from '@tensorflow/tfjs';
import type { KernelImplementation } from './kernel-implementation';

export const euclidean: KernelImplementation<'euclidean'> = {
  forward: (terms) => tf.neg(terms.squaredDistance()),
  reparametrisation: {},
  init: { kind: 'templates' },
};
