// A run config as the service accepts it: the shared schema (types, ranges,
// unknown keys) plus what only the engine's architecture descriptions know —
// whether the convolutions model.kervLayers names exist. Checked when a run is
// created, validated or swept, so a bad selection is refused with the field and
// the allowed range instead of failing in the worker after the run exists.
import { ARCHITECTURE_BUILDERS } from '../engine/models/architectures/index';
import { selectConvolutions } from '../engine/models/kernelize';
import { parseRunConfig, type RunConfig } from '../shared/run-config';

// Architectures have the same convolutions whatever the input size, class count or width.
const REFERENCE = { inputShape: [32, 32, 3] as [number, number, number], numClasses: 10, widthMultiplier: 1 };

/** parseRunConfig, then the checks that need the architecture; throws ConfigError naming the field. */
export function parseServiceRunConfig(input: unknown): RunConfig {
  const config = parseRunConfig(input);
  selectConvolutions(ARCHITECTURE_BUILDERS[config.model.arch](REFERENCE), config.model.kervLayers);
  return config;
}
