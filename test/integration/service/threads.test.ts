// Every run computes on the cores it is given, by default, with the same results
// as on one thread; runs that train at once divide the cores between them. Real
// worker processes, real Fashion-MNIST. By default the threads train data-parallel
// (a replica and a shard of each batch per thread, engine/parallel/), so the
// models include batch norm, whose statistics must be the whole batch's.
import { afterEach, describe, expect, it } from 'vitest';
import { availableCores, coreShare } from '../../../src-main/engine/backend/cores';
import type { RunConfigInput } from '../../../src-main/shared/run-config';
import { openTestBench, tinyConfig, waitForStatus, type TestBench } from './helpers';

let bench: TestBench | undefined;
afterEach(async () => {
  await bench?.dispose();
  bench = undefined;
});

/** Ten steps of a small conv + batch-norm network. */
const convConfig = (overrides: RunConfigInput = {}): RunConfigInput =>
  tinyConfig({ model: { arch: 'convbn', widthMultiplier: 0.5 }, dataset: { name: 'fashion-mnist', trainSubset: 640, testSubset: 128 }, seed: 5, ...overrides });

async function trainToEnd(b: TestBench, config: RunConfigInput): Promise<{ threads: number; parallel: string | undefined; loss: number[]; accuracy: number[]; validationLoss: (number | null)[] }> {
  const { id } = await b.wb.invoke('runs:start', { config });
  expect(await waitForStatus(b.wb, id, ['completed', 'failed'])).toBe('completed');
  const detail = await b.wb.invoke('runs:get', { id });
  const metrics = await b.wb.invoke('runs:metrics', { id });
  return {
    threads: detail.environment!.threads,
    parallel: detail.environment!.parallel,
    loss: metrics.steps.loss,
    accuracy: metrics.steps.accuracy,
    validationLoss: metrics.epochs.map((e) => e.validationLoss),
  };
}

/** Equal up to float rounding: the shards' sums are added in another order than one thread adds them. */
function expectSameCurve(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, i) => expect(Math.abs(value - expected[i]), `step ${i + 1}: ${value} vs ${expected[i]}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(expected[i]))));
}

/** 1 thread, then 2 data-parallel threads, of the same config: the same curve, and a curve that moved. */
async function compareOneAndTwo(b: TestBench, config: RunConfigInput, steps: number): Promise<void> {
  const one = await trainToEnd(b, { ...config, threads: 1 });
  const two = await trainToEnd(b, { ...config, threads: 2, parallel: 'data' });
  expect([one.threads, one.parallel]).toEqual([1, 'none']);
  expect([two.threads, two.parallel]).toEqual([2, 'data']);
  expect(one.loss).toHaveLength(steps);
  expectSameCurve(two.loss, one.loss);
  expectSameCurve(two.accuracy, one.accuracy);
  // Evaluation (inference-mode batch norm uses the moving averages the shards updated together).
  expectSameCurve(two.validationLoss as number[], one.validationLoss as number[]);
  // A test of a constant would pass the comparison too.
  expect(one.loss[steps - 1]).not.toBeCloseTo(one.loss[0], 2);
}

describe('threads', () => {
  it('uses every core by default, as data parallelism, and 2 threads train the same loss curve as 1', async () => {
    bench = await openTestBench({ concurrency: 1 });
    // 'auto' (the default) is every core; on a one-core machine ask for 2 so the comparison still means something.
    const two = await trainToEnd(bench, convConfig(availableCores() > 1 ? {} : { threads: 2 }));
    const one = await trainToEnd(bench, convConfig({ threads: 1 }));
    expect(two.threads).toBe(Math.max(2, availableCores()));
    expect(two.parallel).toBe('data');
    expect(one.threads).toBe(1);
    expect(one.loss).toHaveLength(10);
    // Same seed, same data order: equal up to float rounding, batch norm included (its statistics are summed across shards).
    expectSameCurve(two.loss, one.loss);
    expect(one.loss[9]).not.toBeCloseTo(one.loss[0], 2);
  });

  it('trains LeNet-5 on 2 data-parallel threads as on 1, with an uneven last batch', async () => {
    bench = await openTestBench({ concurrency: 1 });
    // 910 training images in batches of 50: the last batch has 10, split 5 + 5.
    await compareOneAndTwo(bench, tinyConfig({ model: { arch: 'lenet5' }, dataset: { name: 'fashion-mnist', trainSubset: 910, testSubset: 200 }, batchSize: 50, seed: 3 }), 19);
  });

  it('trains a ResNet (batch norm in every block, projection shortcuts) on 2 threads as on 1', async () => {
    bench = await openTestBench({ concurrency: 1 });
    // Batch 33: shards of 17 and 16, so the whole-batch statistics are not the mean of two equal halves; the last batch has 3.
    await compareOneAndTwo(bench, tinyConfig({ model: { arch: 'resnet-small', widthMultiplier: 0.25 }, dataset: { name: 'fashion-mnist', trainSubset: 300, testSubset: 100 }, batchSize: 33, seed: 4 }), 10);
  });

  it('trains a CNN with dropout on 2 threads as on 1: each shard keeps its rows of the whole batch\'s mask', async () => {
    bench = await openTestBench({ concurrency: 1 });
    await compareOneAndTwo(bench, tinyConfig({ model: { arch: 'cifar-cnn', widthMultiplier: 0.25 }, dataset: { name: 'fashion-mnist', trainSubset: 330, testSubset: 100 }, batchSize: 32, seed: 6 }), 11);
  });

  it('divides the cores between runs that train at once', async () => {
    bench = await openTestBench({ concurrency: 2 });
    const [a, b] = await Promise.all([trainToEnd(bench, convConfig({ seed: 1 })), trainToEnd(bench, convConfig({ seed: 2 }))]);
    const share = coreShare(availableCores(), 2);
    expect(a.threads).toBe(share);
    expect(b.threads).toBe(share);
  });
});
