// The datasets API of the engine: find, download, import, load, split, batch.
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
export {
  CIFAR10_CLASS_NAMES,
  DOWNLOAD_SOURCES,
  FASHION_MNIST_CLASS_NAMES,
  MNIST_CLASS_NAMES,
  SYSTEM_DATASET_ROOTS,
  type DownloadFile,
  type DownloadSource,
} from './catalog';
export { datasetStatus, locateDataset, type DataLocation, type LocateOptions } from './locate';
export { downloadDataset, type DownloadOptions } from './download';
export { importDataset, type ImportOptions } from './import';
export { clearDatasetCache, loadDataset, type LoadOptions } from './load';
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
