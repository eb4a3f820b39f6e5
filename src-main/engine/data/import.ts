// importDataset: files the user already has (an archive or a folder), offline. The
// user's files are decoded first, so every error names them; then their format
// stages them in the cache's layout into a staging folder that is renamed into
// place (staging.ts).
import type { DatasetStatus } from '../../shared/api';
import type { DatasetName } from '../../shared/datasets';
import { DatasetError } from './errors';
import { formatOf } from './formats/registry';
import { datasetStatus, locationSizeBytes, requireAt } from './locate';
import { createStaging, discardStaging, exclusive, installStaging, removeStaleStaging } from './staging';
import type { DatasetProgress } from './types';

export interface ImportOptions {
  cacheDir: string;
  onProgress?: (progress: DatasetProgress) => void;
}

/** Imports files the user already has (an archive or a folder), offline. */
export function importDataset(name: DatasetName, path: string, options: ImportOptions): Promise<DatasetStatus> {
  const format = formatOf(name);
  const stage = format.stage;
  if (!stage) {
    return Promise.reject(new DatasetError(`${name} datasets are read in place: set dataset.path to the folder; there is nothing to import`, path));
  }
  const { cacheDir } = options;
  return exclusive('import', cacheDir, name, async () => {
    const location = await requireAt(name, path);
    // Decoding the user's own files first makes every error name them.
    await format.decode(location, { name, imageSize: 32 });
    await removeStaleStaging(cacheDir, name);
    const staging = await createStaging(cacheDir, name);
    const totalBytes = await locationSizeBytes(location);
    const report = (phase: DatasetProgress['phase'], receivedBytes: number) =>
      options.onProgress?.({ name, receivedBytes, totalBytes, phase, file: path });
    try {
      report('install', 0);
      await stage(location, staging);
      await installStaging(staging, cacheDir, name);
    } catch (error) {
      await discardStaging(staging);
      throw error;
    }
    report('done', totalBytes);
    return datasetStatus(name, cacheDir, { systemRoots: [] });
  });
}
