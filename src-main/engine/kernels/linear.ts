import type { KernelImplementation } from './kernel-implementation';

export const linear: KernelImplementation<'linear'> = {
  forward: (terms) => terms.lin(),
  reparametrisation: {},
  init: { kind: 'response', response: () => (z) => z },
};
