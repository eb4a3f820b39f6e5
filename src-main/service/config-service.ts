// Run configs before a run exists: the defaults and presets the New Run form
// starts from (config:defaults), validation field by field (config:validate),
// and the model a config builds, layer by layer (models:describe).
import type { ModelDescription } from '../shared/api';
import { invalidInput, WorkbenchError } from '../shared/errors';
import { defaultRunConfig, parseRunConfig } from '../shared/run-config';
import { PRESETS } from './presets';
import { parseServiceRunConfig } from './run-validation';
import type { HandlerMap } from './service-context';

type ConfigChannel = 'config:defaults' | 'config:validate' | 'models:describe';

async function describeModel(input: unknown): Promise<ModelDescription> {
  const config = parseRunConfig(input);
  const [{ describeConfig }, { previewDataset }] = await Promise.all([import('../engine/models/build-model'), import('../engine/data/index')]);
  const preview = await previewDataset(config.dataset).catch((error: unknown) => {
    // Only a dataset read from dataset.path can fail here; say which field to fix.
    const problem = error instanceof Error ? error.message : String(error);
    throw invalidInput(`dataset.path: ${problem}`, [{ path: 'dataset.path', message: problem }]);
  });
  return describeConfig(config.model, { inputShape: preview.inputShape, numClasses: preview.classNames.length });
}

export function configHandlers(): HandlerMap<ConfigChannel> {
  return {
    'config:defaults': () => ({ config: defaultRunConfig(), presets: PRESETS }),
    // An answer, not an error: the form shows every issue beside its field.
    'config:validate': (arg) => {
      try {
        parseServiceRunConfig(arg);
        return { ok: true, issues: [] };
      } catch (error) {
        // ConfigError, or a check of the engine's (a kervLayers selection) that names its field.
        const issues = error instanceof WorkbenchError && error.code === 'invalid_input' ? error.issues : undefined;
        if (!issues) throw error;
        return { ok: false, issues };
      }
    },
    'models:describe': (arg) => describeModel(arg),
  };
}
