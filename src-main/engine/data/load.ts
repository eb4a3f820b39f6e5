// loadDataset: finds a dataset's files, decodes them into memory (uint8, HWC) with
// the dataset's format and fingerprints the result. Decoded datasets are kept per
// process, so the second load of the same data (the next run in a sweep, a resumed
// run) costs nothing; a changed file changes the entry's signature, so data replaced
// by an import is read again without anyone clearing a cache. (Image folders list
// their files while decoding, so their entry lasts as long as the process: one run.)
import { stat } from 'node:fs/promises';
import { DATASET_SPECS } from '../../shared/datasets';
import type { DatasetConfig } from '../../shared/run-config';
import { DatasetError } from './errors';
import { fingerprint } from './fingerprint';
import type { DataLocation } from './formats/format';
import { formatOf } from './formats/registry';
import { locateDataset, requireAt, searchFolders, type LocateOptions } from './locate';
import type { LoadedDataset } from './types';

export type LoadOptions = LocateOptions;

async function resolveLocation(config: DatasetConfig, options: LoadOptions): Promise<DataLocation> {
  if (config.path) return requireAt(config.name, config.path);
  if (DATASET_SPECS[config.name].needsPath) {
    throw new DatasetError(`dataset.path is required for ${config.name}: ${await formatOf(config.name).expected('')}`);
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
    location.files.map(async (file) => {
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
  const key = JSON.stringify([config.name, location.path, DATASET_SPECS[config.name].inputShape ? 0 : config.imageSize]);
  const signature = await fileSignature(location);
  const cached = memoryCache.get(key);
  if (cached?.signature === signature) return cached.loaded;
  const loaded = formatOf(config.name)
    .decode(location, { name: config.name, imageSize: config.imageSize })
    .then((data) => ({ name: config.name, ...data, fingerprint: fingerprint(data), source: location.path }));
  memoryCache.set(key, { signature, loaded });
  // A failed load must not be remembered: the user may fix the files and retry.
  loaded.catch(() => {
    if (memoryCache.get(key)?.loaded === loaded) memoryCache.delete(key);
  });
  return loaded;
}
