import * as tf from '@tensorflow/tfjs';
import { IDENTITY, type KernelImplementation } from './kernel-implementation';

export const sigmoid: KernelImplementation<'sigmoid'> = {
  forward: (terms, { c }) => tf.tanh(tf.add(terms.lin(), c)) as tf.Tensor4D,
  reparametrisation: { c: IDENTITY('c') }, // any real c is valid
  init: { kind: 'response', response: (spec) => (z) => Math.tanh(z + spec.c) },
};
