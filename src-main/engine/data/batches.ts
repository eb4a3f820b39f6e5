// Batches for training and evaluation, filled straight from the uint8 HWC images
// through a 256-entry lookup table per channel (normalisation folded in), so a batch
// of 64 CIFAR images is a few hundred thousand table reads — no per-pixel tf ops.
//
// Determinism and checkpoints: trainEpoch() draws from the caller's Rng immediately,
// exactly once per epoch — a permutation of the split, then one 32-bit seed for
// augmentation. Batch k's augmentation comes from a generator derived from that seed
// and k, so every batch is a pure function of (Rng state at trainEpoch, k). Saving
// the Rng state before trainEpoch and the batch number is enough to resume mid-epoch.
import { Rng } from '../random';
import type { PreparedData } from './prepare';
import { NO_AUGMENTATION } from './augment';
import type { Augmentation, Batch, DataSplit, NormalizationStats } from './types';

/** lut[ch * 256 + v] = (v / 255 - mean[ch]) / std[ch] */
export function normalizationTable(stats: NormalizationStats): Float32Array {
  const channels = stats.mean.length;
  const table = new Float32Array(channels * 256);
  for (let ch = 0; ch < channels; ch++) {
    for (let v = 0; v < 256; v++) table[ch * 256 + v] = (v / 255 - stats.mean[ch]) / stats.std[ch];
  }
  return table;
}

interface Filler {
  height: number;
  width: number;
  channels: number;
  /** One 256-entry table per channel (views on normalizationTable). */
  tables: Float32Array[];
}

/** Writes the zero-padding pixel (value 0 before normalisation, as torchvision pads) over pixels [from, to) of a row. */
function fillPadding(f: Filler, out: Float32Array, rowStart: number, from: number, to: number): void {
  const c = f.channels;
  for (let ch = 0; ch < c; ch++) {
    const value = f.tables[ch][0];
    for (let x = from; x < to; x++) out[rowStart + x * c + ch] = value;
  }
}

/**
 * Writes one image into `out` at `offset`: output pixel (y, x) reads source pixel
 * (y + dy, flip ? width-1-x+dx : x + dx); pixels whose source falls outside are padding.
 * The columns with a source are one contiguous run, copied with a fixed stride.
 */
function fillImage(f: Filler, out: Float32Array, offset: number, src: Uint8Array, srcOffset: number, dx: number, dy: number, flip: boolean): void {
  const { height, width, channels: c, tables } = f;
  const row = width * c;
  const x0 = Math.max(0, flip ? dx : -dx);
  const x1 = Math.min(width, flip ? width + dx : width - dx);
  const step = flip ? -c : c;
  for (let y = 0; y < height; y++) {
    const sy = y + dy;
    const outRow = offset + y * row;
    if (sy < 0 || sy >= height || x1 <= x0) {
      fillPadding(f, out, outRow, 0, width);
      continue;
    }
    fillPadding(f, out, outRow, 0, x0);
    fillPadding(f, out, outRow, x1, width);
    const firstSource = (flip ? width - 1 - x0 : x0) + dx;
    let s = srcOffset + sy * row + firstSource * c;
    let o = outRow + x0 * c;
    if (c === 3) {
      const [t0, t1, t2] = tables;
      for (let x = x0; x < x1; x++, o += 3, s += step) {
        out[o] = t0[src[s]];
        out[o + 1] = t1[src[s + 1]];
        out[o + 2] = t2[src[s + 2]];
      }
    } else if (c === 1) {
      const t0 = tables[0];
      for (let x = x0; x < x1; x++, o++, s += step) out[o] = t0[src[s]];
    } else {
      for (let x = x0; x < x1; x++, o += c, s += step) for (let ch = 0; ch < c; ch++) out[o + ch] = tables[ch][src[s + ch]];
    }
  }
}

/** Straight copy through the tables: evaluation and un-augmented training. */
function fillPlain(f: Filler, out: Float32Array, offset: number, src: Uint8Array, srcOffset: number): void {
  const n = f.height * f.width * f.channels;
  const { channels: c, tables } = f;
  if (c === 1) {
    const t0 = tables[0];
    for (let i = 0; i < n; i++) out[offset + i] = t0[src[srcOffset + i]];
  } else if (c === 3) {
    const [t0, t1, t2] = tables;
    for (let i = 0; i < n; i += 3) {
      out[offset + i] = t0[src[srcOffset + i]];
      out[offset + i + 1] = t1[src[srcOffset + i + 1]];
      out[offset + i + 2] = t2[src[srcOffset + i + 2]];
    }
  } else {
    for (let i = 0; i < n; i += c) for (let ch = 0; ch < c; ch++) out[offset + i + ch] = tables[ch][src[srcOffset + i + ch]];
  }
}

function makeFiller(prepared: PreparedData): Filler {
  const [height, width, channels] = prepared.inputShape;
  const table = normalizationTable(prepared.normalization);
  const tables = Array.from({ length: channels }, (_, ch) => table.subarray(ch * 256, (ch + 1) * 256));
  return { height, width, channels, tables };
}

/** positions: which items of the split, in batch order; null = the split's own order. */
function gather(f: Filler, data: DataSplit, positions: ArrayLike<number> | null, from: number, to: number, augment: Augmentation, rng: Rng | null): Batch {
  const count = to - from;
  const imageSize = f.height * f.width * f.channels;
  const x = new Float32Array(count * imageSize);
  const y = new Int32Array(count);
  const { images, labels } = data.source;
  for (let b = 0; b < count; b++) {
    const item = data.indices[positions ? positions[from + b] : from + b];
    y[b] = labels[item];
    if (rng && (augment.crop || augment.flip)) {
      const pad = augment.padding;
      const dx = augment.crop ? rng.int(2 * pad + 1) - pad : 0;
      const dy = augment.crop ? rng.int(2 * pad + 1) - pad : 0;
      const flip = augment.flip && rng.next() < 0.5;
      fillImage(f, x, b * imageSize, images, item * imageSize, dx, dy, flip);
    } else {
      fillPlain(f, x, b * imageSize, images, item * imageSize);
    }
  }
  return { x, y, count, shape: [count, f.height, f.width, f.channels] };
}

export function batchCount(items: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(items / batchSize) : Math.ceil(items / batchSize);
}

export interface TrainEpochOptions {
  batchSize: number;
  /** The caller's generator: drawn from once, here, per epoch (see the file comment). */
  rng: Rng;
  /** Default: prepared.train. */
  split?: DataSplit;
  /** Default: prepared.augmentation (config.augment resolved). */
  augmentation?: Augmentation;
  /** Skip a last batch smaller than batchSize (default false). */
  dropLast?: boolean;
}

export interface TrainEpoch extends Iterable<Batch> {
  batchCount: number;
  /** The shuffled order: positions in the split. */
  order: Int32Array;
  /** Batch k (0-based); the same batch every time it is asked for. */
  batch(k: number): Batch;
  /** Batches k, k+1, ... — for resuming mid-epoch. */
  from(k: number): IterableIterator<Batch>;
}

/** One shuffled, augmented pass over a split. */
export function trainEpoch(prepared: PreparedData, options: TrainEpochOptions): TrainEpoch {
  const { batchSize, rng } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  const data = options.split ?? prepared.train;
  const augmentation = options.augmentation ?? prepared.augmentation;
  const order = rng.permutation(data.count);
  const augmentSeed = rng.nextUint32();
  const count = batchCount(data.count, batchSize, options.dropLast);
  const filler = makeFiller(prepared);
  const batch = (k: number): Batch => {
    if (!Number.isInteger(k) || k < 0 || k >= count) throw new Error(`batch ${k} is out of range: this epoch has batches 0..${count - 1}`);
    const from = k * batchSize;
    const to = Math.min(from + batchSize, data.count);
    return gather(filler, data, order, from, to, augmentation, Rng.derive(augmentSeed, `batch:${k}`));
  };
  function* from(k: number): IterableIterator<Batch> {
    for (let i = k; i < count; i++) yield batch(i);
  }
  return { batchCount: count, order, batch, from, [Symbol.iterator]: () => from(0) };
}

/** Every image of a split once, in split order, without augmentation. */
export function* evalBatches(prepared: PreparedData, data: DataSplit, batchSize: number): IterableIterator<Batch> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  const filler = makeFiller(prepared);
  for (let from = 0; from < data.count; from += batchSize) {
    yield gather(filler, data, null, from, Math.min(from + batchSize, data.count), NO_AUGMENTATION, null);
  }
}

/** The images at the given positions of a split, un-augmented (e.g. the fixed samples). */
export function gatherBatch(prepared: PreparedData, data: DataSplit, positions: ArrayLike<number>): Batch {
  return gather(makeFiller(prepared), data, positions, 0, positions.length, NO_AUGMENTATION, null);
}
