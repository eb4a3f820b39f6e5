// A run's trained model in the standard TensorFlow.js layers format, for use
// outside the workbench (tf.loadLayersModel): <name>.json (topology and weights
// manifest) and <name>.weights.bin beside it, as tfjs's own `downloads://`
// writes them. 'last' is the newest checkpoint's model (a completed run's final
// one); 'best' is the best epoch's weights that early stopping keeps in every
// checkpoint (engine/train/checkpoint.ts) with the same topology.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ModelExport } from '../shared/api';
import { conflict, invalidInput } from '../shared/errors';
import { chooseResumeCheckpoint } from './checkpoints';

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
}

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

/** Writes the run's model to `modelFile` (a .json path) and its weights beside it. */
export function exportModel(runId: number, checkpointDir: string, recordedStep: number, which: 'last' | 'best', modelFile: string): ModelExport {
  if (!modelFile.endsWith('.json')) throw invalidInput(`path: the model file must end in .json (got '${basename(modelFile)}')`);
  const { checkpoint } = chooseResumeCheckpoint(checkpointDir, recordedStep);
  if (!checkpoint) throw conflict(`Run ${runId} has no checkpoint yet: a model can be exported once it has trained an epoch.`);
  const model = readJson(join(checkpoint.path, 'model.json'));
  const manifest = model.weightsManifest as { weights: WeightSpec[] }[];
  const specs = manifest.flatMap((group) => group.weights);
  let weights: Buffer;
  if (which === 'last') {
    weights = readFileSync(join(checkpoint.path, 'weights.bin'));
  } else {
    if (!existsSync(join(checkpoint.path, 'best.json'))) throw conflict(`Run ${runId} kept no best-epoch weights: only a run trained with early stopping has them. Export its last model instead.`);
    // The best weights are the same tensors, in the same order and encoding: check, then use the model's own names.
    const bestSpecs = (readJson(join(checkpoint.path, 'best.json')).weights ?? []) as WeightSpec[];
    const same = bestSpecs.length === specs.length && bestSpecs.every((s, i) => s.dtype === specs[i].dtype && s.shape.join() === specs[i].shape.join());
    if (!same) throw new Error(`The best-epoch weights in ${checkpoint.path} do not match its model (${bestSpecs.length} tensors against ${specs.length}).`);
    weights = readFileSync(join(checkpoint.path, 'best.bin'));
  }
  const base = basename(modelFile, '.json');
  const weightsFile = join(dirname(modelFile), `${base}.weights.bin`);
  mkdirSync(dirname(modelFile), { recursive: true });
  writeFileSync(weightsFile, weights);
  writeFileSync(modelFile, JSON.stringify({ ...model, weightsManifest: [{ paths: [`./${base}.weights.bin`], weights: specs }] }));
  const state = readJson(join(checkpoint.path, 'state.json')) as { earlyStopping?: { bestEpoch: number | null } };
  const epoch = which === 'best' ? (state.earlyStopping?.bestEpoch ?? checkpoint.epoch) : checkpoint.epoch;
  return { modelFile, weightsFile, which, epoch };
}
