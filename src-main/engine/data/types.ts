// The in-memory shapes of a dataset, shared by the readers, the splitter and the
// batch iterators. Images are uint8 in HWC order (row-major, channels last), so a
// batch is filled by plain array copies through a lookup table.
import type { DatasetName } from '../../shared/datasets';

/** One part of a dataset as read from disk: `count` images of h×w×c bytes, back to back. */
export interface ImageSet {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export interface LoadedDataset {
  name: DatasetName;
  classNames: string[];
  /** [height, width, channels] of one image. */
  inputShape: [number, number, number];
  train: ImageSet;
  test: ImageSet;
  /** Short hash of the decoded images and labels: identical data gives the same value wherever it came from. */
  fingerprint: string;
  /** The folder or archive the data was read from. */
  source: string;
}

export type SplitName = 'train' | 'validation' | 'test';

/** A view on an ImageSet: which of its images belong to the split, in a fixed order. */
export interface DataSplit {
  name: SplitName;
  /** The dataset part the indices point into (train for train/validation, test for test). */
  source: ImageSet;
  indices: Int32Array;
  count: number;
}

/** Per-channel statistics in pixel/255 units; mean 0 and std 1 mean "only scale to [0, 1]". */
export interface NormalizationStats {
  mean: number[];
  std: number[];
}

export interface Augmentation {
  /** Random crop after zero padding of `padding` pixels on every side. */
  crop: boolean;
  flip: boolean;
  padding: number;
}

/** A batch ready for tf.tensor4d(x, [count, h, w, c]). */
export interface Batch {
  x: Float32Array;
  y: Int32Array;
  count: number;
  /** [count, h, w, c] */
  shape: [number, number, number, number];
}

/** Progress of a download or import: bytes across all files of the dataset. */
export interface DatasetProgress {
  name: DatasetName;
  receivedBytes: number;
  /** null while the size of some file is unknown. */
  totalBytes: number | null;
  phase: 'download' | 'verify' | 'install' | 'done';
  file: string;
}
