// Data-parallel training steps over worker threads: each worker is its own
// single-threaded wasm engine holding a replica of the reference CNN and a share
// of the batch. A step: every worker computes forward + backward on its share,
// the main thread averages the gradients, every worker applies the same average
// with its own optimizer, so the replicas stay identical (batch-norm running
// statistics stay per replica, as in unsynchronised data-parallel training).
//
// The other way to use several cores with the wasm backend, measured beside the
// product's (threaded XNNPACK, engine/backend/wasm-threads.ts): it parallelises
// every op, not only XNNPACK's, but batch-norm statistics become per-shard, so its
// results are not those of one thread; the product keeps its runs exact.
import { Worker, parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src-main/engine/backend/select-backend';
import { optimizerConfigSchema, type BackendChoice } from '../src-main/shared/run-config';
import { TrainOptimizer } from '../src-main/engine/train/optimizer';
import { trainableVariables } from '../src-main/engine/train/step';
import { crossEntropyLoss } from '../src-main/engine/train/loss';
import { buildReferenceCnn } from './reference-cnn';
import type { BenchOptions, ConvVariant } from './options';
import { median } from './stats';

export const DATA_PARALLEL_ROLE = 'kerv-bench-data-parallel-worker';

interface WorkerInit {
  role: typeof DATA_PARALLEL_ROLE;
  options: BenchOptions;
  variant: ConvVariant;
  shardSize: number;
  shardIndex: number;
}

type ToWorker =
  | { type: 'set-weights'; weights: Float32Array[] }
  | { type: 'compute' }
  | { type: 'apply'; grads: Float32Array[] }
  | { type: 'stop' };

type FromWorker =
  | { type: 'ready'; weights: Float32Array[] }
  | { type: 'weights-set' }
  | { type: 'grads'; grads: Float32Array[]; loss: number }
  | { type: 'applied' }
  | { type: 'error'; message: string };

export interface DataParallelResult {
  variant: ConvVariant;
  workers: number;
  batch: number;
  stepMs: number[];
  medianStepMs: number;
}

export function isDataParallelWorker(): boolean {
  return (workerData as WorkerInit | undefined)?.role === DATA_PARALLEL_ROLE;
}

/** The worker side; started from the same bundle (see run.ts). */
export async function runDataParallelWorker(): Promise<void> {
  const init = workerData as WorkerInit;
  const port = parentPort!;
  const send = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  try {
    await initBackend(init.options.backend as BackendChoice);
    const { options } = init;
    const model = buildReferenceCnn(init.variant, { imageSize: options.imageSize, channels: options.channels, classes: options.classes });
    // The product's optimiser (SGD, momentum 0.9), as in the single-engine rows.
    const variables = trainableVariables(model);
    const tfVariables = variables.map((v) => v.read() as tf.Variable);
    const optimizer = new TrainOptimizer(optimizerConfigSchema.parse({}), variables);
    const x = tf.randomNormal([init.shardSize, options.imageSize, options.imageSize, options.channels], 0, 1, 'float32', 1 + init.shardIndex);
    const labels = tf.randomUniform([init.shardSize], 0, options.classes, 'int32', 100 + init.shardIndex) as tf.Tensor1D;
    const loss = () => crossEntropyLoss(model.apply(x, { training: true }) as tf.Tensor2D, labels);

    send({ type: 'ready', weights: model.getWeights().map((w) => (w.dataSync() as Float32Array).slice()) });

    port.on('message', (message: ToWorker) => {
      try {
        if (message.type === 'set-weights') {
          const current = model.getWeights();
          const replacement = message.weights.map((w, i) => tf.tensor(w, current[i].shape));
          model.setWeights(replacement);
          tf.dispose(replacement);
          send({ type: 'weights-set' });
        } else if (message.type === 'compute') {
          const { value, grads } = tf.variableGrads(loss, tfVariables);
          // Copies: on some backends dataSync() returns the tensor's own buffer, which must not be transferred.
          const arrays = tfVariables.map((v) => (grads[v.name].dataSync() as Float32Array).slice());
          const lossValue = value.dataSync()[0];
          tf.dispose([value, ...Object.values(grads)]);
          send({ type: 'grads', grads: arrays, loss: lossValue }, arrays.map((a) => a.buffer as ArrayBuffer));
        } else if (message.type === 'apply') {
          tf.tidy(() => optimizer.applyGradients(message.grads.map((g, i) => tf.tensor(g, variables[i].shape)), optimizer.config.lr));
          send({ type: 'applied' });
        } else if (message.type === 'stop') {
          port.close();
        }
      } catch (error) {
        send({ type: 'error', message: (error as Error).stack ?? String(error) });
      }
    });
  } catch (error) {
    send({ type: 'error', message: (error as Error).stack ?? String(error) });
  }
}

class WorkerHandle {
  private waiting: ((m: FromWorker) => void) | null = null;
  private failure: Error | null = null;

  constructor(readonly worker: Worker) {
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'error') this.fail(new Error(`data-parallel worker: ${m.message}`));
      else this.waiting?.(m);
    });
    worker.on('error', (e) => this.fail(e));
  }

  private fail(error: Error): void {
    this.failure = error;
    this.waiting?.({ type: 'error', message: error.message });
  }

  /** Resolves with the next message of the given type. */
  next<T extends FromWorker['type']>(type: T): Promise<Extract<FromWorker, { type: T }>> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.waiting = (m) => {
        this.waiting = null;
        if (m.type === type) resolve(m as Extract<FromWorker, { type: T }>);
        else reject(this.failure ?? new Error(`data-parallel worker sent '${m.type}' while '${type}' was expected`));
      };
    });
  }

  send(message: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
  }
}

function average(perWorker: Float32Array[][]): Float32Array[] {
  return perWorker[0].map((_, v) => {
    const sum = new Float32Array(perWorker[0][v].length);
    for (const grads of perWorker) {
      const g = grads[v];
      for (let i = 0; i < sum.length; i++) sum[i] += g[i];
    }
    for (let i = 0; i < sum.length; i++) sum[i] /= perWorker.length;
    return sum;
  });
}

/**
 * Times `options.steps` synchronous data-parallel steps (after warm-up) of the
 * whole batch split over `workers` threads. `entry` is the bundle that starts a
 * worker (run.ts dispatches on workerData).
 */
export async function measureDataParallel(options: BenchOptions, variant: ConvVariant, workers: number, entry: URL): Promise<DataParallelResult> {
  if (options.batch % workers) throw new Error(`--batch ${options.batch} must divide evenly over ${workers} workers`);
  const shardSize = options.batch / workers;
  const handles = Array.from({ length: workers }, (_, shardIndex) => {
    const init: WorkerInit = { role: DATA_PARALLEL_ROLE, options, variant, shardSize, shardIndex };
    return new WorkerHandle(new Worker(entry, { workerData: init }));
  });
  try {
    const ready = await Promise.all(handles.map((h) => h.next('ready')));
    // Replicas start from worker 0's initial weights.
    await Promise.all(
      handles.slice(1).map((h) => {
        const done = h.next('weights-set');
        h.send({ type: 'set-weights', weights: ready[0].weights.map((w) => w.slice()) });
        return done;
      }),
    );
    const step = async () => {
      const gradsDone = handles.map((h) => h.next('grads'));
      handles.forEach((h) => h.send({ type: 'compute' }));
      const grads = await Promise.all(gradsDone);
      const mean = average(grads.map((g) => g.grads));
      const applied = handles.map((h) => h.next('applied'));
      handles.forEach((h) => h.send({ type: 'apply', grads: mean.map((g) => g.slice()) }));
      await Promise.all(applied);
    };
    for (let i = 0; i < options.warmupSteps; i++) await step();
    const stepMs: number[] = [];
    for (let i = 0; i < options.steps; i++) {
      const start = performance.now();
      await step();
      stepMs.push(performance.now() - start);
    }
    return { variant, workers, batch: options.batch, stepMs, medianStepMs: median(stepMs) };
  } finally {
    await Promise.all(handles.map((h) => h.worker.terminate()));
  }
}
