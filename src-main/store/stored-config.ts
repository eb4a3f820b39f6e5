// Run configs as the store hands them out. A row keeps the config as it was
// written, and fields added to the run-config schema since then (model.kervNorm,
// model.kervActivation, …) are missing from older rows. Each such field's
// default is the behaviour from before it existed, so reading through the schema
// gives an old run the config it actually trained with, and it groups (by config,
// experiment or seed) with new runs of the same settings.
import { runConfigSchema, type RunConfig } from '../shared/run-config';

/** The stored JSON with the schema's defaults filled in; as written when the current schema refuses it (never throws on a read). */
export function readStoredConfig(json: string): RunConfig {
  const written = JSON.parse(json) as unknown;
  const parsed = runConfigSchema.safeParse(written);
  return parsed.success ? parsed.data : (written as RunConfig);
}
