// train(): one run, from a config to an outcome, reporting progress as it goes.
// A custom loop rather than model.fit: per-step learning rates, AdamW, gradient
// clipping, batched metric reads, exact checkpoints and resume, divergence and
// cancellation as outcomes. This file sets a run up (backend and threads, data,
// model, optimiser, resume, data-parallel replicas); run-loop.ts trains it.
import * as tf from '@tensorflow/tfjs';
import type { RunEnvironment, TrainOutcome, TrainProgress } from '../../shared/progress';
import { canonicalJson, parseRunConfig, type RunConfig } from '../../shared/run-config';
import { describeEnvironment, initBackend, type BackendOptions, type BackendSelection } from '../backend/select-backend';
import { resolveThreads } from '../backend/cores';
import { buildModel } from '../models/build-model';
import { describeTemplateStart, hasDistanceKervolution, initDistanceKervolutions } from '../models/kerv-init';
import { gatherBatch } from '../data/batches';
import { DataParallelGroup } from '../parallel/data-parallel';
import type { ParallelMode } from '../../shared/parallelism';
import { Rng } from '../random';
import { loadCheckpoint, restoreModelWeights } from './checkpoint';
import { TrainOptimizer } from './optimizer';
import { EVAL_BATCH_SIZE, loadRunData, type RunData } from './run-data';
import { RUN_RNG_LABELS, withSeededMathRandom } from './seeded-random';
import { RunLoop, type TrainingParts } from './run-loop';
import type { RungReferee } from './rungs';
import { trainableVariables } from './step';
import packageJson from '../../../package.json';

export interface TrainOptions {
  onProgress: (progress: TrainProgress) => void;
  /** Abort to cancel: the run stops after the current step with outcome 'cancelled'. */
  signal?: AbortSignal;
  /** Where epoch checkpoints go (see checkpoint.ts); none are written without it. */
  checkpointDir?: string;
  /** A checkpoint folder (or a checkpointDir: its latest epoch) to continue from. */
  resumeFrom?: string;
  /** Dataset cache folder (see engine/data). */
  cacheDir: string;
  /** How often step metrics are read and reported; default 250 ms. */
  progressIntervalMs?: number;
  /** Reported in the run environment; default: this package's version. */
  appVersion?: string;
  /** What 'auto' means in this process (the settings' default backend) and Dawn's options (threads come from the config). */
  backend?: Omit<BackendOptions, 'threads'>;
  /** The cores this run is given, which a config's `threads: 'auto'` uses; default: all of this machine's. */
  coreShare?: number;
  /** In an ASHA sweep: the rungs, and who decides whether the run goes on after each (rungs.ts). */
  rungs?: RungReferee;
}

/** Fields of the config a resumed run may change: more epochs, a new name, another backend, thread count or thread layout. */
const RESUMABLE_CHANGES = new Set(['epochs', 'name', 'backend', 'threads', 'parallel']);

function checkResumable(savedAsWritten: RunConfig, config: RunConfig): void {
  // Re-parsed, so a checkpoint written before a schema change compares in today's
  // form (e.g. learnable: true, now 'channel', which it always meant).
  const saved = parseRunConfig(savedAsWritten);
  const differing = Object.keys({ ...saved, ...config }).filter(
    (key) =>
      !RESUMABLE_CHANGES.has(key) &&
      canonicalJson((saved as Record<string, unknown>)[key]) !== canonicalJson((config as Record<string, unknown>)[key]),
  );
  if (differing.length > 0) {
    throw new Error(`resumeFrom: the checkpoint was trained with a different config (${differing.join(', ')} differ); only ${[...RESUMABLE_CHANGES].join(', ')} may change on resume`);
  }
}

/** What a run trains with, set up from its config (prepareRun); dispose() lets go of all of it. */
export interface PreparedRun extends TrainingParts {
  dispose(): Promise<void>;
}

/**
 * Sets a run up: the backend and its threads, the data, the model (seeded, or
 * from the checkpoint resumed), its optimiser, and the data-parallel replicas.
 * Shared by train() and the learning-rate finder (lr-find.ts), so both compute
 * on the same backend, threads and data the run would.
 */
export async function prepareRun(config: RunConfig, opts: Omit<TrainOptions, 'onProgress' | 'checkpointDir' | 'progressIntervalMs' | 'signal' | 'rungs'>, emit: (p: TrainProgress) => void): Promise<PreparedRun> {
  const plan = planThreads(config, opts.coreShare);
  const selection = await initBackend(config.backend, { ...opts.backend, threads: plan.backendThreads });
  const layout = threadLayout(plan, selection);
  const environment: RunEnvironment = { ...describeEnvironment(selection, opts.appVersion ?? packageJson.version), ...layout };
  for (const note of selection.notes) emit({ type: 'log', level: 'warn', message: note });
  const data = await loadRunData(config, opts.cacheDir);
  const checkpoint = opts.resumeFrom ? await loadCheckpoint(opts.resumeFrom) : null;
  const model = withSeededMathRandom(Rng.derive(config.seed, RUN_RNG_LABELS.init), () =>
    buildModel(config.model, { inputShape: data.info.inputShape, numClasses: data.numClasses }),
  );
  const optimizer = new TrainOptimizer(config.optimizer, trainableVariables(model));
  let group: DataParallelGroup | null = null;
  const dispose = async () => {
    await group?.dispose();
    optimizer.dispose();
    model.dispose();
  };
  try {
    if (checkpoint) {
      try {
        checkResumable(checkpoint.state.config, config);
        restoreModelWeights(model, checkpoint.weights);
        await optimizer.setWeights(checkpoint.optimizer);
      } finally {
        tf.dispose([...checkpoint.weights, ...checkpoint.optimizer.map((o) => o.tensor)]);
      }
    } else if (hasDistanceKervolution(model)) {
      // Their filters start as patches of the data; a resumed run has its own.
      await initFromTrainingBatch(model, data, config.seed, emit);
    }
    if (layout.parallel === 'data') {
      // After the weights are final: the replicas start from them.
      try {
        group = await DataParallelGroup.start(model, {
          replicas: layout.threads,
          maxBatch: Math.max(config.batchSize, EVAL_BATCH_SIZE),
          inputShape: data.info.inputShape,
          numClasses: data.numClasses,
          labelSmoothing: config.labelSmoothing,
          diagnostics: true,
        });
      } catch (error) {
        // The run can still train, on this thread: say so, and record what it really used.
        emit({ type: 'log', level: 'warn', message: `${layout.threads} data-parallel threads could not start (${(error as Error).message.split('\n')[0]}); training on 1 thread.` });
        Object.assign(environment, { threads: 1, parallel: 'none' });
      }
    }
  } catch (error) {
    tf.dispose(checkpoint?.bestWeights ?? []);
    await dispose();
    throw explainGpuFault(error, config);
  }
  return { environment, data, model, optimizer, checkpoint, group, dispose };
}

export async function train(config: RunConfig, opts: TrainOptions): Promise<TrainOutcome> {
  const emit = opts.onProgress;
  const intervalMs = opts.progressIntervalMs ?? 250;
  const run = await prepareRun(config, opts, emit);
  try {
    const loop = new RunLoop({ config, emit, intervalMs, signal: opts.signal, checkpointDir: opts.checkpointDir, rungs: opts.rungs, ...run });
    return await loop.run();
  } catch (error) {
    throw explainGpuFault(error, config);
  } finally {
    await run.dispose();
  }
}

interface ThreadPlan {
  threads: number;
  mode: 'data' | 'xnnpack';
  /** What the backend itself starts with: XNNPACK's pool, or one thread per replica. */
  backendThreads: number;
}

/** The config's threads ('auto': the run's share of the cores) and how they share the work ('auto': data parallelism, measured faster). */
function planThreads(config: RunConfig, coreShare: number | undefined): ThreadPlan {
  const threads = resolveThreads(config.threads, coreShare);
  const mode = config.parallel === 'xnnpack' ? 'xnnpack' : 'data';
  return { threads, mode, backendThreads: mode === 'xnnpack' ? threads : 1 };
}

/** What the run really uses: our thread layouts exist on the wasm backend only (tensorflow and GPUs thread themselves). */
function threadLayout(plan: ThreadPlan, selection: BackendSelection): { threads: number; parallel: ParallelMode } {
  if (selection.backend === 'wasm' && plan.mode === 'data' && plan.threads > 1) return { threads: plan.threads, parallel: 'data' };
  if (selection.backend === 'wasm' && selection.threads > 1) return { threads: selection.threads, parallel: 'xnnpack' };
  return { threads: selection.threads, parallel: 'none' };
}

/**
 * A GPU out-of-memory (or lost device) surfaces as a GPU error; the user needs to
 * know which run asked for too much and what to change.
 */
export function explainGpuFault(error: unknown, config: RunConfig): unknown {
  const e = error as Error & { outOfMemory?: boolean };
  if (!(e instanceof Error) || !/^GPU (out of memory|error|device lost)/.test(e.message)) return error;
  const what = `${config.model.arch} ×${config.model.widthMultiplier} (${config.model.kernel.type} kernel) at batch size ${config.batchSize}`;
  const advice = e.outOfMemory ? 'Lower the batch size (--batch-size) or the width (--width), or train on a GPU with more memory' : 'The GPU cannot go on with this run';
  return new Error(`Training ${what} failed on the GPU: ${e.message}. ${advice}.`);
}

/** Training images the distance kervolutions draw their starting templates from (see kerv-init.ts). */
const TEMPLATE_BATCH = 256;

/**
 * Data-dependent start of the gaussian/euclidean/manhattan kervolutions, on the
 * first training images, seeded; logs the values 'auto' chose (they are also the
 * kernel/<layer>/<param> diagnostics and in the checkpoints, as layer weights).
 */
async function initFromTrainingBatch(model: tf.LayersModel, data: RunData, seed: number, emit: (p: TrainProgress) => void): Promise<void> {
  const count = Math.min(TEMPLATE_BATCH, data.prepared.train.count);
  const batch = gatherBatch(data.prepared, data.prepared.train, Array.from({ length: count }, (_, i) => i));
  const x = tf.tensor4d(batch.x, batch.shape);
  const rng = Rng.derive(seed, RUN_RNG_LABELS.templates);
  try {
    for (const start of await initDistanceKervolutions(model, x, () => rng.next())) {
      const line = describeTemplateStart(start);
      if (line) emit({ type: 'log', level: 'info', message: `auto kernel parameter, ${line}` });
    }
  } finally {
    x.dispose();
  }
}
