import type { KernelImplementation } from './kernel-implementation';

export const manhattan: KernelImplementation<'manhattan'> = {
  forward: (terms) => terms.negatedManhattanDistance(),
  reparametrisation: {},
  init: { kind: 'templates' },
};
