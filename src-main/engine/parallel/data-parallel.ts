// Data-parallel training on the CPU: the run's thread is rank 0 and starts N-1
// worker threads (replica-worker.ts), each a single-threaded wasm engine with a
// replica of the model. A step splits the batch into contiguous shards (rank 0
// takes the first); every rank computes forward + backward on its shard, with
// batch norm over the whole batch (sync-batch-norm.ts); rank 0 adds the replicas'
// gradients from shared memory to its own, applies the one optimiser update,
// and publishes the new weights, which the replicas load before their next
// command. Loss, accuracy and diagnostics are the whole batch's. So N threads
// compute what one thread computes, up to the order of float additions.
//
// Everything else of a run (optimiser state, checkpoints, schedules, progress)
// lives on rank 0 as in a single-threaded run: the replicas hold no state of
// their own beyond a copy of the weights.
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { shardBatch } from '../../shared/parallelism';
import type { Rng } from '../random';
import type { StepDiagnostics } from '../train/diagnostics';
import { evaluationResult, evaluationSums, type EvalBatch, type EvaluationResult } from '../train/evaluate';
import type { TrainOptimizer } from '../train/optimizer';
import { withSeededMathRandom } from '../train/seeded-random';
import { finishStep, prepareForTraining, shardGradients, type StepOptions } from '../train/step';
import { EVALUATION_SUMS, packStepResults, REPLICA_ROLE, STEP_RESULTS, unpackStepResults, type ReplicaInit, type ReplicaStartup } from './replica-protocol';
import { allocateShared, Command, SharedState, StepFlags } from './shared-state';
import { shardDropout } from './shard-dropout';
import { maxBatchNormChannels, synchronizeBatchNorm } from './sync-batch-norm';

export interface DataParallelOptions {
  /** Threads in all, this one included (≥ 2). */
  replicas: number;
  /** The largest batch a step or an evaluation will carry. */
  maxBatch: number;
  inputShape: [number, number, number];
  numClasses: number;
  labelSmoothing: number;
  /** Whether steps may be diagnosed (the replicas then build the diagnostics' forward model). */
  diagnostics: boolean;
  /** The replica bundle; default: out/node/replica-worker.js beside this bundle (or the repository's, from source). */
  workerScript?: string;
}

/** A batch as the data pipeline gives it. */
export interface HostBatch {
  x: Float32Array;
  y: Int32Array;
  shape: [number, number, number, number];
}

export function defaultReplicaScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // Bundled: beside the entry, or one folder up from a shared chunk; from source: the repository's out/node.
  const candidates = [join(here, 'replica-worker.js'), resolve(here, '../replica-worker.js'), resolve(here, '../../../out/node/replica-worker.js')];
  const found = candidates.find((file) => existsSync(file));
  if (!found) throw new Error(`data-parallel replica bundle not found (looked in ${candidates.join(', ')}); run 'npm run build:node' first.`);
  return found;
}

function sizeOf(shape: readonly (number | null)[]): number {
  return shape.reduce((a: number, b) => a * (b ?? 1), 1);
}

export class DataParallelGroup {
  private readonly tfVariables: tf.Variable[];
  private readonly imageSize: number;
  private disposed = false;

  private constructor(
    private readonly model: tf.LayersModel,
    private readonly state: SharedState,
    private readonly workers: Worker[],
    private readonly options: DataParallelOptions,
  ) {
    this.tfVariables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    this.imageSize = options.inputShape[0] * options.inputShape[1] * options.inputShape[2];
  }

  get replicas(): number {
    return this.options.replicas;
  }

  /**
   * Starts the replicas of `model` (which must be fully initialised: they start
   * from its weights), then makes its batch norm and dropout layers shard-aware.
   * Resolves when every replica is ready; rejects, stopping them all and leaving
   * the model as it was, if one cannot start.
   */
  static async start(model: tf.LayersModel, options: DataParallelOptions): Promise<DataParallelGroup> {
    if (!Number.isInteger(options.replicas) || options.replicas < 2) throw new Error(`data parallelism needs at least 2 threads, got ${options.replicas}`);
    const [h, w, c] = options.inputShape;
    const gradientFloats = model.trainableWeights.reduce((n, v) => n + sizeOf(v.shape), 0);
    const weightFloats = model.weights.reduce((n, v) => n + sizeOf(v.shape), 0);
    const kervOutputs = model.layers.filter((l) => l.getClassName() === 'KervConv2D').length;
    const buffers = allocateShared({
      replicas: options.replicas,
      imageSize: h * w * c,
      maxBatch: options.maxBatch,
      weightFloats,
      gradientFloats,
      reduceCapacity: Math.max(2 * maxBatchNormChannels(model) + 1, 2 + 2 * kervOutputs, 1 + options.numClasses * options.numClasses),
    });
    const state = new SharedState(buffers, 0);
    const script = options.workerScript ?? defaultReplicaScript();
    const topology = model.toJSON(null, false) as object;
    const weightShapes = model.weights.map((v) => v.shape.map((d) => d ?? -1));
    const workers: Worker[] = [];
    const group = new DataParallelGroup(model, state, workers, options);
    try {
      const started: Promise<void>[] = [];
      for (let rank = 1; rank < options.replicas; rank++) {
        const init: ReplicaInit = {
          role: REPLICA_ROLE,
          rank,
          buffers,
          topology,
          weightShapes,
          labelSmoothing: options.labelSmoothing,
          numClasses: options.numClasses,
          inputShape: options.inputShape,
          diagnostics: options.diagnostics,
        };
        const worker = new Worker(script, { workerData: init });
        // Never what keeps the process alive: a run's process exits when its run ends.
        worker.unref();
        workers.push(worker);
        started.push(
          new Promise<void>((resolveReady, reject) => {
            worker.once('message', (m: ReplicaStartup) => (m.type === 'ready' ? resolveReady() : reject(new Error(`data-parallel replica ${rank} could not start: ${m.message}`))));
            worker.once('error', (e) => reject(new Error(`data-parallel replica ${rank} could not start: ${e.message}`)));
            worker.once('exit', (code) => reject(new Error(`data-parallel replica ${rank} exited (code ${code}) while starting`)));
          }),
        );
        // An error after start-up reaches rank 0 through the shared memory; don't let it crash the process.
        worker.on('error', () => {});
      }
      await Promise.all(started);
      // Only now: a model whose replicas did not start stays an ordinary single-thread model.
      synchronizeBatchNorm(model, state);
      prepareForTraining(model);
      shardDropout(model, state);
      group.publishWeights();
      return group;
    } catch (error) {
      await group.dispose();
      throw error;
    }
  }

  /** Writes every weight of the model (trainable or not) where the replicas load it before their next command. */
  publishWeights(): void {
    this.state.awaitReplicasDone();
    let offset = 0;
    for (const weight of this.model.weights) {
      const values = weight.read().dataSync() as Float32Array;
      this.state.weights.set(values, offset);
      offset += values.length;
    }
    this.state.publishWeights();
  }

  /** Copies the rows of the batch the replicas compute on into shared memory. */
  private shareRows(batch: HostBatch, from: number): void {
    this.state.images.set(batch.x.subarray(from * this.imageSize), from * this.imageSize);
    this.state.labels.set(batch.y.subarray(from), from);
  }

  private localTensors(batch: HostBatch, count: number): [tf.Tensor4D, tf.Tensor1D] {
    const [, h, w, c] = batch.shape;
    return [tf.tensor4d(batch.x.subarray(0, count * this.imageSize), [count, h, w, c]), tf.tensor1d(batch.y.subarray(0, count), 'int32')];
  }

  /**
   * One training step over the whole batch (rank 0 takes the first shard), the
   * update applied and published. Returns what a single-threaded step returns:
   * [loss, accuracy], and with `diagnostics` their values.
   */
  step(
    batch: HostBatch,
    optimizer: TrainOptimizer,
    stepOptions: StepOptions,
    learningRate: number,
    opsRng: Rng,
    diagnostics: StepDiagnostics | null,
  ): { metrics: tf.Tensor1D; diagnostics: tf.Tensor1D | null } {
    const batchSize = batch.y.length;
    const shards = shardBatch(batchSize, this.replicas);
    this.state.awaitReplicasDone();
    if (shards.length > 1) this.shareRows(batch, shards[1].start);
    this.state.params.set(opsRng.getState(), 0);
    this.state.post(Command.step, shards, batchSize, diagnostics ? StepFlags.diagnosed : 0);
    const [x, y] = this.localTensors(batch, shards[0].count);
    const [metrics, sampled] = withSeededMathRandom(opsRng, () =>
      tf.tidy(() => {
        const local = shardGradients(this.model, this.tfVariables, diagnostics, x, y, stepOptions.labelSmoothing, batchSize);
        const stats = local.activationStats ? local.activationStats.dataSync() : new Float32Array(0);
        const packed = packStepResults(local.loss.dataSync()[0], local.accuracy.dataSync()[0], stats, shards[0].count / batchSize);
        // The closing collective: once past it, every replica's gradients are in its slot.
        const whole = unpackStepResults(this.state.allReduce(packed, STEP_RESULTS));
        const gradients = local.gradients.map((g, i) => this.sumWithReplicas(g, i, shards.length));
        return finishStep(optimizer, stepOptions, this.tfVariables, diagnostics, {
          loss: tf.scalar(whole.loss),
          accuracy: tf.scalar(whole.accuracy),
          gradients,
          activationStats: diagnostics ? tf.tensor1d(whole.activationStats) : null,
        }, learningRate);
      }),
    );
    tf.dispose([x, y]);
    this.publishWeights();
    return { metrics, diagnostics: sampled ?? null };
  }

  /** Variable `index`'s gradient: rank 0's plus every replica's of this step, in rank order. */
  private sumWithReplicas(local: tf.Tensor, index: number, participants: number): tf.Tensor {
    if (participants === 1) return local;
    let offset = 0;
    for (let i = 0; i < index; i++) offset += this.tfVariables[i].size;
    const parts = [local];
    for (let rank = 1; rank < participants; rank++) {
      parts.push(tf.tensor(this.state.gradientSlot(rank).subarray(offset, offset + local.size), local.shape));
    }
    return tf.addN(parts);
  }

  /** An evaluation in inference mode, each batch split over the ranks; the same result as evaluate(). */
  evaluate(batches: Iterable<EvalBatch>, numClasses: number): EvaluationResult {
    const totals = new Float64Array(1 + numClasses * numClasses);
    let count = 0;
    for (const batch of batches) {
      const batchSize = batch.y.length;
      const shards = shardBatch(batchSize, this.replicas);
      this.state.awaitReplicasDone();
      if (shards.length > 1) this.shareRows(batch, shards[1].start);
      this.state.post(Command.evaluate, shards, batchSize);
      const [x, y] = this.localTensors(batch, shards[0].count);
      const sums = this.state.allReduce(evaluationSums(this.model, x, y, numClasses), EVALUATION_SUMS);
      tf.dispose([x, y]);
      sums.forEach((v, i) => (totals[i] += v));
      count += batchSize;
    }
    const matrix = Array.from({ length: numClasses }, (_, r) => Array.from(totals.subarray(1 + r * numClasses, 1 + (r + 1) * numClasses)));
    return evaluationResult(totals[0], matrix, count);
  }

  /** Stops the replicas (their threads end; nothing waits on a dead one). */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.state.postStop();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
