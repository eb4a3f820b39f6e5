// Epoch checkpoints: everything a resumed run needs to continue the same curve.
//
// Layout: <checkpointDir>/step-00002532/ (an epoch boundary) or
//         <checkpointDir>/step-00002600-partial/ (written when a run is cancelled mid-epoch)
//   model.json + weights.bin   the model in the standard tfjs layers format (tf.loadLayersModel reads it)
//   optimizer.json + .bin      the optimiser state (TrainOptimizer.getWeights), tfjs weight encoding
//   best.json + best.bin       early stopping only: the weights of the best epoch so far (model.weights order)
//   state.json                 epoch, step, Rng states, wall time so far, best validation accuracy, config
//   manifest.json              size and sha256 of each file above (checkpoint-manifest.ts), verified before use
//
// Folder names and listing: checkpoint-folders.ts (tfjs-free, used by the service).
//
// Atomic: a checkpoint is written into a hidden temporary folder and renamed to
// its step-N name (a fresh name, so rename(2) is atomic); only then are older ones
// deleted, keeping the newest checkpoint and the newest epoch-boundary one. A crash
// at any point leaves at least one complete checkpoint. Resuming a folder takes its
// highest step.
import * as tf from '@tensorflow/tfjs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunConfig } from '../../shared/run-config';
import type { RngState } from '../random';
import type { EarlyStoppingState } from './early-stopping';
import { CHECKPOINT_STATE_FILE, CHECKPOINT_TEMP_PREFIX, checkpointFolderName, parseCheckpointFolderName } from './checkpoint-folders';
import { verifyCheckpoint, writeCheckpointManifest } from './checkpoint-manifest';
import type { NamedTensor } from './optimizer';

export const CHECKPOINT_FORMAT = 'kerv-checkpoint';
export const CHECKPOINT_VERSION = 1;

export interface CheckpointState {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  /** Epochs completed. */
  epoch: number;
  /** Global steps completed. */
  step: number;
  /** Batches of epoch `epoch + 1` already trained: 0 at an epoch boundary. */
  batchInEpoch: number;
  /** The data Rng (shuffling, augmentation) as it was before the epoch in progress drew its order. */
  dataRng: RngState;
  /** The Rng behind tfjs's own random ops (dropout) at the end of the epoch. */
  opsRng: RngState;
  wallTimeMs: number;
  bestValidationAccuracy: number | null;
  /** The last epoch's metrics, so a run resumed with nothing left to train still has a summary. */
  lastTrainLoss: number;
  lastTrainAccuracy: number;
  lastValidationAccuracy: number | null;
  /** The last epoch's validation loss, so a run resumed at an ASHA rung can be judged there (absent in checkpoints from before it). */
  lastValidationLoss?: number | null;
  /** Sums of the partial epoch's train metrics (mid-epoch checkpoints), so its epoch means stay exact. */
  partialEpoch: { lossSum: number; accuracySum: number; images: number; durationMs: number } | null;
  /** Early stopping's count so far (absent without early stopping, and in checkpoints from before it). */
  earlyStopping?: EarlyStoppingState;
  config: RunConfig;
  savedAt: string;
}

export interface LoadedCheckpoint {
  path: string;
  state: CheckpointState;
  /** Model weights in model.weights order. */
  weights: tf.Tensor[];
  optimizer: NamedTensor[];
  /** The best epoch's weights (early stopping), in model.weights order; null when the checkpoint has none. */
  bestWeights: tf.Tensor[] | null;
}

interface CheckpointEntry {
  name: string;
  step: number;
  partial: boolean;
}

async function listCheckpoints(dir: string): Promise<CheckpointEntry[]> {
  return (await readdir(dir))
    .map((name) => ({ name, parsed: parseCheckpointFolderName(name) }))
    .filter((e): e is { name: string; parsed: { step: number; partial: boolean } } => e.parsed !== null)
    .map(({ name, parsed }) => ({ name, ...parsed }))
    .sort((a, b) => b.step - a.step || Number(a.partial) - Number(b.partial));
}

/** A tfjs save handler that writes model.json + weights.bin into a folder (tfjs-node's file:// is not available here). */
export function fileSystemSaveHandler(dir: string): tf.io.IOHandler {
  return tf.io.withSaveHandler(async (artifacts) => {
    const weightData = artifacts.weightData ? tf.io.CompositeArrayBuffer.join(artifacts.weightData) : new ArrayBuffer(0);
    const modelJson = {
      modelTopology: artifacts.modelTopology,
      format: artifacts.format ?? 'layers-model',
      generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
      convertedBy: null,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
    };
    await writeFile(join(dir, 'weights.bin'), new Uint8Array(weightData));
    await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
    return {
      modelArtifactsInfo: {
        dateSaved: new Date(),
        modelTopologyType: 'JSON',
        modelTopologyBytes: JSON.stringify(artifacts.modelTopology ?? null).length,
        weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
        weightDataBytes: weightData.byteLength,
      },
    };
  });
}

async function writeNamedTensors(dir: string, base: string, tensors: NamedTensor[]): Promise<void> {
  const { data, specs } = await tf.io.encodeWeights(tensors);
  await writeFile(join(dir, `${base}.bin`), new Uint8Array(tf.io.CompositeArrayBuffer.join(data)));
  await writeFile(join(dir, `${base}.json`), JSON.stringify({ weights: specs }));
}

async function readNamedTensors(dir: string, jsonFile: string, binFile: string, specsOf: (json: any) => tf.io.WeightsManifestEntry[]): Promise<NamedTensor[]> {
  const json = JSON.parse(await readFile(join(dir, jsonFile), 'utf8'));
  const specs = specsOf(json);
  const bytes = await readFile(join(dir, binFile));
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const map = tf.io.decodeWeights(buffer, specs);
  return specs.map((s) => ({ name: s.name, tensor: map[s.name] }));
}

/** Writes a checkpoint (epoch boundary when state.batchInEpoch is 0) and prunes older ones. Returns its folder. */
export async function saveCheckpoint(
  checkpointDir: string,
  model: tf.LayersModel,
  optimizerWeights: NamedTensor[],
  state: Omit<CheckpointState, 'format' | 'version' | 'savedAt'>,
  bestWeights: tf.Tensor[] | null = null,
): Promise<string> {
  await mkdir(checkpointDir, { recursive: true });
  const name = checkpointFolderName(state.step, state.batchInEpoch > 0);
  const tmp = join(checkpointDir, `${CHECKPOINT_TEMP_PREFIX}${name}-${process.pid}-${Date.now()}`);
  const finalDir = join(checkpointDir, name);
  await mkdir(tmp, { recursive: true });
  try {
    await model.save(fileSystemSaveHandler(tmp));
    await writeNamedTensors(tmp, 'optimizer', optimizerWeights);
    if (bestWeights) await writeNamedTensors(tmp, 'best', bestWeights.map((tensor, i) => ({ name: model.weights[i].name, tensor })));
    const full: CheckpointState = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, ...state, savedAt: new Date().toISOString() };
    await writeFile(join(tmp, CHECKPOINT_STATE_FILE), JSON.stringify(full, null, 2));
    writeCheckpointManifest(tmp);
    await rm(finalDir, { recursive: true, force: true }); // only when re-running steps already saved
    await rename(tmp, finalDir);
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
  const entries = await listCheckpoints(checkpointDir);
  const newestBoundary = entries.find((e) => !e.partial);
  for (const entry of entries) {
    if (entry.name !== name && entry !== newestBoundary) await rm(join(checkpointDir, entry.name), { recursive: true, force: true });
  }
  return finalDir;
}

/** The checkpoint folder to load: `path` itself when it is one, else its highest step-N. */
export async function findCheckpoint(path: string): Promise<string> {
  const isDir = await stat(path).then((s) => s.isDirectory(), () => false);
  if (!isDir) throw new Error(`resumeFrom: checkpoint folder '${path}' does not exist`);
  const hasState = await stat(join(path, CHECKPOINT_STATE_FILE)).then(() => true, () => false);
  if (hasState) return path;
  const entries = await listCheckpoints(path);
  if (entries.length === 0) throw new Error(`resumeFrom: '${path}' holds no checkpoint (expected state.json or step-N folders)`);
  return join(path, entries[0].name);
}

/** The state (epoch, step, config, ...) of the checkpoint `path` resolves to, without loading tensors. */
export async function readCheckpointState(path: string): Promise<{ path: string; state: CheckpointState }> {
  const dir = await findCheckpoint(path);
  let state: CheckpointState;
  try {
    state = JSON.parse(await readFile(join(dir, CHECKPOINT_STATE_FILE), 'utf8')) as CheckpointState;
  } catch (error) {
    throw new Error(`resumeFrom: cannot read ${join(dir, CHECKPOINT_STATE_FILE)}: ${(error as Error).message}`);
  }
  if (state.format !== CHECKPOINT_FORMAT || state.version !== CHECKPOINT_VERSION) {
    throw new Error(`resumeFrom: '${dir}' is not a ${CHECKPOINT_FORMAT} v${CHECKPOINT_VERSION} checkpoint`);
  }
  return { path: dir, state };
}

export async function loadCheckpoint(path: string): Promise<LoadedCheckpoint> {
  const { path: dir, state } = await readCheckpointState(path);
  const verdict = verifyCheckpoint(dir);
  if (!verdict.ok) throw new Error(`resumeFrom: the checkpoint in ${dir} is corrupt: ${verdict.problem}`);
  try {
    const weights = await readNamedTensors(dir, 'model.json', 'weights.bin', (json) => json.weightsManifest.flatMap((g: any) => g.weights));
    const optimizer = await readNamedTensors(dir, 'optimizer.json', 'optimizer.bin', (json) => json.weights);
    const hasBest = await stat(join(dir, 'best.json')).then(() => true, () => false);
    const best = hasBest ? await readNamedTensors(dir, 'best.json', 'best.bin', (json) => json.weights) : null;
    return { path: dir, state, weights: weights.map((w) => w.tensor), optimizer, bestWeights: best?.map((w) => w.tensor) ?? null };
  } catch (error) {
    // A checkpoint from before manifests, damaged: say which folder instead of a bare tensor error.
    throw new Error(`resumeFrom: cannot load the checkpoint in ${dir} (weights.bin / optimizer.bin damaged?): ${(error as Error).message}`);
  }
}

/** Puts checkpoint weights into a freshly built model of the same config (by position, shapes checked). */
export function restoreModelWeights(model: tf.LayersModel, weights: tf.Tensor[]): void {
  const targets = model.weights;
  if (targets.length !== weights.length) {
    throw new Error(`resumeFrom: the checkpoint has ${weights.length} weight tensors, the model ${targets.length}: not the same architecture`);
  }
  targets.forEach((target, i) => {
    if (!tf.util.arraysEqual(target.shape as number[], weights[i].shape)) {
      throw new Error(`resumeFrom: weight ${i} (${target.name}) has shape [${target.shape}] in the model, [${weights[i].shape}] in the checkpoint`);
    }
  });
  model.setWeights(weights);
}
