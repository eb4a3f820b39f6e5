// Real runs of every kernel, each with its own seed, through the API the way the
// Runs and Compare screens use them. They train for real (a tiny LeNet-5), so
// each summary is what the engine writes, kernel parameters included (γ = auto,
// learned c, learned γ per channel).
// - issue 22 bug 2: saved as one bundle and imported back, every field intact;
// - issue 22 bug 6: they all show the same sample images, so Compare sets their
//   predictions side by side.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KERNELS } from '../../../src-main/shared/kernels/index';
import type { RunConfigInput } from '../../../src-main/shared/run-config';
import { openTestBench, tinyConfig, waitForStatus, type TestBench } from './helpers';

/** Every kernel at its defaults (gaussian and laplacian: γ = auto); the ones that can learn learn, alternately per layer and per channel. */
function kernelConfigs(): RunConfigInput[] {
  let learner = 0;
  return KERNELS.map((kernel, i) => {
    const learnable = kernel.learnableParams.length > 0 && kernel.type !== 'gaussian' ? (learner++ % 2 === 0 ? 'scalar' : 'channel') : undefined;
    return tinyConfig({
      name: `${kernel.type} round trip`,
      seed: i,
      dataset: { name: 'fashion-mnist', trainSubset: 64, testSubset: 32 },
      model: { arch: 'lenet5', widthMultiplier: 0.5, kernel: { type: kernel.type, ...(learnable ? { learnable } : {}) } as never },
      batchSize: 32,
      sampleCount: 4,
    });
  });
}

describe('runs of every kernel, seeds 0 to 7', () => {
  let bench: TestBench;
  const ids: number[] = [];

  beforeAll(async () => {
    bench = await openTestBench();
    for (const config of kernelConfigs()) ids.push((await bench.wb.invoke('runs:start', { config, queue: true })).id);
    for (const id of ids) {
      await waitForStatus(bench.wb, id, ['completed', 'failed']);
      const run = await bench.wb.invoke('runs:get', { id });
      expect([run.kernel, run.status, run.error]).toEqual([run.kernel, 'completed', null]);
    }
  });

  afterAll(async () => {
    await bench?.dispose();
  });

  it('saves them as one bundle and imports every run back with its summary, kernel parameters included', async () => {
    const { wb } = bench;
    const originals = await Promise.all(ids.map((id) => wb.invoke('runs:get', { id })));
    // The case the walk-through hit: γ = auto keeps the γ it chose as a weight, so the summary names it.
    const gaussian = originals.find((r) => r.kernel === 'gaussian')!;
    expect(Object.keys(gaussian.summary!.kernelParameters ?? {})).not.toEqual([]);
    expect(originals.filter((r) => r.summary?.kernelParameters).length).toBeGreaterThanOrEqual(4);

    const { path } = await wb.invoke('runs:exportBundle', { ids, path: 'every-kernel.kervrun' });
    const imported = (await wb.invoke('runs:importBundle', { path })).ids;
    expect(imported).toHaveLength(ids.length);
    for (const [i, id] of imported.entries()) {
      const [copy, original] = [await wb.invoke('runs:get', { id }), originals[i]];
      expect([copy.kernel, copy.status]).toEqual([original.kernel, 'completed']);
      expect(copy.summary).toEqual(original.summary);
      expect(copy.environment).toEqual(original.environment);
      expect(copy.dataset_info).toEqual(original.dataset_info);
      expect(await wb.invoke('runs:metrics', { id })).toEqual(await wb.invoke('runs:metrics', { id: original.id }));
      expect(await wb.invoke('runs:samples', { id })).toEqual(await wb.invoke('runs:samples', { id: original.id }));
    }
  });

  it('show the same sample images whatever their seed and kernel, and Compare finds the flips between any two', async () => {
    const { wb } = bench;
    const sets = await Promise.all(ids.map((id) => wb.invoke('runs:samples', { id })));
    expect(sets[0]).toHaveLength(4);
    for (const set of sets) expect(set).toEqual(sets[0]);
    const [a, b] = [ids[0], ids[2]]; // linear, seed 0 and gaussian, seed 2
    const comparison = await wb.invoke('compare:get', { ids: [a, b] });
    const predicted = async (id: number) => new Map((await wb.invoke('runs:metrics', { id })).epochs[0].samplePredictions.map((p) => [p.sampleIndex, p.top[0].classIndex]));
    const [pa, pb] = [await predicted(a), await predicted(b)];
    const expected = sets[0].filter((s) => (pa.get(s.sampleIndex) === s.label) !== (pb.get(s.sampleIndex) === s.label)).map((s) => s.sampleIndex);
    const flipped = [...comparison.flipped!.rightInAOnly, ...comparison.flipped!.rightInBOnly].map((f) => f.sampleIndex).sort((x, y) => x - y);
    expect(flipped).toEqual(expected);
  });
});
