// train(): one run, from a config to an outcome, reporting progress as it goes.
// A custom loop rather than model.fit: per-step learning rates, AdamW, gradient
// clipping, batched metric reads, exact checkpoints and resume, divergence and
// cancellation as outcomes. The order of events is the contract with the service:
// started → (steps* → epoch → checkpoint?)* → completed, with log messages anywhere
// and a 'scalars' message after a 'steps' one when a diagnostics sample was taken.
import * as tf from '@tensorflow/tfjs';
import { performance } from 'node:perf_hooks';
import type { EpochMetrics, RunEnvironment, TrainOutcome, TrainProgress, TrainSummary } from '../../shared/progress';
import { canonicalJson, parseRunConfig, type RunConfig } from '../../shared/run-config';
import { describeEnvironment, initBackend, type BackendOptions, type BackendSelection } from '../backend/select-backend';
import { gpuFaultPromise, gpuMemoryMb } from '../backend/webgpu';
import { resolveThreads } from '../backend/cores';
import { buildModel } from '../models/build-model';
import { describeTemplateStart, hasDistanceKervolution, initDistanceKervolutions } from '../models/kerv-init';
import { gatherBatch } from '../data/batches';
import { DataParallelGroup } from '../parallel/data-parallel';
import type { ParallelMode } from '../../shared/parallelism';
import { Rng } from '../random';
import { loadCheckpoint, restoreModelWeights, saveCheckpoint, type CheckpointState, type LoadedCheckpoint } from './checkpoint';
import { predictSamples } from './evaluate';
import { TrainOptimizer } from './optimizer';
import { EVAL_BATCH_SIZE, loadRunData, type RunData } from './run-data';
import { learningRateAt } from './schedule';
import { withSeededMathRandom } from './seeded-random';
import { readKernelParameters, ScalarSampler, StepDiagnostics } from './diagnostics';
import { trainableVariables } from './step';
import { dataParallelRunner, singleThreadRunner } from './step-runner';
import { StepBuffer } from './step-buffer';
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
}

/** The Rng labels: each consumer of randomness gets its own stream, so adding one never shifts another. */
const RNG_LABELS = { init: 'train:weight-init', data: 'train:batches', ops: 'train:ops', templates: 'train:kerv-templates' } as const;

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

/** The epoch's train loss/accuracy: means over its steps, weighted by batch size. */
class EpochAccumulator {
  lossSum = 0;
  accuracySum = 0;
  images = 0;
  add(loss: number, accuracy: number, images: number): void {
    this.lossSum += loss * images;
    this.accuracySum += accuracy * images;
    this.images += images;
  }
  get loss(): number {
    return this.images > 0 ? this.lossSum / this.images : NaN;
  }
  get accuracy(): number {
    return this.images > 0 ? this.accuracySum / this.images : NaN;
  }
}

export async function train(config: RunConfig, opts: TrainOptions): Promise<TrainOutcome> {
  const emit = opts.onProgress;
  const intervalMs = opts.progressIntervalMs ?? 250;
  const plan = planThreads(config, opts.coreShare);
  const selection = await initBackend(config.backend, { ...opts.backend, threads: plan.backendThreads });
  const layout = threadLayout(plan, selection);
  const environment: RunEnvironment = { ...describeEnvironment(selection, opts.appVersion ?? packageJson.version), ...layout };
  for (const note of selection.notes) emit({ type: 'log', level: 'warn', message: note });
  const data = await loadRunData(config, opts.cacheDir);
  const checkpoint = opts.resumeFrom ? await loadCheckpoint(opts.resumeFrom) : null;
  const model = withSeededMathRandom(Rng.derive(config.seed, RNG_LABELS.init), () =>
    buildModel(config.model, { inputShape: data.info.inputShape, numClasses: data.numClasses }),
  );
  const optimizer = new TrainOptimizer(config.optimizer, trainableVariables(model));
  let group: DataParallelGroup | null = null;
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
      group = await DataParallelGroup.start(model, {
        replicas: layout.threads,
        maxBatch: Math.max(config.batchSize, EVAL_BATCH_SIZE),
        inputShape: data.info.inputShape,
        numClasses: data.numClasses,
        labelSmoothing: config.labelSmoothing,
        diagnostics: true,
      });
    }
    return await runLoop({ config, opts, emit, intervalMs, environment, data, model, optimizer, checkpoint, group });
  } catch (error) {
    throw explainGpuFault(error, config);
  } finally {
    await group?.dispose();
    optimizer.dispose();
    model.dispose();
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
function explainGpuFault(error: unknown, config: RunConfig): unknown {
  const e = error as Error & { outOfMemory?: boolean };
  if (!(e instanceof Error) || !/^GPU (out of memory|error|device lost)/.test(e.message)) return error;
  const what = `${config.model.arch} ×${config.model.widthMultiplier} (${config.model.kernel.type} kernel) at batch size ${config.batchSize}`;
  const advice = e.outOfMemory ? 'Lower the batch size (--batch-size) or the width (--width), or train on a GPU with more memory' : 'The GPU cannot go on with this run';
  return new Error(`Training ${what} failed on the GPU: ${e.message}. ${advice}.`);
}

/** Waits for work that reads from the GPU, but never past a GPU fault (an out-of-memory, a lost device). */
function unlessGpuFault<T>(work: Promise<T>): Promise<T> {
  return Promise.race([work, gpuFaultPromise()]);
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
  const rng = Rng.derive(seed, RNG_LABELS.templates);
  try {
    for (const start of await initDistanceKervolutions(model, x, () => rng.next())) {
      const line = describeTemplateStart(start);
      if (line) emit({ type: 'log', level: 'info', message: `auto kernel parameter, ${line}` });
    }
  } finally {
    x.dispose();
  }
}

interface RunContext {
  config: RunConfig;
  opts: TrainOptions;
  emit: (p: TrainProgress) => void;
  intervalMs: number;
  environment: RunEnvironment;
  data: RunData;
  model: tf.LayersModel;
  optimizer: TrainOptimizer;
  /** The checkpoint resumed from; its tensors are already in the model and optimiser. */
  checkpoint: LoadedCheckpoint | null;
  /** The replicas, in a data-parallel run. */
  group: DataParallelGroup | null;
}

async function runLoop({ config, opts, emit, intervalMs, environment, data, model, optimizer, checkpoint, group }: RunContext): Promise<TrainOutcome> {
  const stepsPerEpoch = data.stepsPerEpoch;
  const totalSteps = stepsPerEpoch * config.epochs;
  const saved = checkpoint?.state;
  const dataRng = saved ? new Rng(saved.dataRng) : Rng.derive(config.seed, RNG_LABELS.data);
  const opsRng = saved ? new Rng(saved.opsRng) : Rng.derive(config.seed, RNG_LABELS.ops);
  /** Epochs completed. */
  let epoch = saved?.epoch ?? 0;
  let step = saved?.step ?? 0;
  /** Batches of the epoch in progress already trained (non-zero only when resuming mid-epoch). */
  let resumeBatch = saved?.batchInEpoch ?? 0;
  let bestValidationAccuracy = saved?.bestValidationAccuracy ?? null;
  let lastEpochTrain = { loss: saved?.lastTrainLoss ?? NaN, accuracy: saved?.lastTrainAccuracy ?? NaN };
  let lastValidationAccuracy: number | null = saved?.lastValidationAccuracy ?? null;
  if (saved) {
    if (step !== epoch * stepsPerEpoch + resumeBatch || resumeBatch >= stepsPerEpoch) {
      throw new Error(`resumeFrom: checkpoint step ${step} does not fit epoch ${epoch} with ${stepsPerEpoch} steps per epoch: the data differ from the checkpointed run`);
    }
  }
  const wallOffsetMs = saved?.wallTimeMs ?? 0;
  const startMs = performance.now();
  const wallTimeMs = () => wallOffsetMs + (performance.now() - startMs);
  const parameterCount = model.countParams();

  emit({
    type: 'started',
    environment,
    dataset: data.info,
    parameterCount,
    stepsPerEpoch,
    totalSteps,
    startStep: step,
    samples: data.sampleImages,
  });
  if (checkpoint) emit({ type: 'log', level: 'info', message: `Resumed from ${checkpoint.path} at epoch ${epoch + 1}, step ${step}.` });
  if (saved && saved.config.epochs !== config.epochs && (config.schedule.type === 'cosine' || config.schedule.type === 'one-cycle')) {
    // These schedules are shaped by the run's length: more epochs re-stretch the curve from here on.
    emit({ type: 'log', level: 'warn', message: `epochs changed from ${saved.config.epochs} to ${config.epochs}: the ${config.schedule.type} learning-rate schedule now spans ${totalSteps} steps, so the rate does not continue the checkpointed run's curve.` });
  }

  const stepOptions = { labelSmoothing: config.labelSmoothing, gradClipNorm: config.gradClipNorm };
  // One step per progress tick also samples the diagnostics (diagnostics.ts).
  const diagnostics = new StepDiagnostics(model);
  const parts = { model, optimizer, stepOptions, diagnostics };
  const runner = group ? dataParallelRunner(group, parts) : singleThreadRunner(parts);
  const scalars = new ScalarSampler(diagnostics.names);
  const buffer = new StepBuffer(() => performance.now());
  const scheduleContext = { baseLr: config.optimizer.lr, stepsPerEpoch, totalSteps };

  const writeCheckpoint = async (state: Omit<CheckpointState, 'format' | 'version' | 'savedAt' | 'config' | 'opsRng' | 'wallTimeMs' | 'bestValidationAccuracy' | 'lastTrainLoss' | 'lastTrainAccuracy' | 'lastValidationAccuracy'>) => {
    if (!opts.checkpointDir) return;
    const optimizerState = optimizer.getWeights();
    try {
      const path = await unlessGpuFault(saveCheckpoint(opts.checkpointDir, model, optimizerState, {
        ...state,
        opsRng: opsRng.getState(),
        wallTimeMs: wallTimeMs(),
        bestValidationAccuracy,
        lastTrainLoss: lastEpochTrain.loss,
        lastTrainAccuracy: lastEpochTrain.accuracy,
        lastValidationAccuracy,
        config,
      }));
      emit({ type: 'checkpoint', epoch: state.epoch, step: state.step, path });
    } finally {
      tf.dispose(optimizerState.map((o) => o.tensor));
    }
  };

  try {
    while (epoch < config.epochs) {
      const epochNumber = epoch + 1;
      const accumulator = new EpochAccumulator();
      const partial = resumeBatch > 0 ? saved?.partialEpoch : null;
      if (partial) accumulator.add(partial.lossSum / Math.max(1, partial.images), partial.accuracySum / Math.max(1, partial.images), partial.images);
      const epochStartMs = performance.now() - (partial?.durationMs ?? 0);
      // The epoch draws its order from dataRng right here; keeping the state from
      // before that draw lets a mid-epoch checkpoint replay the same epoch.
      const epochRngState = dataRng.getState();
      const epochBatches = data.trainEpoch(dataRng);
      let lastFlushMs = performance.now();
      buffer.restartWindow();

      const flush = async (): Promise<TrainOutcome | null> => {
        const { steps, images, nonFinite } = await unlessGpuFault(buffer.flush());
        lastFlushMs = performance.now();
        steps.forEach((s, i) => accumulator.add(s.loss, s.accuracy, images[i]));
        if (steps.length > 0) emit({ type: 'steps', steps });
        const samples = await scalars.read();
        const gpuMb = gpuMemoryMb();
        if (gpuMb !== null && steps.length > 0) samples.push({ step, wallTimeMs: wallTimeMs(), values: { 'system/gpu_mb': gpuMb } });
        if (samples.length > 0) emit({ type: 'scalars', samples });
        if (nonFinite) {
          const what = Number.isNaN(nonFinite.loss) ? 'NaN' : 'infinite';
          const reason = `loss became ${what} at step ${nonFinite.step} (epoch ${nonFinite.epoch})`;
          emit({ type: 'log', level: 'error', message: `Training diverged: ${reason}. Try a lower learning rate or gradient clipping.` });
          return { status: 'diverged', reason, epoch: nonFinite.epoch, step: nonFinite.step };
        }
        // Let timers, signals and IPC in: the wasm backend computes synchronously.
        await new Promise((resolve) => setImmediate(resolve));
        return null;
      };

      for (const batch of epochBatches.from(resumeBatch)) {
        if (opts.signal?.aborted) break;
        const learningRate = learningRateAt(step, config.schedule, scheduleContext);
        const { metrics, diagnostics: values } = runner.step(batch, learningRate, scalars.wanted(), opsRng);
        step += 1;
        if (values) scalars.push(step, wallTimeMs(), values);
        buffer.push({ metrics, step, epoch: epochNumber, learningRate, images: batch.y.length, wallTimeMs: wallTimeMs() });
        if (performance.now() - lastFlushMs >= intervalMs) {
          const stopped = await flush();
          if (stopped) return stopped;
        }
      }
      resumeBatch = 0;
      const stopped = await flush();
      if (stopped) return stopped;
      const batchInEpoch = step - epoch * stepsPerEpoch;
      if (opts.signal?.aborted && batchInEpoch < stepsPerEpoch) {
        // Cancelled mid-epoch: keep the progress (the data order of this epoch is
        // replayable from epochRngState), unless no step of it was taken.
        if (batchInEpoch > 0) {
          await writeCheckpoint({
            epoch,
            step,
            batchInEpoch,
            dataRng: epochRngState,
            partialEpoch: { lossSum: accumulator.lossSum, accuracySum: accumulator.accuracySum, images: accumulator.images, durationMs: performance.now() - epochStartMs },
          });
        }
        emit({ type: 'log', level: 'warn', message: `Cancelled in epoch ${epochNumber} after step ${step}.` });
        return { status: 'cancelled', epoch: epochNumber, step };
      }

      lastEpochTrain = { loss: accumulator.loss, accuracy: accumulator.accuracy };
      const validation = data.info.validationSize > 0 ? await unlessGpuFault(runner.evaluate(data.evalBatches('validation'), data.numClasses)) : null;
      const perClassSource = validation ?? (await unlessGpuFault(runner.evaluate(data.evalBatches('test'), data.numClasses)));
      const samplePredictions = await unlessGpuFault(predictSamples(model, data.sampleBatch));
      epoch = epochNumber;
      lastValidationAccuracy = validation?.accuracy ?? null;
      if (validation && (bestValidationAccuracy === null || validation.accuracy > bestValidationAccuracy)) {
        bestValidationAccuracy = validation.accuracy;
      }
      const metrics: EpochMetrics = {
        epoch,
        step,
        trainLoss: lastEpochTrain.loss,
        trainAccuracy: lastEpochTrain.accuracy,
        validationLoss: validation?.loss ?? null,
        validationAccuracy: validation?.accuracy ?? null,
        perClassAccuracy: perClassSource.perClassAccuracy,
        confusion: perClassSource.confusion,
        samplePredictions,
        durationMs: performance.now() - epochStartMs,
        wallTimeMs: wallTimeMs(),
      };
      emit({ type: 'epoch', metrics });
      await writeCheckpoint({ epoch, step, batchInEpoch: 0, dataRng: dataRng.getState(), partialEpoch: null });
      if (opts.signal?.aborted && epoch < config.epochs) {
        emit({ type: 'log', level: 'warn', message: `Cancelled at the end of epoch ${epoch} (step ${step}).` });
        return { status: 'cancelled', epoch, step };
      }
    }

    const test = await unlessGpuFault(runner.evaluate(data.evalBatches('test'), data.numClasses));
    const summary: TrainSummary = {
      epochs: epoch,
      steps: step,
      finalTrainLoss: lastEpochTrain.loss,
      finalTrainAccuracy: lastEpochTrain.accuracy,
      bestValidationAccuracy,
      finalValidationAccuracy: lastValidationAccuracy,
      testLoss: test.count > 0 ? test.loss : null,
      testAccuracy: test.count > 0 ? test.accuracy : null,
      parameterCount,
      trainingTimeMs: wallTimeMs(),
    };
    const kernelParameters = await readKernelParameters(model);
    if (Object.keys(kernelParameters).length > 0) summary.kernelParameters = kernelParameters;
    emit({ type: 'completed', summary });
    return { status: 'completed', summary };
  } finally {
    buffer.dispose();
    scalars.dispose();
  }
}
