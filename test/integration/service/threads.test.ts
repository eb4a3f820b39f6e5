// Every run computes on the cores it is given, by default, with the same results
// as on one thread; runs that train at once divide the cores between them. Real
// worker processes, real Fashion-MNIST, a model with convolutions and batch norm
// (the parts XNNPACK's thread pool computes).
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

async function trainToEnd(b: TestBench, config: RunConfigInput): Promise<{ threads: number; loss: number[] }> {
  const { id } = await b.wb.invoke('runs:start', { config });
  expect(await waitForStatus(b.wb, id, ['completed', 'failed'])).toBe('completed');
  const detail = await b.wb.invoke('runs:get', { id });
  const metrics = await b.wb.invoke('runs:metrics', { id });
  return { threads: detail.environment!.threads, loss: metrics.steps.loss };
}

describe('threads', () => {
  it('uses every core by default, and 2 threads train the same loss curve as 1', async () => {
    bench = await openTestBench({ concurrency: 1 });
    // 'auto' (the default) is every core; on a one-core machine ask for 2 so the comparison still means something.
    const two = await trainToEnd(bench, convConfig(availableCores() > 1 ? {} : { threads: 2 }));
    const one = await trainToEnd(bench, convConfig({ threads: 1 }));
    expect(two.threads).toBe(Math.max(2, availableCores()));
    expect(one.threads).toBe(1);
    expect(one.loss).toHaveLength(10);
    expect(two.loss).toHaveLength(10);
    // Same seed, same data order: equal up to float rounding (XNNPACK splits its work, not its sums).
    two.loss.forEach((loss, i) => expect(Math.abs(loss - one.loss[i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(one.loss[i]))));
    // And the curve moved: a test of a constant would pass the comparison too.
    expect(one.loss[9]).not.toBeCloseTo(one.loss[0], 2);
  });

  it('divides the cores between runs that train at once', async () => {
    bench = await openTestBench({ concurrency: 2 });
    const [a, b] = await Promise.all([trainToEnd(bench, convConfig({ seed: 1 })), trainToEnd(bench, convConfig({ seed: 2 }))]);
    const share = coreShare(availableCores(), 2);
    expect(a.threads).toBe(share);
    expect(b.threads).toBe(share);
  });
});
