// The real Fashion-MNIST files from Debian's dataset-fashion-mnist package, loaded
// once for the whole file (decoding 47 MB of training images), then split,
// normalised and batched as a run would.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  datasetStatus,
  evalBatches,
  FASHION_MNIST_CLASS_NAMES,
  loadDataset,
  prepareData,
  sampleImages,
  trainEpoch,
  type LoadedDataset,
} from '../../../../src-main/engine/data';
import { Rng } from '../../../../src-main/engine/random';
import { datasetConfigSchema, type DatasetConfig } from '../../../../src-main/shared/run-config';
import { tempDir } from './fixtures';

const DEBIAN_FOLDER = '/usr/share/datasets/fashion-mnist';
const cache = tempDir('fashion-cache');
const config = (fields: Partial<DatasetConfig> = {}): DatasetConfig => datasetConfigSchema.parse({ name: 'fashion-mnist', ...fields });
let dataset: LoadedDataset;

beforeAll(async () => {
  expect(existsSync(DEBIAN_FOLDER), `Debian's dataset-fashion-mnist must be installed (${DEBIAN_FOLDER})`).toBe(true);
  dataset = await loadDataset(config(), { cacheDir: cache.path });
  return cache.remove;
});

describe('Fashion-MNIST from Debian', () => {
  it('is found without a download and reported present', async () => {
    const status = await datasetStatus('fashion-mnist', join(cache.path, 'empty'));
    expect(status).toEqual({ name: 'fashion-mnist', present: true, location: DEBIAN_FOLDER, sizeBytes: 26_421_856 + 29_491 + 4_422_079 + 5_125 });
    expect(dataset.source).toBe(DEBIAN_FOLDER);
    expect(await datasetStatus('fashion-mnist', cache.path, { systemRoots: [] })).toEqual({ name: 'fashion-mnist', present: false, location: null, sizeBytes: null });
  });

  it('has 60000 training and 10000 test images of 28×28×1, labels 0..9, the published first labels and class names', () => {
    expect(dataset.name).toBe('fashion-mnist');
    expect(dataset.train.count).toBe(60_000);
    expect(dataset.test.count).toBe(10_000);
    expect(dataset.inputShape).toEqual([28, 28, 1]);
    expect(dataset.train.images.length).toBe(60_000 * 784);
    expect(dataset.test.images.length).toBe(10_000 * 784);
    expect(Math.max(...dataset.train.labels)).toBe(9);
    expect(Math.min(...dataset.train.labels)).toBe(0);
    expect(Array.from(dataset.train.labels.subarray(0, 10))).toEqual([9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    expect(Array.from(dataset.test.labels.subarray(0, 10))).toEqual([9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
    expect(dataset.classNames).toEqual(FASHION_MNIST_CLASS_NAMES);
    expect(dataset.classNames[9]).toBe('Ankle boot');
    // Each class has exactly 6000 training images.
    const perClass = new Array(10).fill(0);
    for (const label of dataset.train.labels) perClass[label]++;
    expect(perClass).toEqual(new Array(10).fill(6000));
  });

  it('fingerprints the data and keeps it in memory for the next load', async () => {
    expect(dataset.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    const again = await loadDataset(config({ augment: 'crop', validationFraction: 0.2 }), { cacheDir: cache.path });
    expect(again).toBe(dataset);
  });
});

describe('prepareData on Fashion-MNIST', () => {
  it('splits validation off the training set by seed, disjoint, class-balanced and reproducible', () => {
    const a = prepareData(dataset, config(), 7);
    const b = prepareData(dataset, config(), 7);
    const c = prepareData(dataset, config(), 8);
    expect(a.train.count).toBe(54_000);
    expect(a.validation.count).toBe(6_000);
    expect(a.test.count).toBe(10_000);
    expect(Array.from(a.validation.indices)).toEqual(Array.from(b.validation.indices));
    // The sample pool heads every seed's validation split; the rest is the seed's own.
    expect(Array.from(a.validation.indices.subarray(0, 260))).toEqual(Array.from(c.validation.indices.subarray(0, 260)));
    expect(Array.from(a.validation.indices.subarray(260, 310))).not.toEqual(Array.from(c.validation.indices.subarray(260, 310)));
    const validation = new Set(a.validation.indices);
    expect(a.train.indices.some((i) => validation.has(i))).toBe(false);
    expect(new Set([...a.train.indices, ...validation]).size).toBe(60_000);
    const perClass = new Array(10).fill(0);
    for (const i of a.validation.indices) perClass[dataset.train.labels[i]]++;
    expect(perClass).toEqual(new Array(10).fill(600));
    // Any prefix is balanced too: the first 100 validation images hold 10 of each class.
    const first100 = new Array(10).fill(0);
    for (const i of a.validation.indices.subarray(0, 100)) first100[dataset.train.labels[i]]++;
    expect(first100).toEqual(new Array(10).fill(10));
    expect(a.info()).toMatchObject({ name: 'fashion-mnist', trainSize: 54_000, validationSize: 6_000, testSize: 10_000, fingerprint: dataset.fingerprint });
  });

  it('computes per-channel mean and std on the training split (the published 0.2860 / 0.3530)', () => {
    const prepared = prepareData(dataset, config(), 0);
    expect(prepared.normalization.mean[0]).toBeCloseTo(0.286, 3);
    expect(prepared.normalization.std[0]).toBeCloseTo(0.353, 3);
    expect(prepareData(dataset, config({ normalize: false }), 0).normalization).toEqual({ mean: [0], std: [1] });
  });

  it('applies trainSubset and testSubset after a seeded shuffle, and shrinks validation in proportion', () => {
    const prepared = prepareData(dataset, config({ trainSubset: 1000, testSubset: 500 }), 3);
    expect(prepared.train.count).toBe(1000);
    expect(prepared.test.count).toBe(500);
    expect(prepared.validation.count).toBe(260); // ceil(1000 × 0.1 / 0.9) = 112, raised to the sample pool: 256 rounded up to whole rounds of 10 classes
    const full = prepareData(dataset, config(), 3);
    expect(Array.from(prepared.train.indices)).toEqual(Array.from(full.train.indices.subarray(0, 1000)));
    expect(Array.from(prepared.validation.indices)).toEqual(Array.from(full.validation.indices.subarray(0, 260)));
    const perClass = new Array(10).fill(0);
    for (const i of prepared.train.indices) perClass[dataset.train.labels[i]]++;
    expect(perClass).toEqual(new Array(10).fill(100));
    // The test subset is the same for every seed, so runs with different seeds are tested alike.
    expect(Array.from(prepareData(dataset, config({ testSubset: 500 }), 99).test.indices)).toEqual(Array.from(prepared.test.indices));
    expect(prepareData(dataset, config({ trainSubset: 20_000 }), 3).validation.count).toBe(2_223);
  });

  it('keeps the same sample images for every seed whatever the other fields are, and never trains on them (issue 22 bug 6)', () => {
    const ids = (fields: Partial<DatasetConfig>, seed: number) => {
      const prepared = prepareData(dataset, config(fields), seed);
      return prepared.sampleIndices(32).map((position) => prepared.sampleSplit.indices[position]);
    };
    const base = ids({}, 5);
    expect(base).toHaveLength(32);
    expect(ids({ validationFraction: 0.3, trainSubset: 500, augment: 'crop-flip', normalize: false, testSubset: 100 }, 5)).toEqual(base);
    expect(ids({}, 6)).toEqual(base);
    expect(ids({ trainSubset: 1000 }, 123_456)).toEqual(base);
    for (const seed of [0, 6]) {
      const prepared = prepareData(dataset, config(), seed);
      const training = new Set(prepared.train.indices);
      expect(prepared.sampleIndices(256).filter((p) => training.has(prepared.sampleSplit.indices[p]))).toEqual([]);
    }
    // The rest of the split is still the seed's own.
    const [a, b] = [5, 6].map((seed) => prepareData(dataset, config(), seed).validation.indices.subarray(260, 1260));
    expect(Array.from(a)).not.toEqual(Array.from(b));
    const samples = sampleImages(prepareData(dataset, config(), 5), 4);
    expect(samples.map((s) => s.sampleIndex)).toEqual([0, 1, 2, 3]);
    expect(samples.map((s) => s.datasetIndex)).toEqual(base.slice(0, 4));
    expect(samples.map((s) => s.label)).toEqual(base.slice(0, 4).map((i) => dataset.train.labels[i]));
    expect(Buffer.from(samples[0].pngBase64, 'base64').subarray(1, 4).toString()).toBe('PNG');
  });

  it('falls back to test samples when there is no validation split', () => {
    const prepared = prepareData(dataset, config({ validationFraction: 0 }), 1);
    expect(prepared.validation.count).toBe(0);
    expect(prepared.train.count).toBe(60_000);
    expect(prepared.sampleSplit.name).toBe('test');
    expect(prepared.sampleIndices(300)).toHaveLength(300);
    expect(prepared.sampleIndices(300).every((position, i) => position === i)).toBe(true);
  });

  it('batches real images: no augmentation by default for clothing, normalised values, whole epoch covered', () => {
    const prepared = prepareData(dataset, config({ trainSubset: 640 }), 2);
    expect(prepared.augmentation).toEqual({ crop: false, flip: false, padding: 0 });
    const epoch = trainEpoch(prepared, { batchSize: 64, rng: new Rng(11) });
    expect(epoch.batchCount).toBe(10);
    const seen: number[] = [];
    for (const batch of epoch) {
      expect(batch.shape).toEqual([64, 28, 28, 1]);
      expect(batch.x.length).toBe(64 * 784);
      seen.push(...Array.from(batch.y));
    }
    const expected = Array.from(prepared.train.indices).map((i) => dataset.train.labels[i]).sort();
    expect(seen.sort()).toEqual(expected);
    const first = epoch.batch(0);
    const item = prepared.train.indices[epoch.order[0]];
    const { mean, std } = prepared.normalization;
    expect(first.x[300]).toBeCloseTo((dataset.train.images[item * 784 + 300] / 255 - mean[0]) / std[0], 5);
    let total = 0;
    let count = 0;
    for (const batch of evalBatches(prepared, prepared.validation, 100)) {
      for (const v of batch.x) total += v;
      count += batch.x.length;
    }
    expect(Math.abs(total / count)).toBeLessThan(0.05); // validation is normalised with training statistics: near zero mean
  });
});
