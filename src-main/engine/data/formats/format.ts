// What a dataset format is to the engine: one object per on-disk format (IDX,
// CIFAR-10 binary, an image folder) that finds a copy, decodes it, stages it into
// the cache and previews it. Adding a format is one new module implementing this
// interface plus its line in registry.ts and its row in shared/datasets.ts.
import { DATASET_SPECS, type DatasetFormatName, type DatasetName } from '../../../shared/datasets';
import type { ImageSet } from '../types';

/** Where a copy of a dataset is, as found by its format's locate(). */
export interface DataLocation {
  format: DatasetFormatName;
  /** The folder or archive the data is read from (what the user is told). */
  path: string;
  /** Every file decode() reads, in the format's own order; empty when the format lists them while decoding (image folders). */
  files: string[];
}

/** A dataset decoded into memory: uint8 HWC images and byte labels. */
export interface Decoded {
  classNames: string[];
  /** [height, width, channels] of one image. */
  inputShape: [number, number, number];
  train: ImageSet;
  test: ImageSet;
}

export interface DecodeOptions {
  /** Which dataset of the format (MNIST and Fashion-MNIST share IDX but not their class names). */
  name: DatasetName;
  /** Formats whose images vary in size resize them to imageSize × imageSize. */
  imageSize: number;
}

/** What the model preview needs, read without decoding any image. */
export interface DatasetPreview {
  inputShape: [number, number, number];
  classNames: string[];
}

export interface DatasetFormat {
  name: DatasetFormatName;
  /** What is at `path` in this format, or null when it holds no recognisable copy. */
  locate(path: string): Promise<DataLocation | null>;
  /** Why `path` holds no copy: what this format expects to find there (for an error naming the path). */
  expected(path: string): Promise<string>;
  /** Reads and checks every file; each error names the file and what was expected. */
  decode(location: DataLocation, options: DecodeOptions): Promise<Decoded>;
  /**
   * Writes the data into `staging` in the layout locate() finds in the cache; null for
   * formats that are read in place from dataset.path and never copied.
   */
  stage: ((location: DataLocation, staging: string) => Promise<void>) | null;
  /**
   * Input shape and class names without decoding images (the model preview): from the
   * dataset's declaration where they are fixed, else from `path` (dataset.path).
   */
  preview(options: DecodeOptions & { path?: string }): Promise<DatasetPreview>;
}

/** The preview of a dataset whose shape and classes are declared in shared/datasets.ts. */
export function declaredPreview(name: DatasetName): DatasetPreview {
  const { inputShape, classNames } = DATASET_SPECS[name];
  if (!inputShape || !classNames) throw new Error(`${name} declares no fixed input shape and classes: its format must read them from disk`);
  return { inputShape: [inputShape[0], inputShape[1], inputShape[2]], classNames: [...classNames] };
}
