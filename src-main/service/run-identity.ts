// How a run is named and identified.
import { createHash } from 'node:crypto';
import { replicateKey, type RunConfig } from '../shared/run-config';

/**
 * sha256 of the canonical config (sorted keys), without the free-text name and the
 * thread count and layout (which change the speed, not the result): equal settings, equal hash.
 */
export function configHash(config: RunConfig): string {
  return createHash('sha256').update(replicateKey(config)).digest('hex');
}

/** "lenet5 polynomial fashion-mnist seed 0" when the config has no name. */
export function defaultRunName(config: RunConfig): string {
  return `${config.model.arch} ${config.model.kernel.type} ${config.dataset.name} seed ${config.seed}`;
}
