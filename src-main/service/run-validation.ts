// A run config as the service accepts it: the shared schema (types, ranges,
// unknown keys) plus what the schema alone cannot know — whether the convolutions
// model.kervLayers names exist (the engine's architecture descriptions), and
// whether dataset.trainSubset / testSubset fit the dataset's splits (the dataset
// registry). Checked when a run is created, validated, swept or lr-found, so a
// bad value is refused with the field and the allowed range instead of failing,
// or silently training on less, after the run exists.
import { ARCHITECTURE_BUILDERS } from '../engine/models/architectures/index';
import { selectConvolutions } from '../engine/models/kernelize';
import { subsetIssues } from '../shared/datasets';
import { ConfigError, parseRunConfig, type RunConfig } from '../shared/run-config';

// Architectures have the same convolutions whatever the input size, class count or width.
const REFERENCE = { inputShape: [32, 32, 3] as [number, number, number], numClasses: 10, widthMultiplier: 1 };

/** parseRunConfig, then the checks that need the architecture or the dataset; throws ConfigError naming the field. */
export function parseServiceRunConfig(input: unknown): RunConfig {
  const config = parseRunConfig(input);
  selectConvolutions(ARCHITECTURE_BUILDERS[config.model.arch](REFERENCE), config.model.kervLayers);
  const issues = subsetIssues(config.dataset);
  if (issues.length) throw new ConfigError(`Invalid run config: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
  return config;
}
