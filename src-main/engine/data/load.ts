// loadDataset: finds a dataset's files, decodes them into memory (uint8, HWC) and
// fingerprints the result. Decoded datasets are kept per process, so the second
// load of the same data (the next run in a sweep, a resumed run) costs nothing.
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { DatasetConfig, DatasetName } from '../../shared/run-config';
import { CIFAR10_CLASS_NAMES, FASHION_MNIST_CLASS_NAMES, MNIST_CLASS_NAMES } from './catalog';
import { parseCifarBatches } from './cifar';
import { DatasetError } from './errors';
import { readCifarArchive } from './cifar-archive';
import { readDataFile } from './file-bytes';
import { joinIdx, parseIdxImages, parseIdxLabels } from './idx';
import { readImageFolder } from './image-folder';
import { locateDataset, locationFiles, requireAt, searchFolders, type DataLocation, type LocateOptions } from './locate';
import type { ImageSet, LoadedDataset } from './types';

export type LoadOptions = LocateOptions;

export type Decoded = Omit<LoadedDataset, 'fingerprint' | 'source' | 'name'>;

const IDX_CLASS_NAMES: Partial<Record<DatasetName, string[]>> = {
  mnist: MNIST_CLASS_NAMES,
  'fashion-mnist': FASHION_MNIST_CLASS_NAMES,
};

async function decodeIdx(location: Extract<DataLocation, { kind: 'idx' }>, classNames: string[]): Promise<Decoded> {
  const { files } = location;
  const [trainImagesBytes, trainLabelsBytes, testImagesBytes, testLabelsBytes] = await Promise.all([
    readDataFile(files.trainImages),
    readDataFile(files.trainLabels),
    readDataFile(files.testImages),
    readDataFile(files.testLabels),
  ]);
  const trainImages = parseIdxImages(trainImagesBytes, files.trainImages);
  const testImages = parseIdxImages(testImagesBytes, files.testImages);
  if (trainImages.rows !== testImages.rows || trainImages.columns !== testImages.columns) {
    throw new DatasetError(
      `test images are ${testImages.rows}×${testImages.columns}: expected ${trainImages.rows}×${trainImages.columns} like ${files.trainImages}`,
      files.testImages,
    );
  }
  const k = classNames.length;
  return {
    classNames,
    inputShape: [trainImages.rows, trainImages.columns, 1],
    train: joinIdx(trainImages, files.trainImages, parseIdxLabels(trainLabelsBytes, files.trainLabels, k), files.trainLabels),
    test: joinIdx(testImages, files.testImages, parseIdxLabels(testLabelsBytes, files.testLabels, k), files.testLabels),
  };
}

async function cifarFromArchive(archive: string): Promise<Decoded> {
  const { train, test } = await readCifarArchive(archive);
  return cifarDecoded(train, [test]);
}

async function cifarFromFolder(location: Extract<DataLocation, { kind: 'cifar-folder' }>): Promise<Decoded> {
  const read = async (file: string) => ({ name: file, bytes: await readDataFile(file) });
  return cifarDecoded(await Promise.all(location.train.map(read)), [await read(location.test)]);
}

function cifarDecoded(train: { name: string; bytes: Uint8Array }[], test: { name: string; bytes: Uint8Array }[]): Decoded {
  const k = CIFAR10_CLASS_NAMES.length;
  return { classNames: CIFAR10_CLASS_NAMES, inputShape: [32, 32, 3], train: parseCifarBatches(train, k), test: parseCifarBatches(test, k) };
}

export async function decodeLocation(name: DatasetName, location: DataLocation, imageSize: number): Promise<Decoded> {
  switch (location.kind) {
    case 'idx':
      return decodeIdx(location, IDX_CLASS_NAMES[name] ?? MNIST_CLASS_NAMES);
    case 'cifar-archive':
      return cifarFromArchive(location.archive);
    case 'cifar-folder':
      return cifarFromFolder(location);
    case 'image-folder': {
      const data = await readImageFolder(location.path, imageSize);
      return { ...data, inputShape: [imageSize, imageSize, 3] };
    }
  }
}

/**
 * A short hash of what the model will see: shape, class names, pixels and labels.
 * Hashing decoded bytes (55 MB for Fashion-MNIST: ~50 ms) rather than files makes a
 * dataset's fingerprint the same whether it came as .gz, raw, from Debian or a mirror.
 */
export function fingerprintOf(data: Decoded): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ inputShape: data.inputShape, classNames: data.classNames, train: data.train.count, test: data.test.count }));
  const parts: ImageSet[] = [data.train, data.test];
  for (const part of parts) {
    hash.update(part.images);
    hash.update(part.labels);
  }
  return hash.digest('hex').slice(0, 16);
}

async function resolveLocation(config: DatasetConfig, options: LoadOptions): Promise<DataLocation> {
  if (config.path) return requireAt(config.name, config.path);
  if (config.name === 'image-folder') {
    throw new DatasetError('dataset.path is required for image-folder: expected a folder with one sub-folder per class');
  }
  const found = await locateDataset(config.name, options);
  if (found) return found;
  throw new DatasetError(
    `${config.name} is not available: looked in ${searchFolders(config.name, options).join(', ')}; download or import it first`,
  );
}

/** Identifies the bytes behind a location cheaply (sizes and modification times), so an import invalidates the cache. */
async function fileSignature(location: DataLocation): Promise<string> {
  const signatures = await Promise.all(
    locationFiles(location).map(async (file) => {
      const info = await stat(file).catch(() => null);
      return info ? `${file}:${info.size}:${info.mtimeMs}` : `${file}:missing`;
    }),
  );
  return signatures.join('|');
}

/** One entry per dataset, place and size: a changed file replaces the entry instead of piling up copies. */
const memoryCache = new Map<string, { signature: string; loaded: Promise<LoadedDataset> }>();

export async function loadDataset(config: DatasetConfig, options: LoadOptions): Promise<LoadedDataset> {
  const location = await resolveLocation(config, options);
  const key = JSON.stringify([config.name, location.path, config.name === 'image-folder' ? config.imageSize : 0]);
  const signature = await fileSignature(location);
  const cached = memoryCache.get(key);
  if (cached?.signature === signature) return cached.loaded;
  const loaded = decodeLocation(config.name, location, config.imageSize).then((data) => ({
    name: config.name,
    ...data,
    fingerprint: fingerprintOf(data),
    source: location.path,
  }));
  memoryCache.set(key, { signature, loaded });
  // A failed load must not be remembered: the user may fix the files and retry.
  loaded.catch(() => {
    if (memoryCache.get(key)?.loaded === loaded) memoryCache.delete(key);
  });
  return loaded;
}

/** Drops every decoded dataset this process holds (tests; a long-lived service after an import). */
export function clearDatasetCache(): void {
  memoryCache.clear();
}
