// Data-parallel training inside one process, as the run's process does it: the
// replica threads are real worker threads running the bundled replica
// (out/node/replica-worker.js, built by the global setup), on the real
// Fashion-MNIST. What a user would notice: a run that ends (cancelled, or
// because a thread failed) leaves no thread behind, and a failed thread ends the
// run with an error that says so. The batch-norm collectives are checked on one
// rank, where the sum over ranks is the rank's own.
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src-main/engine/backend/select-backend';
import { DataParallelGroup } from '../../../../src-main/engine/parallel/data-parallel';
import { allocateShared, SharedState } from '../../../../src-main/engine/parallel/shared-state';
import { batchNormTraining, setBatchNormCollective } from '../../../../src-main/engine/ops/batch-norm-training';
import { train } from '../../../../src-main/engine/train/train';
import { describeThreadLayout, shardBatch } from '../../../../src-main/shared/parallelism';
import type { TrainProgress } from '../../../../src-main/shared/progress';
import { parseRunConfig, type RunConfigInput } from '../../../../src-main/shared/run-config';

const tmp = mkdtempSync(join(os.tmpdir(), 'kerv-data-parallel-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend('wasm', { threads: 1 });
});
afterEach(() => {
  delete process.env.KERV_TEST_REPLICA_CRASH_AT_STEP;
});

/** OS threads of this process (each worker thread is one). */
const osThreads = () => readdirSync('/proc/self/task').length;

function config(overrides: RunConfigInput = {}) {
  return parseRunConfig({
    seed: 2,
    backend: 'wasm',
    threads: 2,
    parallel: 'data',
    epochs: 1,
    batchSize: 16,
    sampleCount: 2,
    model: { arch: 'convbn', widthMultiplier: 0.25 },
    dataset: { name: 'fashion-mnist', trainSubset: 320, testSubset: 64 },
    ...overrides,
  });
}

describe('shards', () => {
  it('splits a batch into contiguous shards differing by at most one row, never an empty one', () => {
    expect(shardBatch(64, 2)).toEqual([{ start: 0, count: 32 }, { start: 32, count: 32 }]);
    expect(shardBatch(33, 2)).toEqual([{ start: 0, count: 17 }, { start: 17, count: 16 }]);
    expect(shardBatch(10, 4).map((s) => s.count)).toEqual([3, 3, 2, 2]);
    expect(shardBatch(1, 3)).toEqual([{ start: 0, count: 1 }]);
    expect(() => shardBatch(0, 2)).toThrow(/batch size/);
    expect(describeThreadLayout(2, 'data', 64)).toBe('2 threads: data-parallel, 2 shards of 32');
    expect(describeThreadLayout(3, 'data', 64)).toBe('3 threads: data-parallel, 3 shards of 22/21');
    expect(describeThreadLayout(2, 'xnnpack', 64)).toBe('2 threads: XNNPACK thread pool');
    expect(describeThreadLayout(1, 'none', 64)).toBe('1 thread');
  });
});

describe('synchronised batch norm', () => {
  it('exchanges the statistics and the gradient terms between its passes: on one rank, the op alone', () => {
    const state = new SharedState(allocateShared({ replicas: 1, imageSize: 1, maxBatch: 1, weightFloats: 1, gradientFloats: 1, reduceCapacity: 16 }), 0);
    state.post(1, [{ start: 0, count: 6 }], 6);
    const exchanged: string[] = [];
    setBatchNormCollective((label, values) => {
      exchanged.push(label);
      return state.allReduce(values, label);
    });
    try {
      const x = tf.randomNormal([6, 3, 3, 4], 2, 3, 'float32', 11);
      const scale = tf.randomNormal([4], 1, 0.2, 'float32', 12) as tf.Tensor1D;
      const offset = tf.randomNormal([4], 0, 1, 'float32', 13) as tf.Tensor1D;
      const upstream = tf.randomNormal([6, 3, 3, 4], 0, 1, 'float32', 14);
      const loss = (collective: string) => (input: tf.Tensor) => tf.sum(tf.mul(batchNormTraining(input, scale, offset, { epsilon: 1e-3, activation: 'relu', collective }).y, upstream));
      const [shared, alone] = ['bn', ''].map((collective) => [loss(collective)(x), tf.grad(loss(collective))(x)].map((t) => t.dataSync()));
      expect(exchanged).toEqual(['bn/statistics', 'bn/statistics', 'bn/gradient']);
      expect(Math.abs(shared[0][0] - alone[0][0])).toBeLessThan(1e-4 * Math.abs(alone[0][0]));
      shared[1].forEach((v, i) => expect(Math.abs(v - alone[1][i])).toBeLessThan(1e-5));
      // Not trivially zero: the statistics' terms move every element.
      expect(Math.max(...Array.from(alone[1], Math.abs))).toBeGreaterThan(1e-2);
    } finally {
      setBatchNormCollective(null);
    }
  });
});

async function lossCurve(overrides: RunConfigInput): Promise<{ loss: number[]; environment: Extract<TrainProgress, { type: 'started' }>['environment'] }> {
  const events: TrainProgress[] = [];
  const outcome = await train(config(overrides), { cacheDir: join(tmp, 'cache'), progressIntervalMs: 0, onProgress: (p) => events.push(p) });
  expect(outcome.status).toBe('completed');
  const started = events.find((e) => e.type === 'started') as Extract<TrainProgress, { type: 'started' }>;
  return { loss: events.flatMap((e) => (e.type === 'steps' ? e.steps.map((s) => s.loss) : [])), environment: started.environment };
}

describe('data-parallel runs', () => {
  it('with more threads than rows in the last batch, leave the spare replicas out of that step and train the 1-thread curve', async () => {
    // 322 images in batches of 16: the last batch has 2 rows, for 3 threads.
    const subset = { dataset: { name: 'fashion-mnist' as const, trainSubset: 322, testSubset: 64 } };
    const three = await lossCurve({ threads: 3, ...subset });
    const one = await lossCurve({ threads: 1, ...subset });
    expect([three.environment.threads, three.environment.parallel]).toEqual([3, 'data']);
    expect(one.environment.parallel).toBe('none');
    expect(three.loss).toHaveLength(21);
    three.loss.forEach((loss, i) => expect(Math.abs(loss - one.loss[i]), `step ${i + 1}`).toBeLessThan(1e-4 * Math.max(1, one.loss[i])));
  });


  it('that cannot start their replicas leave the model an ordinary one-thread model', async () => {
    const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [4, 4, 1] }), tf.layers.batchNormalization(), tf.layers.dense({ units: 3 })] });
    const options = { replicas: 2, maxBatch: 8, inputShape: [4, 4, 1] as [number, number, number], numClasses: 3, labelSmoothing: 0, diagnostics: false };
    await expect(DataParallelGroup.start(model, { ...options, workerScript: join(tmp, 'no-such-replica.js') })).rejects.toThrow(/replica 1 could not start/);
    // Batch norm in training mode still computes alone (a layer left waiting for a replica would hang here).
    const out = tf.tidy(() => model.apply(tf.ones([8, 4, 4, 1]), { training: true }) as tf.Tensor);
    expect(out.shape).toEqual([8, 3]);
    out.dispose();
    model.dispose();
  });

  it('cancelled, stop every replica thread', async () => {
    const controller = new AbortController();
    let during = 0;
    const events: TrainProgress[] = [];
    const outcome = await train(config(), {
      cacheDir: join(tmp, 'cache'),
      signal: controller.signal,
      progressIntervalMs: 0,
      onProgress: (p) => {
        events.push(p);
        if (p.type === 'steps' && p.steps.some((s) => s.step >= 3) && !controller.signal.aborted) {
          during = osThreads();
          controller.abort();
        }
      },
    });
    expect(outcome.status).toBe('cancelled');
    const started = events.find((e) => e.type === 'started') as Extract<TrainProgress, { type: 'started' }>;
    expect([started.environment.threads, started.environment.parallel]).toEqual([2, 'data']);
    // The replica was alive while the run trained, and is gone once train() returned.
    await expect.poll(osThreads).toBeLessThanOrEqual(during - 1);
  });

  it('end with an error naming the thread when a replica fails, and stop the others', async () => {
    process.env.KERV_TEST_REPLICA_CRASH_AT_STEP = '4';
    const before = osThreads();
    const failure = await train(config({ threads: 3 }), { cacheDir: join(tmp, 'cache'), progressIntervalMs: 0, onProgress: () => {} }).then(
      () => null,
      (error: Error) => error,
    );
    expect(failure?.message).toMatch(/^data-parallel training failed in thread [12] of the run: replica [12] crashed at step 4/);
    await expect.poll(osThreads).toBeLessThanOrEqual(before);
  });
});
