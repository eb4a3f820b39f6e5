// How a run is named and identified.
import type { RunConfig } from '../shared/run-config';

/** sha256 of the config without name, threads and layout: the store derives it (store/experiment-hash.ts). */
export { configHash } from '../store/experiment-hash';

/** "lenet5 polynomial fashion-mnist seed 0" when the config has no name. */
export function defaultRunName(config: RunConfig): string {
  return `${config.model.arch} ${config.model.kernel.type} ${config.dataset.name} seed ${config.seed}`;
}
