// Batch iterators and augmentation on a generated CIFAR-10 dataset (real binary
// format, read through loadDataset), plus the PNG encoder for sample images.
import { join } from 'node:path';
import pngjs from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cropPadding,
  encodeImagePng,
  evalBatches,
  gatherBatch,
  loadDataset,
  normalizationTable,
  prepareData,
  resolveAugmentation,
  trainEpoch,
  type Batch,
  type LoadedDataset,
  type PreparedData,
} from '../../../../src-main/engine/data';
import { Rng } from '../../../../src-main/engine/random';
import { datasetConfigSchema } from '../../../../src-main/shared/run-config';
import { tempDir, writeCifarFolder, writeIdxDataset } from './fixtures';

const root = tempDir('batches');
let cifar: LoadedDataset;
let prepared: PreparedData;

beforeAll(async () => {
  writeCifarFolder(join(root.path, 'cifar'));
  const config = datasetConfigSchema.parse({ name: 'cifar10', path: join(root.path, 'cifar'), validationFraction: 0.2 });
  cifar = await loadDataset(config, { cacheDir: root.path, systemRoots: [] });
  prepared = prepareData(cifar, config, 4);
});
afterAll(root.remove);

const sameBatch = (a: Batch, b: Batch) => {
  expect(a.shape).toEqual(b.shape);
  expect(Array.from(a.y)).toEqual(Array.from(b.y));
  expect(Buffer.compare(Buffer.from(a.x.buffer), Buffer.from(b.x.buffer))).toBe(0);
};

/** The source image an augmented one was made from, as normalised floats: (y, x, ch) → value, with padding outside. */
function transformed(source: Uint8Array, table: Float32Array, dx: number, dy: number, flip: boolean): Float32Array {
  const out = new Float32Array(32 * 32 * 3);
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 32; x++) {
      const sx = (flip ? 31 - x : x) + dx;
      const sy = y + dy;
      for (let ch = 0; ch < 3; ch++) {
        const inside = sx >= 0 && sx < 32 && sy >= 0 && sy < 32;
        out[(y * 32 + x) * 3 + ch] = table[ch * 256 + (inside ? source[(sy * 32 + sx) * 3 + ch] : 0)];
      }
    }
  }
  return out;
}

describe('augmentation settings', () => {
  it("'auto' is crop + flip for natural images and nothing for digits and clothing", () => {
    expect(resolveAugmentation('auto', 'cifar10', [32, 32, 3])).toEqual({ crop: true, flip: true, padding: 4 });
    expect(resolveAugmentation('auto', 'image-folder', [64, 64, 3])).toEqual({ crop: true, flip: true, padding: 8 });
    expect(resolveAugmentation('auto', 'mnist', [28, 28, 1])).toEqual({ crop: false, flip: false, padding: 0 });
    expect(resolveAugmentation('auto', 'fashion-mnist', [28, 28, 1])).toEqual({ crop: false, flip: false, padding: 0 });
    expect(resolveAugmentation('flip', 'fashion-mnist', [28, 28, 1])).toEqual({ crop: false, flip: true, padding: 0 });
    expect(resolveAugmentation('crop', 'mnist', [28, 28, 1])).toEqual({ crop: true, flip: false, padding: 4 });
    expect(resolveAugmentation('none', 'cifar10', [32, 32, 3])).toEqual({ crop: false, flip: false, padding: 0 });
    expect(cropPadding([8, 8, 3])).toBe(1);
    expect(prepared.augmentation).toEqual({ crop: true, flip: true, padding: 4 });
  });
});

describe('training batches', () => {
  it('cover the split once per epoch in [B, h, w, c] batches, the last one partial', () => {
    expect(prepared.train.count).toBe(16);
    const epoch = trainEpoch(prepared, { batchSize: 6, rng: new Rng(1) });
    const batches = [...epoch];
    expect(batches.map((b) => b.count)).toEqual([6, 6, 4]);
    expect(batches[2].shape).toEqual([4, 32, 32, 3]);
    expect(batches[2].x.length).toBe(4 * 3072);
    const labels = batches.flatMap((b) => Array.from(b.y)).sort();
    expect(labels).toEqual(Array.from(prepared.train.indices).map((i) => cifar.train.labels[i]).sort());
    expect([...trainEpoch(prepared, { batchSize: 6, rng: new Rng(1), dropLast: true })].map((b) => b.count)).toEqual([6, 6]);
  });

  it('are identical for the same Rng state and leave the Rng in the same state', () => {
    const rngA = new Rng(42);
    const rngB = new Rng([...rngA.getState()] as ReturnType<Rng['getState']>);
    const a = [...trainEpoch(prepared, { batchSize: 5, rng: rngA })];
    const b = [...trainEpoch(prepared, { batchSize: 5, rng: rngB })];
    a.forEach((batch, k) => sameBatch(batch, b[k]));
    expect(rngA.getState()).toEqual(rngB.getState());
    // The next epoch differs (new order, new augmentation).
    const next = trainEpoch(prepared, { batchSize: 5, rng: rngA }).batch(0);
    expect(Buffer.compare(Buffer.from(next.x.buffer), Buffer.from(a[0].x.buffer))).not.toBe(0);
  });

  it('can resume mid-epoch: batch k is the same whether iterated to or asked for', () => {
    const state = new Rng(9).getState();
    const all = [...trainEpoch(prepared, { batchSize: 4, rng: new Rng(state) })];
    const resumed = trainEpoch(prepared, { batchSize: 4, rng: new Rng(state) });
    sameBatch(resumed.batch(2), all[2]);
    const rest = [...resumed.from(2)];
    expect(rest).toHaveLength(2);
    rest.forEach((batch, k) => sameBatch(batch, all[2 + k]));
    expect(() => resumed.batch(4)).toThrow('batch 4 is out of range: this epoch has batches 0..3');
    expect(() => trainEpoch(prepared, { batchSize: 0, rng: new Rng(1) })).toThrow('batchSize must be a positive integer, got 0');
  });

  it('crop with zero padding and flip: every image is its source shifted by at most 4 pixels, maybe mirrored', () => {
    const table = normalizationTable(prepared.normalization);
    const transforms = new Set<string>();
    for (let seed = 0; seed < 3; seed++) {
      const epoch = trainEpoch(prepared, { batchSize: 16, rng: new Rng(seed) });
      const batch = epoch.batch(0);
      for (let b = 0; b < batch.count; b++) {
        const item = prepared.train.indices[epoch.order[b]];
        const source = cifar.train.images.subarray(item * 3072, (item + 1) * 3072);
        const image = batch.x.subarray(b * 3072, (b + 1) * 3072);
        expect(batch.y[b]).toBe(cifar.train.labels[item]);
        let match: string | null = null;
        for (let dx = -4; dx <= 4 && !match; dx++) {
          for (let dy = -4; dy <= 4 && !match; dy++) {
            for (const flip of [false, true]) {
              const expected = transformed(source, table, dx, dy, flip);
              if (expected.every((v, i) => v === image[i])) match = `${dx},${dy},${flip}`;
            }
          }
        }
        expect(match, `batch image ${b} is no crop/flip of item ${item}`).not.toBeNull();
        transforms.add(match!);
      }
    }
    // 48 draws from 162 transforms: both flips and several shifts occur.
    expect(transforms.size).toBeGreaterThan(10);
    expect([...transforms].some((t) => t.endsWith('true'))).toBe(true);
    expect([...transforms].some((t) => t.endsWith('false'))).toBe(true);
  });

  it('without augmentation are the normalised source pixels exactly', () => {
    const epoch = trainEpoch(prepared, { batchSize: 16, rng: new Rng(3), augmentation: { crop: false, flip: false, padding: 0 } });
    const batch = epoch.batch(0);
    const { mean, std } = prepared.normalization;
    for (const [b, offset] of [[0, 0], [5, 1000], [15, 3071]]) {
      const item = prepared.train.indices[epoch.order[b]];
      const ch = offset % 3;
      expect(batch.x[b * 3072 + offset]).toBeCloseTo((cifar.train.images[item * 3072 + offset] / 255 - mean[ch]) / std[ch], 5);
    }
  });
});

describe('evaluation batches', () => {
  it('go through a split in order, without augmentation or shuffling', () => {
    const batches = [...evalBatches(prepared, prepared.test, 4)];
    expect(batches.map((b) => b.count)).toEqual([4, 2]);
    const labels = batches.flatMap((b) => Array.from(b.y));
    expect(labels).toEqual(Array.from(prepared.test.indices).map((i) => cifar.test.labels[i]));
    const direct = gatherBatch(prepared, prepared.test, [0, 1, 2, 3]);
    sameBatch(direct, batches[0]);
    expect([...evalBatches(prepared, prepared.validation, 100)].map((b) => b.count)).toEqual([4]);
  });
});

describe('sample images as PNG', () => {
  it('encodes the raw RGB pixels', () => {
    const decoded = pngjs.PNG.sync.read(Buffer.from(encodeImagePng(cifar.train, cifar.inputShape, 7), 'base64'));
    expect([decoded.width, decoded.height]).toEqual([32, 32]);
    for (const p of [0, 100, 1023]) {
      expect(Array.from(decoded.data.subarray(p * 4, p * 4 + 3))).toEqual(Array.from(cifar.train.images.subarray(7 * 3072 + p * 3, 7 * 3072 + p * 3 + 3)));
    }
    expect(() => encodeImagePng(cifar.train, cifar.inputShape, 20)).toThrow('image 20 is out of range: expected 0..19');
  });

  it('keeps grayscale images grayscale', async () => {
    writeIdxDataset(join(root.path, 'mnist'), { train: 12, test: 10 });
    const mnist = await loadDataset(datasetConfigSchema.parse({ name: 'mnist', path: join(root.path, 'mnist') }), { cacheDir: root.path, systemRoots: [] });
    const bytes = Buffer.from(encodeImagePng(mnist.train, mnist.inputShape, 3), 'base64');
    expect(bytes[25]).toBe(0); // IHDR colour type 0: grayscale
    const decoded = pngjs.PNG.sync.read(bytes);
    expect(decoded.data[4 * 200]).toBe(mnist.train.images[3 * 784 + 200]);
  });
});
