// importDataset: files the user already has (an archive or a folder), offline. The
// user's files are decoded first, so every error names them; then they are copied in
// the cache's layout into a staging folder that is renamed into place (staging.ts).
import { copyFile, mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { DatasetStatus } from '../../shared/api';
import type { DatasetName } from '../../shared/run-config';
import { CIFAR10_FOLDER } from './catalog';
import { unpackCifarArchive } from './cifar-archive';
import { DatasetError } from './errors';
import { decodeLocation } from './load';
import { datasetStatus, locationFiles, locationSizeBytes, requireAt, type DataLocation } from './locate';
import { createStaging, discardStaging, exclusive, installStaging, removeStaleStaging } from './staging';
import type { DatasetProgress } from './types';

export interface ImportOptions {
  cacheDir: string;
  onProgress?: (progress: DatasetProgress) => void;
}

/** Copies what `location` reads into the staging folder, in the layout the cache uses. */
async function stageCopy(location: DataLocation, staging: string): Promise<void> {
  if (location.kind === 'cifar-archive') return unpackCifarArchive(location.archive, staging);
  const folder = location.kind === 'cifar-folder' ? join(staging, CIFAR10_FOLDER) : staging;
  await mkdir(folder, { recursive: true });
  for (const file of locationFiles(location)) await copyFile(file, join(folder, basename(file)));
}

/** Imports files the user already has (an archive or a folder), offline. */
export function importDataset(name: DatasetName, path: string, options: ImportOptions): Promise<DatasetStatus> {
  if (name === 'image-folder') {
    return Promise.reject(new DatasetError('image-folder datasets are read in place: set dataset.path to the folder; there is nothing to import', path));
  }
  const { cacheDir } = options;
  return exclusive('import', cacheDir, name, async () => {
    const location = await requireAt(name, path);
    // Decoding the user's own files first makes every error name them.
    await decodeLocation(name, location, 32);
    await removeStaleStaging(cacheDir, name);
    const staging = await createStaging(cacheDir, name);
    const totalBytes = await locationSizeBytes(location);
    const report = (phase: DatasetProgress['phase'], receivedBytes: number) =>
      options.onProgress?.({ name, receivedBytes, totalBytes, phase, file: path });
    try {
      report('install', 0);
      await stageCopy(location, staging);
      await installStaging(staging, cacheDir, name);
    } catch (error) {
      await discardStaging(staging);
      throw error;
    }
    report('done', totalBytes);
    return datasetStatus(name, cacheDir, { systemRoots: [] });
  });
}
