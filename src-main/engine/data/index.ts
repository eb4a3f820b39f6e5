// The datasets API of the engine: find, download, import, load, preview, split,
// batch. Each on-disk format is one module in formats/ (registry.ts lists them);
// what each dataset is (classes, shape, format) is declared in shared/datasets.ts.
//
//   const dataset = await loadDataset(config.dataset, { cacheDir });
//   const data = prepareData(dataset, config.dataset, config.seed);
//   for (const batch of trainEpoch(data, { batchSize, rng })) { tf.tensor4d(batch.x, batch.shape) ... }
//   for (const batch of evalBatches(data, data.validation, 256)) { ... }
//   const samples = sampleImages(data, config.sampleCount);   // SampleImage[] for the 'started' message
export type {
  Augmentation,
  Batch,
  DataSplit,
  DatasetProgress,
  ImageSet,
  LoadedDataset,
  NormalizationStats,
  SplitName,
} from './types';
export { DatasetError } from './errors';
export { CIFAR10_CLASS_NAMES, FASHION_MNIST_CLASS_NAMES, MNIST_CLASS_NAMES } from '../../shared/datasets';
export { DOWNLOAD_SOURCES, SYSTEM_DATASET_ROOTS, type DownloadFile, type DownloadSource } from './catalog';
export type { DataLocation, DatasetFormat, DatasetPreview, Decoded } from './formats/format';
export { DATASET_FORMAT_MODULES, formatOf, previewDataset } from './formats/registry';
export { fingerprint } from './fingerprint';
export { datasetStatus, locateDataset, type LocateOptions } from './locate';
export { downloadDataset, type DownloadOptions } from './download';
export { importDataset, type ImportOptions } from './import';
export { loadDataset, type LoadOptions } from './load';
export { prepareData, stratifiedOrder, channelStats, MIN_SUBSET_VALIDATION, type PreparedData } from './prepare';
export { resolveAugmentation, cropPadding, NO_AUGMENTATION, type AugmentMode } from './augment';
export {
  batchCount,
  evalBatches,
  gatherBatch,
  normalizationTable,
  trainEpoch,
  type TrainEpoch,
  type TrainEpochOptions,
} from './batches';
export { encodeImagePng } from './png';
export { sampleImages } from './samples';
