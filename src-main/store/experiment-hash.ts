// The experiment a run belongs to: its settings without the free-text name and
// the seed, so the repeats of one configuration (a sweep's seeds, a re-run with
// another seed) share one hash. The store derives it from the stored config, like
// the other denormalised columns, and the migration that added it backfills old
// rows with this same function. The config hash (one seed's replicates) lives
// here too, so the migration that normalises old configs re-derives both.
import { createHash } from 'node:crypto';
import { canonicalJson, replicateKey, type RunConfig } from '../shared/run-config';

/**
 * sha256 (hex) of the canonical config (sorted keys) without `name`, `seed` and
 * `parallel` (how threads share the work: the speed, not the result; configs
 * recorded before it existed keep their hash).
 */
export function experimentHash(config: RunConfig): string {
  const { name: _name, seed: _seed, parallel: _parallel, ...settings } = config;
  return createHash('sha256').update(canonicalJson(settings)).digest('hex');
}

/**
 * sha256 of the canonical config (sorted keys), without the free-text name and the
 * thread count and layout (which change the speed, not the result): equal settings, equal hash.
 */
export function configHash(config: RunConfig): string {
  return createHash('sha256').update(replicateKey(config)).digest('hex');
}
