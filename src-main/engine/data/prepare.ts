// prepareData: turns a loaded dataset into the splits a run trains, validates and
// tests on, plus the normalisation statistics and the fixed sample set.
//
// Every split is a prefix of a class-stratified ordering (see stratifiedOrder),
// which gives three properties the UI relies on:
// - the validation set for a given seed is the same whatever trainSubset is, and
//   its first images are the same whatever validationFraction is;
// - the ordering starts with the dataset's sample pool, the same images for every
//   seed (a constant-seed ordering), then the rest in the run's seeded order; so the
//   sample images (the first N of the validation split) are the same for every run
//   of the dataset, whatever its seed, kernel or sweep, and never trained on;
// - any prefix holds the classes in their dataset proportions, so small subsets and
//   the sample grid are balanced.
import { splitSubsetIssues, trainableCount } from '../../shared/datasets';
import type { DatasetInfo } from '../../shared/progress';
import { MAX_SAMPLE_COUNT, type DatasetConfig } from '../../shared/run-config';
import { Rng } from '../random';
import { resolveAugmentation } from './augment';
import { DatasetError } from './errors';
import type { Augmentation, DataSplit, ImageSet, LoadedDataset, NormalizationStats } from './types';

/** A trainSubset shrinks validation in proportion (a quick run should validate quickly), but never below this, nor below the sample pool. */
export const MIN_SUBSET_VALIDATION = 256;
/** The test subset is drawn with this constant seed, so runs with different seeds are tested on the same images. */
const TEST_ORDER_SEED = 0;
/** The sample pool is drawn with this constant seed, so runs with different seeds show the same sample images. */
const SAMPLE_POOL_SEED = 0;

export interface PreparedData {
  dataset: LoadedDataset;
  inputShape: [number, number, number];
  classNames: string[];
  train: DataSplit;
  validation: DataSplit;
  test: DataSplit;
  /** Applied by the batch iterators; mean 0 / std 1 when config.normalize is false. */
  normalization: NormalizationStats;
  /** config.augment with 'auto' resolved for this dataset. */
  augmentation: Augmentation;
  /** The split the fixed samples come from: validation, or test when there is no validation split. */
  sampleSplit: DataSplit;
  /** Positions in sampleSplit of the first `count` fixed samples (fewer when the split is smaller). */
  sampleIndices(count: number): number[];
  /** What a run reports about its data ('started' message, DatasetInfo). */
  info(): DatasetInfo;
}

/**
 * All items of `labels` (but those `skip` marks), in an order whose every prefix
 * is (nearly) stratified: each class is shuffled, its k-th item gets the key
 * (k + u) / classSize with u uniform in [0, 1), and items are sorted by key — a
 * seeded, randomised round-robin.
 */
export function stratifiedOrder(labels: Uint8Array, rng: Rng, skip?: Uint8Array): Int32Array {
  const byClass = new Map<number, number[]>();
  let count = 0;
  for (let i = 0; i < labels.length; i++) {
    if (skip?.[i]) continue;
    let members = byClass.get(labels[i]);
    if (!members) byClass.set(labels[i], (members = []));
    members.push(i);
    count++;
  }
  // Sort packed numbers natively instead of calling a comparator 10^6 times: the high
  // bits hold the key quantised, the low bits the item, so ties break by item and
  // the item is read back from the sorted value exactly (both fit in 52 bits).
  const indexBits = Math.max(1, Math.ceil(Math.log2(labels.length + 1)));
  const keyScale = 2 ** (52 - indexBits);
  const indexScale = 2 ** indexBits;
  const packed = new Float64Array(count);
  let slot = 0;
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = byClass.get(label)!;
    rng.shuffle(members);
    members.forEach((item, k) => {
      const key = Math.floor(((k + rng.next()) / members.length) * keyScale);
      packed[slot++] = key * indexScale + item;
    });
  }
  packed.sort();
  const order = new Int32Array(count);
  for (let i = 0; i < order.length; i++) order[i] = packed[i] % indexScale;
  return order;
}

function split(name: DataSplit['name'], source: ImageSet, indices: Int32Array): DataSplit {
  return { name, source, indices, count: indices.length };
}

/** Per-channel mean and standard deviation over the split's images, in pixel/255 units. */
export function channelStats(data: DataSplit, channels: number): NormalizationStats {
  // A histogram of byte values per channel: one increment per pixel, exact, and the
  // moments follow from 256 sums (about 10× faster than accumulating squares).
  const histogram = new Float64Array(channels * 256);
  const { images } = data.source;
  const imageBytes = images.length / Math.max(1, data.source.count);
  for (let n = 0; n < data.count; n++) {
    const start = data.indices[n] * imageBytes;
    const end = start + imageBytes;
    if (channels === 1) {
      for (let p = start; p < end; p++) histogram[images[p]]++;
    } else {
      for (let p = start; p < end; p += channels) {
        for (let ch = 0; ch < channels; ch++) histogram[ch * 256 + images[p + ch]]++;
      }
    }
  }
  const mean: number[] = [];
  const std: number[] = [];
  for (let ch = 0; ch < channels; ch++) {
    let pixels = 0;
    let sum = 0;
    let sumSquares = 0;
    for (let v = 0; v < 256; v++) {
      const n = histogram[ch * 256 + v];
      pixels += n;
      sum += n * v;
      sumSquares += n * v * v;
    }
    const m = pixels > 0 ? sum / pixels : 0;
    const variance = pixels > 0 ? Math.max(0, sumSquares / pixels - m * m) : 0;
    mean.push(m / 255);
    // A constant channel would divide by zero; leave it merely centred.
    std.push(variance > 0 ? Math.sqrt(variance) / 255 : 1);
  }
  return { mean, std };
}

/**
 * The training file's ordering for a seed: the dataset's sample pool first (the
 * first `poolSize` items of a constant-seed stratified ordering, the same for
 * every seed), then every other item in the seed's stratified order.
 */
export function orderWithSamplePool(labels: Uint8Array, seed: number, poolSize: number): Int32Array {
  const rng = Rng.derive(seed, 'data:validation-order');
  if (poolSize === 0) return stratifiedOrder(labels, rng);
  const pool = stratifiedOrder(labels, Rng.derive(SAMPLE_POOL_SEED, 'data:sample-pool')).subarray(0, poolSize);
  const inPool = new Uint8Array(labels.length);
  for (const item of pool) inPool[item] = 1;
  const order = new Int32Array(labels.length);
  order.set(pool);
  order.set(stratifiedOrder(labels, rng, inPool), pool.length);
  return order;
}

export function prepareData(dataset: LoadedDataset, config: DatasetConfig, seed: number): PreparedData {
  // The service checks the built-in datasets' subsets up front; an image folder's splits are counted only now.
  const issues = splitSubsetIssues(config, { train: dataset.train.count, test: dataset.test.count });
  if (issues.length) throw new DatasetError(`${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}; lower it or leave it out to use the whole split`, dataset.source);
  const channels = dataset.inputShape[2];
  const total = dataset.train.count;
  const fullValidation = total - trainableCount(total, config.validationFraction);
  // Room for the most samples a run may show, rounded up to whole rounds of the classes so the
  // pool and the splits after it stay exactly stratified; a trainSubset shrinks validation to no less.
  const classes = Math.max(1, dataset.classNames.length);
  const poolSize = Math.min(fullValidation, Math.ceil(MAX_SAMPLE_COUNT / classes) * classes);
  const order = orderWithSamplePool(dataset.train.labels, seed, poolSize);
  const trainPool = order.subarray(fullValidation);
  const trainCount = config.trainSubset ?? trainPool.length;
  let validationCount = fullValidation;
  if (config.trainSubset !== undefined && config.validationFraction < 1) {
    const proportional = Math.ceil((trainCount * config.validationFraction) / (1 - config.validationFraction));
    validationCount = Math.min(fullValidation, Math.max(proportional, MIN_SUBSET_VALIDATION, poolSize));
  }
  const train = split('train', dataset.train, trainPool.slice(0, trainCount));
  const validation = split('validation', dataset.train, order.slice(0, validationCount));

  const testOrder = stratifiedOrder(dataset.test.labels, Rng.derive(TEST_ORDER_SEED, 'data:test-order'));
  const test = split('test', dataset.test, testOrder.slice(0, config.testSubset ?? testOrder.length));

  const normalization: NormalizationStats = config.normalize
    ? channelStats(train, channels)
    : { mean: new Array<number>(channels).fill(0), std: new Array<number>(channels).fill(1) };
  const augmentation = resolveAugmentation(config.augment, dataset.name, dataset.inputShape);
  const sampleSplit = validation.count > 0 ? validation : test;

  return {
    dataset,
    inputShape: dataset.inputShape,
    classNames: dataset.classNames,
    train,
    validation,
    test,
    normalization,
    augmentation,
    sampleSplit,
    sampleIndices(count: number): number[] {
      return Array.from({ length: Math.max(0, Math.min(count, sampleSplit.count)) }, (_, i) => i);
    },
    info(): DatasetInfo {
      return {
        name: dataset.name,
        fingerprint: dataset.fingerprint,
        inputShape: dataset.inputShape,
        classNames: dataset.classNames,
        trainSize: train.count,
        validationSize: validation.count,
        testSize: test.count,
        mean: normalization.mean,
        std: normalization.std,
      };
    },
  };
}
