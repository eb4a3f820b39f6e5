// What each dataset is, as data: its name, its label, its file format, its input
// shape and classes when they are fixed, and whether it needs a path. Pure, so the
// run-config schema, the service, the CLI and the UI all derive from this one table;
// how a format is found, decoded, staged and previewed on disk is the engine's
// (engine/data/formats/, one module per format, registered in formats/registry.ts).

export const DATASETS = ['mnist', 'fashion-mnist', 'cifar10', 'image-folder'] as const;
export type DatasetName = (typeof DATASETS)[number];

/** The on-disk formats; several datasets may share one (MNIST and Fashion-MNIST are both IDX). */
export const DATASET_FORMATS = ['idx', 'cifar10', 'image-folder'] as const;
export type DatasetFormatName = (typeof DATASET_FORMATS)[number];

export const MNIST_CLASS_NAMES: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
export const FASHION_MNIST_CLASS_NAMES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];
export const CIFAR10_CLASS_NAMES: readonly string[] = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
];

export interface DatasetSpec {
  name: DatasetName;
  /** How people write it ("Fashion-MNIST"). */
  label: string;
  format: DatasetFormatName;
  /** [height, width, channels] when fixed by the dataset; null when the config decides (image-folder: imageSize). */
  inputShape: readonly [number, number, number] | null;
  /** The classes when fixed by the dataset; null when read from disk (one sub-folder per class). */
  classNames: readonly string[] | null;
  /** Read in place from dataset.path (nothing to download or import into the cache). */
  needsPath: boolean;
  /** Natural photographs: 'auto' augmentation crops and flips them (a mirrored digit is another picture). */
  naturalImages: boolean;
  /** Images in the published training and test splits (a download is checked against them); null when read from disk. */
  splitSizes: { train: number; test: number } | null;
}

export const DATASET_SPECS: Readonly<Record<DatasetName, DatasetSpec>> = {
  mnist: {
    name: 'mnist',
    label: 'MNIST',
    format: 'idx',
    inputShape: [28, 28, 1],
    classNames: MNIST_CLASS_NAMES,
    needsPath: false,
    naturalImages: false,
    splitSizes: { train: 60_000, test: 10_000 },
  },
  'fashion-mnist': {
    name: 'fashion-mnist',
    label: 'Fashion-MNIST',
    format: 'idx',
    inputShape: [28, 28, 1],
    classNames: FASHION_MNIST_CLASS_NAMES,
    needsPath: false,
    naturalImages: false,
    splitSizes: { train: 60_000, test: 10_000 },
  },
  cifar10: {
    name: 'cifar10',
    label: 'CIFAR-10',
    format: 'cifar10',
    inputShape: [32, 32, 3],
    classNames: CIFAR10_CLASS_NAMES,
    needsPath: false,
    naturalImages: true,
    splitSizes: { train: 50_000, test: 10_000 },
  },
  'image-folder': {
    name: 'image-folder',
    label: 'Image folder',
    format: 'image-folder',
    inputShape: null,
    classNames: null,
    needsPath: true,
    naturalImages: true,
    splitSizes: null,
  },
};

/** The datasets that live in the cache: downloaded or imported, then found by name. */
export const CACHED_DATASETS: readonly DatasetName[] = DATASETS.filter((name) => !DATASET_SPECS[name].needsPath);

export function isDatasetName(value: unknown): value is DatasetName {
  return typeof value === 'string' && (DATASETS as readonly string[]).includes(value);
}

/** The side an image folder's images are resized to unless dataset.imageSize says otherwise. */
export const DEFAULT_IMAGE_SIZE = 32;

/** dataset.imageSize as a dataset has it: a fixed dataset's own side, an image folder's default. */
export function defaultImageSize(name: DatasetName): number {
  return DATASET_SPECS[name].inputShape?.[0] ?? DEFAULT_IMAGE_SIZE;
}

/** The input shape a config gives this dataset: the dataset's own, or imageSize × imageSize × 3 for image folders. */
export function datasetInputShape(config: { name: DatasetName; imageSize: number }): [number, number, number] {
  const fixed = DATASET_SPECS[config.name].inputShape;
  return fixed ? [fixed[0], fixed[1], fixed[2]] : [config.imageSize, config.imageSize, 3];
}

/**
 * The training images a run can train on: the training split less the share
 * dataset.validationFraction holds out of it. engine/data/prepare.ts splits by it,
 * and the service refuses a larger dataset.trainSubset by it.
 */
export function trainableCount(trainImages: number, validationFraction: number): number {
  return trainImages - Math.round(trainImages * validationFraction);
}

type SubsetConfig = { name: DatasetName; trainSubset?: number; testSubset?: number; validationFraction: number };

/**
 * dataset.trainSubset and testSubset against the dataset's split sizes: a subset
 * larger than the split would otherwise train or test on fewer images than the
 * stored config says. An image folder's splits are counted only when it is read,
 * so the service cannot check it here; engine/data/prepare.ts does, with
 * splitSubsetIssues, when the run loads it.
 */
export function subsetIssues(config: SubsetConfig): { path: string; message: string }[] {
  const { splitSizes } = DATASET_SPECS[config.name];
  return splitSizes ? splitSubsetIssues(config, splitSizes) : [];
}

/** subsetIssues against split sizes known some other way (an image folder's, once read). */
export function splitSubsetIssues(config: SubsetConfig, splitSizes: { train: number; test: number }): { path: string; message: string }[] {
  const { label } = DATASET_SPECS[config.name];
  const issues: { path: string; message: string }[] = [];
  const trainable = trainableCount(splitSizes.train, config.validationFraction);
  if (config.trainSubset !== undefined && config.trainSubset > trainable) {
    const heldOut = splitSizes.train - trainable;
    const why = heldOut > 0 ? ` (${splitSizes.train}, less the ${heldOut} that dataset.validationFraction ${config.validationFraction} holds out for validation)` : '';
    issues.push({ path: 'dataset.trainSubset', message: `${config.trainSubset} is more than ${label}'s ${trainable} training images${why}` });
  }
  if (config.testSubset !== undefined && config.testSubset > splitSizes.test) {
    issues.push({ path: 'dataset.testSubset', message: `${config.testSubset} is more than ${label}'s ${splitSizes.test} test images` });
  }
  return issues;
}
