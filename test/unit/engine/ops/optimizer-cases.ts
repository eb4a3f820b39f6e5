// Every optimiser rule with its options, for the OptimizerUpdate kernels' tests
// (cpu and wasm here, webgpu in test/webgpu): one table, so a new rule is tested
// on every backend at once.
import type { OptimizerUpdateAttrs } from '../../../../src-main/engine/ops/optimizer-update';

const base = { learningRate: 0.05, weightDecay: 0, momentum: 0, nesterov: false, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

export const OPTIMIZER_CASES: { name: string; attrs: Omit<OptimizerUpdateAttrs, 'step'> }[] = [
  { name: 'sgd', attrs: { ...base, algorithm: 'sgd' } },
  { name: 'sgd, momentum and coupled weight decay', attrs: { ...base, algorithm: 'sgd', momentum: 0.9, weightDecay: 0.01 } },
  { name: 'sgd, Nesterov momentum', attrs: { ...base, algorithm: 'sgd', momentum: 0.9, nesterov: true } },
  { name: 'adam, coupled weight decay', attrs: { ...base, algorithm: 'adam', weightDecay: 0.01 } },
  { name: 'adamw, decoupled weight decay', attrs: { ...base, algorithm: 'adamw', weightDecay: 0.1 } },
];
