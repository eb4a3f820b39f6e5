// The loop of one run, once its model, optimiser, data and threads are ready
// (train.ts sets them up): epochs of steps, the metric reads at each progress
// tick, evaluation, checkpoints, and the outcomes (completed, cancelled,
// diverged). The order of events is the contract with the service:
// started → (steps* → epoch → checkpoint?)* → completed, with log messages anywhere
// and a 'scalars' message after a 'steps' one when a diagnostics sample was taken.
import * as tf from '@tensorflow/tfjs';
import { performance } from 'node:perf_hooks';
import { describeAshaStop } from '../../shared/asha';
import { VALIDATION_METRIC_LABELS } from '../../shared/format';
import type { EpochMetrics, RunEnvironment, TrainOutcome, TrainProgress, TrainSummary } from '../../shared/progress';
import type { RunConfig } from '../../shared/run-config';
import { gpuFaultPromise, gpuMemoryMb } from '../backend/webgpu';
import type { DataParallelGroup } from '../parallel/data-parallel';
import { Rng } from '../random';
import { saveCheckpoint, type CheckpointState, type LoadedCheckpoint } from './checkpoint';
import { readKernelParameters, ScalarSampler, StepDiagnostics } from './diagnostics';
import { EarlyStopping } from './early-stopping';
import { predictSamples } from './evaluate';
import type { TrainOptimizer } from './optimizer';
import type { RunData } from './run-data';
import { awaitVerdict, type RungReferee } from './rungs';
import { learningRateAt } from './schedule';
import { RUN_RNG_LABELS } from './seeded-random';
import { STEPS_IN_FLIGHT, StepBuffer } from './step-buffer';
import { dataParallelRunner, singleThreadRunner, type StepRunner } from './step-runner';
import { TEST_HOLD_ENV, testHoldFromEnv } from './test-hold';

/** What a run trains with (train.ts's prepareRun sets it up; the learning-rate finder uses it too). */
export interface TrainingParts {
  environment: RunEnvironment;
  data: RunData;
  model: tf.LayersModel;
  optimizer: TrainOptimizer;
  /** The checkpoint resumed from: its tensors are already in the model and optimiser; its best weights (early stopping), if any, still its own. */
  checkpoint: LoadedCheckpoint | null;
  /** The replicas, in a data-parallel run. */
  group: DataParallelGroup | null;
}

export interface RunContext extends TrainingParts {
  config: RunConfig;
  emit: (p: TrainProgress) => void;
  /** How often step metrics are read and reported. */
  intervalMs: number;
  signal?: AbortSignal;
  /** Where checkpoints go; none are written without it. */
  checkpointDir?: string;
  /** In an ASHA sweep: the rung epochs, and who decides whether the run goes on after each. */
  rungs?: RungReferee | null;
}

/** Waits for work that reads from the GPU, but never past a GPU fault (an out-of-memory, a lost device). */
export function unlessGpuFault<T>(work: Promise<T>): Promise<T> {
  return Promise.race([work, gpuFaultPromise()]);
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

/** Where a checkpoint is taken: the rest of its state is the run's (RunLoop.writeCheckpoint). */
type CheckpointPosition = Pick<CheckpointState, 'epoch' | 'step' | 'batchInEpoch' | 'dataRng' | 'partialEpoch'>;

/** The epoch in progress: its order of batches and its running means. */
interface EpochInProgress {
  number: number;
  accumulator: EpochAccumulator;
  startMs: number;
  /** dataRng before this epoch drew its order: a mid-epoch checkpoint replays the same epoch from it. */
  rngState: CheckpointState['dataRng'];
}

export class RunLoop {
  private readonly stepsPerEpoch: number;
  private readonly totalSteps: number;
  private readonly dataRng: Rng;
  private readonly opsRng: Rng;
  /** Epochs completed. */
  private epoch: number;
  private step: number;
  /** Batches of the epoch in progress already trained (non-zero only when resuming mid-epoch). */
  private resumeBatch: number;
  private bestValidationAccuracy: number | null;
  private lastEpochTrain: { loss: number; accuracy: number };
  private lastValidationAccuracy: number | null;
  private lastValidationLoss: number | null;
  private readonly wallOffsetMs: number;
  private readonly startMs = performance.now();
  private lastFlushMs = performance.now();
  private readonly runner: StepRunner;
  private readonly scalars: ScalarSampler;
  private readonly buffer = new StepBuffer(() => performance.now());
  /** Tests only (test-hold.ts): null in every real run. */
  private readonly hold = testHoldFromEnv();
  /** The config's earlyStopping, counting; null without it. */
  private readonly earlyStopping: EarlyStopping | null;
  /** Early stopping: the best epoch's weights (owned here), and the epoch after which the run stopped. */
  private bestWeights: tf.Tensor[] | null;
  private stoppedEarlyAt: number | null = null;
  /** Where and why an ASHA rung stopped the run (its summary's `asha`), if one did. */
  private stoppedAtRung: NonNullable<TrainSummary['asha']> | null = null;

  constructor(private readonly ctx: RunContext) {
    const { config, data, checkpoint, model, optimizer, group } = ctx;
    const saved = checkpoint?.state;
    this.stepsPerEpoch = data.stepsPerEpoch;
    this.totalSteps = this.stepsPerEpoch * config.epochs;
    this.dataRng = saved ? new Rng(saved.dataRng) : Rng.derive(config.seed, RUN_RNG_LABELS.data);
    this.opsRng = saved ? new Rng(saved.opsRng) : Rng.derive(config.seed, RUN_RNG_LABELS.ops);
    this.epoch = saved?.epoch ?? 0;
    this.step = saved?.step ?? 0;
    this.resumeBatch = saved?.batchInEpoch ?? 0;
    this.bestValidationAccuracy = saved?.bestValidationAccuracy ?? null;
    this.lastEpochTrain = { loss: saved?.lastTrainLoss ?? NaN, accuracy: saved?.lastTrainAccuracy ?? NaN };
    this.lastValidationAccuracy = saved?.lastValidationAccuracy ?? null;
    this.lastValidationLoss = saved?.lastValidationLoss ?? null;
    this.wallOffsetMs = saved?.wallTimeMs ?? 0;
    this.earlyStopping = config.earlyStopping ? new EarlyStopping(config.earlyStopping, saved?.earlyStopping) : null;
    this.bestWeights = this.earlyStopping ? (checkpoint?.bestWeights ?? null) : null;
    if (!this.earlyStopping) tf.dispose(checkpoint?.bestWeights ?? []);
    if (saved && (this.step !== this.epoch * this.stepsPerEpoch + this.resumeBatch || this.resumeBatch >= this.stepsPerEpoch)) {
      throw new Error(`resumeFrom: checkpoint step ${this.step} does not fit epoch ${this.epoch} with ${this.stepsPerEpoch} steps per epoch: the data differ from the checkpointed run`);
    }
    // One step per progress tick also samples the diagnostics (diagnostics.ts).
    const diagnostics = new StepDiagnostics(model);
    const parts = { model, optimizer, stepOptions: { labelSmoothing: config.labelSmoothing, gradClipNorm: config.gradClipNorm }, diagnostics };
    this.runner = group ? dataParallelRunner(group, parts) : singleThreadRunner(parts);
    this.scalars = new ScalarSampler(diagnostics.names);
  }

  private wallTimeMs(): number {
    return this.wallOffsetMs + (performance.now() - this.startMs);
  }

  private get cancelled(): boolean {
    return this.ctx.signal?.aborted ?? false;
  }

  /** Early stopping or an ASHA rung ended the run before its last epoch. */
  private get stopped(): boolean {
    return this.stoppedEarlyAt !== null || this.stoppedAtRung !== null;
  }

  async run(): Promise<TrainOutcome> {
    try {
      this.announce();
      if (this.ctx.checkpoint && this.resumeBatch === 0) {
        // Resumed at an epoch's end that may be a rung whose verdict never arrived (cancelled while waiting).
        const stopped = await this.atRung(this.lastValidationAccuracy, this.lastValidationLoss);
        if (stopped) return stopped;
      }
      while (this.epoch < this.ctx.config.epochs && !this.stopped) {
        const stopped = (await this.trainEpoch()) ?? (await this.finishEpoch());
        if (stopped) return stopped;
      }
      return await this.complete();
    } finally {
      this.buffer.dispose();
      this.scalars.dispose();
      tf.dispose(this.bestWeights ?? []);
    }
  }

  private announce(): void {
    const { emit, config, data, model, environment, checkpoint } = this.ctx;
    emit({
      type: 'started',
      environment,
      dataset: data.info,
      parameterCount: model.countParams(),
      stepsPerEpoch: this.stepsPerEpoch,
      totalSteps: this.totalSteps,
      startStep: this.step,
      samples: data.sampleImages,
    });
    if (!checkpoint) return;
    emit({ type: 'log', level: 'info', message: `Resumed from ${checkpoint.path} at epoch ${this.epoch + 1}, step ${this.step}.` });
    const savedEpochs = checkpoint.state.config.epochs;
    if (savedEpochs !== config.epochs && (config.schedule.type === 'cosine' || config.schedule.type === 'one-cycle')) {
      // These schedules are shaped by the run's length: more epochs re-stretch the curve from here on.
      emit({ type: 'log', level: 'warn', message: `epochs changed from ${savedEpochs} to ${config.epochs}: the ${config.schedule.type} learning-rate schedule now spans ${this.totalSteps} steps, so the rate does not continue the checkpointed run's curve.` });
    }
  }

  /** The steps of one epoch (from resumeBatch on); an outcome when the run stops inside it. */
  private async trainEpoch(): Promise<TrainOutcome | null> {
    const { config, data } = this.ctx;
    const partial = this.resumeBatch > 0 ? this.ctx.checkpoint?.state.partialEpoch : null;
    const accumulator = new EpochAccumulator();
    if (partial) accumulator.add(partial.lossSum / Math.max(1, partial.images), partial.accuracySum / Math.max(1, partial.images), partial.images);
    // The epoch draws its order from dataRng right here; keeping the state from
    // before that draw lets a mid-epoch checkpoint replay the same epoch.
    const current: EpochInProgress = { number: this.epoch + 1, accumulator, startMs: performance.now() - (partial?.durationMs ?? 0), rngState: this.dataRng.getState() };
    this.current = current;
    const batches = data.trainEpoch(this.dataRng);
    this.lastFlushMs = performance.now();
    this.buffer.restartWindow();
    const scheduleContext = { baseLr: config.optimizer.lr, stepsPerEpoch: this.stepsPerEpoch, totalSteps: this.totalSteps };

    for (const batch of batches.from(this.resumeBatch)) {
      if (this.hold?.holds(this.step)) {
        const stopped = await this.pauseForTestHold();
        if (stopped) return stopped;
      }
      if (this.cancelled) break;
      const learningRate = learningRateAt(this.step, config.schedule, scheduleContext);
      const { metrics, diagnostics } = this.runner.step(batch, learningRate, this.scalars.wanted(), this.opsRng);
      this.step += 1;
      if (diagnostics) this.scalars.push(this.step, this.wallTimeMs(), diagnostics);
      this.buffer.push({ metrics, step: this.step, epoch: current.number, learningRate, images: batch.y.length, wallTimeMs: this.wallTimeMs() });
      if (performance.now() - this.lastFlushMs >= this.ctx.intervalMs) {
        const stopped = await this.flush(this.stepsInFlight);
        if (stopped) return stopped;
      }
    }
    this.resumeBatch = 0;
    const stopped = await this.flush();
    if (stopped) return stopped;
    const batchInEpoch = this.step - this.epoch * this.stepsPerEpoch;
    if (this.cancelled && batchInEpoch < this.stepsPerEpoch) {
      // Cancelled mid-epoch: keep the progress (the data order of this epoch is
      // replayable from its rngState), unless no step of it was taken.
      if (batchInEpoch > 0) {
        await this.writeCheckpoint({
          epoch: this.epoch,
          step: this.step,
          batchInEpoch,
          dataRng: current.rngState,
          partialEpoch: { lossSum: accumulator.lossSum, accuracySum: accumulator.accuracySum, images: accumulator.images, durationMs: performance.now() - current.startMs },
        });
      }
      this.ctx.emit({ type: 'log', level: 'warn', message: `Stopped in epoch ${current.number} after step ${this.step}; the checkpoint keeps the progress.` });
      return { status: 'cancelled', epoch: current.number, step: this.step };
    }
    return null;
  }

  /** Reports the steps so far, then waits while the test hold applies (or until the run is stopped). */
  private async pauseForTestHold(): Promise<TrainOutcome | null> {
    const hold = this.hold!;
    const at = hold.limit();
    const stopped = await this.flush();
    if (stopped) return stopped;
    this.ctx.emit({ type: 'log', level: 'info', message: `Paused before step ${this.step + 1}: ${TEST_HOLD_ENV} holds runs at step ${at}.` });
    await hold.wait(this.step, () => this.cancelled);
    this.lastFlushMs = performance.now();
    return null;
  }

  /** The epoch in progress (set by trainEpoch, read by flush and finishEpoch). */
  private current: EpochInProgress | null = null;

  /** At a tick on an asynchronous device, the newest steps stay in flight (step-buffer.ts); elsewhere none do. */
  private readonly stepsInFlight = tf.getBackend() === 'webgpu' ? STEPS_IN_FLIGHT : 0;

  /** Reads and reports the buffered step metrics (all but the newest `inFlight`) and diagnostics; an outcome when the loss diverged. */
  private async flush(inFlight = 0): Promise<TrainOutcome | null> {
    const { emit } = this.ctx;
    const { steps, images, nonFinite } = await unlessGpuFault(this.buffer.flush(inFlight));
    this.lastFlushMs = performance.now();
    steps.forEach((s, i) => this.current?.accumulator.add(s.loss, s.accuracy, images[i]));
    if (steps.length > 0) emit({ type: 'steps', steps });
    const samples = await this.scalars.read();
    const gpuMb = gpuMemoryMb();
    if (gpuMb !== null && steps.length > 0) samples.push({ step: this.step, wallTimeMs: this.wallTimeMs(), values: { 'system/gpu_mb': gpuMb } });
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
  }

  /** Evaluation, the epoch's message and checkpoint; an outcome when the run was cancelled meanwhile. */
  private async finishEpoch(): Promise<TrainOutcome | null> {
    const { config, data, emit, model } = this.ctx;
    const current = this.current as EpochInProgress;
    this.lastEpochTrain = { loss: current.accumulator.loss, accuracy: current.accumulator.accuracy };
    const validation = data.info.validationSize > 0 ? await unlessGpuFault(this.runner.evaluate(data.evalBatches('validation'), data.numClasses)) : null;
    const perClassSource = validation ?? (await unlessGpuFault(this.runner.evaluate(data.evalBatches('test'), data.numClasses)));
    const samplePredictions = await unlessGpuFault(predictSamples(model, data.sampleBatch));
    this.epoch = current.number;
    this.lastValidationAccuracy = validation?.accuracy ?? null;
    this.lastValidationLoss = validation?.loss ?? null;
    if (validation && (this.bestValidationAccuracy === null || validation.accuracy > this.bestValidationAccuracy)) {
      this.bestValidationAccuracy = validation.accuracy;
    }
    const metrics: EpochMetrics = {
      epoch: this.epoch,
      step: this.step,
      trainLoss: this.lastEpochTrain.loss,
      trainAccuracy: this.lastEpochTrain.accuracy,
      validationLoss: validation?.loss ?? null,
      validationAccuracy: validation?.accuracy ?? null,
      perClassAccuracy: perClassSource.perClassAccuracy,
      confusion: perClassSource.confusion,
      samplePredictions,
      durationMs: performance.now() - current.startMs,
      wallTimeMs: this.wallTimeMs(),
    };
    emit({ type: 'epoch', metrics });
    if (this.earlyStopping && validation) this.watchValidation(validation);
    await this.writeCheckpoint({ epoch: this.epoch, step: this.step, batchInEpoch: 0, dataRng: this.dataRng.getState(), partialEpoch: null });
    if (this.stoppedEarlyAt !== null && this.epoch < config.epochs) {
      emit({ type: 'log', level: 'info', message: `Stopped early after epoch ${this.epoch} of ${config.epochs}: ${this.earlyStopping!.reason()}.` });
    }
    if (this.cancelled && this.epoch < config.epochs) return this.cancelledAtEpochEnd();
    return this.stoppedEarlyAt === null ? await this.atRung(this.lastValidationAccuracy, this.lastValidationLoss) : null;
  }

  private cancelledAtEpochEnd(): TrainOutcome {
    this.ctx.emit({ type: 'log', level: 'warn', message: `Stopped at the end of epoch ${this.epoch} (step ${this.step}); the checkpoint keeps the progress.` });
    return { status: 'cancelled', epoch: this.epoch, step: this.step };
  }

  /**
   * At the end of an ASHA rung epoch (after its checkpoint): waits for the verdict
   * on the run's validation value. A stop ends the run as early stopping does; a
   * cancel during the wait is the end-of-epoch cancel. Elsewhere, nothing.
   */
  private async atRung(validationAccuracy: number | null, validationLoss: number | null): Promise<TrainOutcome | null> {
    const { rungs, config, emit, signal } = this.ctx;
    if (!rungs || !rungs.plan.epochs.includes(this.epoch) || this.epoch >= config.epochs) return null;
    const { metric } = rungs.plan;
    const value = metric === 'validationLoss' ? validationLoss : validationAccuracy;
    if (value === null) {
      emit({ type: 'log', level: 'warn', message: `ASHA rung at epoch ${this.epoch}: the run has no ${VALIDATION_METRIC_LABELS[metric]} to be judged on; it trains on.` });
      return null;
    }
    const verdict = await awaitVerdict(rungs, this.epoch, value, signal);
    if (verdict === 'cancelled') return this.cancelledAtEpochEnd();
    if (verdict === null) {
      emit({ type: 'log', level: 'warn', message: `ASHA rung at epoch ${this.epoch}: no verdict came from the workbench; the run trains on.` });
    } else if (verdict.stop && verdict.cutoff !== null) {
      this.stoppedAtRung = { metric, stoppedAtEpoch: this.epoch, value: verdict.value, cutoff: verdict.cutoff, eta: verdict.eta };
      emit({ type: 'log', level: 'info', message: `${describeAshaStop(this.stoppedAtRung, config.epochs)}.` });
    }
    return null;
  }

  /** Early stopping's count after an epoch: keeps the weights of a new best epoch, and stops the run after `patience` epochs without one. */
  private watchValidation(validation: { loss: number; accuracy: number }): void {
    const early = this.earlyStopping!;
    const value = early.config.metric === 'validationLoss' ? validation.loss : validation.accuracy;
    const { improved, stop } = early.observe(this.epoch, value);
    if (improved) {
      tf.dispose(this.bestWeights ?? []);
      this.bestWeights = this.ctx.model.getWeights().map((w) => w.clone());
    }
    if (stop) this.stoppedEarlyAt = this.epoch;
  }

  /** A checkpoint at `position`, with everything else the run knows now; nothing without a checkpointDir. */
  private async writeCheckpoint(position: CheckpointPosition): Promise<void> {
    const { checkpointDir, model, optimizer, config, emit } = this.ctx;
    if (!checkpointDir) return;
    const optimizerState = optimizer.getWeights();
    try {
      const path = await unlessGpuFault(
        saveCheckpoint(checkpointDir, model, optimizerState, {
          ...position,
          opsRng: this.opsRng.getState(),
          wallTimeMs: this.wallTimeMs(),
          bestValidationAccuracy: this.bestValidationAccuracy,
          lastTrainLoss: this.lastEpochTrain.loss,
          lastTrainAccuracy: this.lastEpochTrain.accuracy,
          lastValidationAccuracy: this.lastValidationAccuracy,
          lastValidationLoss: this.lastValidationLoss,
          ...(this.earlyStopping ? { earlyStopping: this.earlyStopping.snapshot() } : {}),
          config,
        }, this.bestWeights),
      );
      emit({ type: 'checkpoint', epoch: position.epoch, step: position.step, path });
    } finally {
      tf.dispose(optimizerState.map((o) => o.tensor));
    }
  }

  /** The test set (on the best epoch's weights when early stopping says so), the summary, the 'completed' message. */
  private async complete(): Promise<TrainOutcome> {
    const { data, model, emit, config } = this.ctx;
    const early = this.earlyStopping?.snapshot() ?? null;
    const onBest = config.earlyStopping?.restoreBest === true && early?.bestEpoch != null && this.bestWeights !== null;
    const testedEpoch = onBest ? early!.bestEpoch! : this.epoch;
    if (testedEpoch !== this.epoch) {
      this.runner.loadWeights(this.bestWeights!);
      emit({ type: 'log', level: 'info', message: `Testing the weights of epoch ${testedEpoch}, the best on ${VALIDATION_METRIC_LABELS[config.earlyStopping!.metric]}.` });
    }
    const test = await unlessGpuFault(this.runner.evaluate(data.evalBatches('test'), data.numClasses));
    const summary: TrainSummary = {
      epochs: this.epoch,
      steps: this.step,
      finalTrainLoss: this.lastEpochTrain.loss,
      finalTrainAccuracy: this.lastEpochTrain.accuracy,
      bestValidationAccuracy: this.bestValidationAccuracy,
      finalValidationAccuracy: this.lastValidationAccuracy,
      testLoss: test.count > 0 ? test.loss : null,
      testAccuracy: test.count > 0 ? test.accuracy : null,
      parameterCount: model.countParams(),
      trainingTimeMs: this.wallTimeMs(),
    };
    const kernelParameters = await readKernelParameters(model);
    if (Object.keys(kernelParameters).length > 0) summary.kernelParameters = kernelParameters;
    if (config.earlyStopping && early) {
      summary.earlyStopping = {
        metric: config.earlyStopping.metric,
        stoppedAtEpoch: this.stoppedEarlyAt !== null && this.stoppedEarlyAt < config.epochs ? this.stoppedEarlyAt : null,
        bestEpoch: early.bestEpoch,
        bestValue: early.bestValue,
        reason: this.stoppedEarlyAt !== null && this.stoppedEarlyAt < config.epochs ? this.earlyStopping!.reason() : null,
      };
      summary.testedOn = { model: onBest ? 'best' : 'last', epoch: testedEpoch };
    }
    if (this.stoppedAtRung) summary.asha = this.stoppedAtRung;
    emit({ type: 'completed', summary });
    return { status: 'completed', summary };
  }
}
