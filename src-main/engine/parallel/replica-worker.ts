// A replica of a data-parallel run (bundled to out/node/replica-worker.js, started
// by data-parallel.ts as a worker thread of the run's process): its own
// single-threaded wasm engine, a model built from the run model's topology, and a
// loop that waits on the shared command counter. A step: load the weights rank 0
// published, forward + backward on this replica's shard (batch norm summed across
// the shards), gradients into this replica's slot, the loss and accuracy parts into
// the step's closing collective. Rank 0 sums the gradients, applies the update and
// publishes the new weights, so every replica starts each step from the same bits.
//
// The loop is synchronous (Atomics.wait), so the thread does nothing between
// commands and needs no message port after start-up; it returns on 'stop', or when
// any rank failed (then its own error, if it is the one, is in the shared memory).
import * as tf from '@tensorflow/tfjs';
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../backend/select-backend';
import '../layers/kerv-conv2d-layer'; // registers KervConv2D for the topology
import { Rng, type RngState } from '../random';
import { StepDiagnostics } from '../train/diagnostics';
import { evaluationSums } from '../train/evaluate';
import { withSeededMathRandom } from '../train/seeded-random';
import { prepareForTraining, shardGradients } from '../train/step';
import { EVALUATION_SUMS, packStepResults, STEP_RESULTS, type ReplicaInit, type ReplicaStartup } from './replica-protocol';
import { Command, SharedState, StepFlags } from './shared-state';
import { shardDropout } from './shard-dropout';
import { synchronizeBatchNorm } from './sync-batch-norm';

/** Test hook: a replica that throws at this step (1-based), to show how a run ends when a thread fails. */
const CRASH_AT_STEP = Number(process.env.KERV_TEST_REPLICA_CRASH_AT_STEP ?? 0);

class Replica {
  private readonly tfVariables: tf.Variable[];
  private readonly diagnostics: StepDiagnostics | null;
  private weightsVersion = -1;
  private steps = 0;

  constructor(
    private readonly init: ReplicaInit,
    private readonly model: tf.LayersModel,
    private readonly state: SharedState,
  ) {
    this.tfVariables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    this.diagnostics = init.diagnostics ? new StepDiagnostics(model) : null;
  }

  serve(): void {
    let seen = 0;
    for (;;) {
      seen = this.state.awaitCommand(seen);
      const command = this.state.command;
      if (command === Command.stop) return;
      this.loadWeights();
      if (this.init.rank < this.state.shardCount) {
        if (command === Command.step) this.step();
        else if (command === Command.evaluate) this.evaluate();
      }
      this.state.commandDone();
    }
  }

  /** The weights rank 0 published last, unless this replica already has them. */
  private loadWeights(): void {
    const version = this.state.weightsVersion;
    if (version === this.weightsVersion) return;
    tf.tidy(() => {
      let offset = 0;
      for (const weight of this.model.weights) {
        const size = weight.shape.reduce((a: number, b) => a * (b ?? 1), 1);
        weight.write(tf.tensor(this.state.weights.subarray(offset, offset + size), weight.shape as number[]));
        offset += size;
      }
    });
    this.weightsVersion = version;
  }

  private shardTensors(): [tf.Tensor4D, tf.Tensor1D, number] {
    const { start, count } = this.state.shard(this.init.rank);
    const [h, w, c] = this.init.inputShape;
    const size = h * w * c;
    const x = tf.tensor4d(this.state.images.subarray(start * size, (start + count) * size), [count, h, w, c]);
    const y = tf.tensor1d(this.state.labels.subarray(start, start + count), 'int32');
    return [x, y, count];
  }

  private step(): void {
    this.steps += 1;
    if (CRASH_AT_STEP > 0 && this.steps === CRASH_AT_STEP) throw new Error(`replica ${this.init.rank} crashed at step ${this.steps} (KERV_TEST_REPLICA_CRASH_AT_STEP)`);
    const [x, y, count] = this.shardTensors();
    const batchSize = this.state.batchSize;
    const diagnosed = (this.state.flags & StepFlags.diagnosed) !== 0 ? this.diagnostics : null;
    // The same random stream as rank 0's for this step (dropout draws its seeds from Math.random).
    const rng = new Rng(Array.from(this.state.params.subarray(0, 4)) as RngState);
    let results: Float64Array | null = null;
    withSeededMathRandom(rng, () =>
      tf.tidy(() => {
        const shard = shardGradients(this.model, this.tfVariables, diagnosed, x, y, this.init.labelSmoothing, batchSize);
        const slot = this.state.gradientSlot(this.init.rank);
        let offset = 0;
        for (const g of shard.gradients) {
          slot.set(g.dataSync() as Float32Array, offset);
          offset += g.size;
        }
        const stats = shard.activationStats ? shard.activationStats.dataSync() : new Float32Array(0);
        results = packStepResults(shard.loss.dataSync()[0], shard.accuracy.dataSync()[0], stats, count / batchSize);
      }),
    );
    tf.dispose([x, y]);
    this.state.allReduce(results as unknown as Float64Array, STEP_RESULTS);
  }

  private evaluate(): void {
    const [x, y] = this.shardTensors();
    const sums = evaluationSums(this.model, x, y, this.init.numClasses);
    tf.dispose([x, y]);
    this.state.allReduce(sums, EVALUATION_SUMS);
  }
}

function checkWeights(model: tf.LayersModel, expected: number[][]): void {
  const shapes = model.weights.map((w) => w.shape.map((d) => d ?? -1));
  if (JSON.stringify(shapes) !== JSON.stringify(expected)) {
    throw new Error(`replica model differs from the run's: weight shapes ${JSON.stringify(shapes)} vs ${JSON.stringify(expected)}`);
  }
}

async function main(): Promise<void> {
  const init = workerData as ReplicaInit;
  const port = parentPort!;
  const state = new SharedState(init.buffers, init.rank);
  let replica: Replica;
  try {
    await initBackend('wasm', { threads: 1 });
    const model = await tf.models.modelFromJSON({ modelTopology: init.topology } as tf.io.ModelJSON);
    checkWeights(model, init.weightShapes);
    synchronizeBatchNorm(model, state);
    prepareForTraining(model);
    shardDropout(model, state);
    replica = new Replica(init, model, state);
  } catch (error) {
    port.postMessage({ type: 'error', message: (error as Error).stack ?? String(error) } satisfies ReplicaStartup);
    return;
  }
  port.postMessage({ type: 'ready' } satisfies ReplicaStartup);
  try {
    replica.serve();
  } catch (error) {
    // Another rank's failure is already recorded; this one's goes to rank 0 through the shared memory.
    if (!state.failure()) state.fail(error instanceof Error ? error.message : String(error), error instanceof Error ? error.stack : undefined);
  }
  port.close();
}

void main();
