// The smallest real run the tests train, shared by the service, cluster and
// end-to-end tests (which cannot import the service helpers: those register hooks).
import type { RunConfigInput } from '../src-main/shared/run-config';

/** A run that trains in a few seconds on 2 cores: a quarter-width MLP on 500 Fashion-MNIST images. */
export function tinyConfig(overrides: RunConfigInput = {}): RunConfigInput {
  return {
    backend: 'wasm',
    dataset: { name: 'fashion-mnist', trainSubset: 500, testSubset: 200 },
    model: { arch: 'mlp', widthMultiplier: 0.25 },
    epochs: 1,
    batchSize: 64,
    sampleCount: 8,
    ...overrides,
  };
}
