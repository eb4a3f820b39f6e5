// Where a dataset's files are: an explicit path, the cache folder (<cacheDir>/<name>)
// or a system folder installed by a package manager (Debian's dataset-fashion-mnist
// puts the four .gz files in /usr/share/datasets/fashion-mnist). What a copy looks
// like on disk is its format's business (formats/).
import { join } from 'node:path';
import type { DatasetStatus } from '../../shared/api';
import { DATASET_SPECS, type DatasetName } from '../../shared/datasets';
import { SYSTEM_DATASET_ROOTS } from './catalog';
import { DatasetError } from './errors';
import { fileSize, isDirectory } from './file-bytes';
import type { DataLocation } from './formats/format';
import { formatOf } from './formats/registry';

export type { DataLocation } from './formats/format';

export interface LocateOptions {
  cacheDir: string;
  /** Folders holding one sub-folder per dataset, searched after the cache (default: Debian's /usr/share/datasets). */
  systemRoots?: string[];
}

/** What is at `path` for this dataset, or null when it holds no recognisable copy. */
export function locateAt(name: DatasetName, path: string): Promise<DataLocation | null> {
  return formatOf(name).locate(path);
}

/** Like locateAt, but a path the user named must hold the data: say what is missing. */
export async function requireAt(name: DatasetName, path: string): Promise<DataLocation> {
  const found = await locateAt(name, path);
  if (found) return found;
  if ((await fileSize(path)) === null && !(await isDirectory(path))) throw new DatasetError('no such file or folder', path);
  throw new DatasetError(await formatOf(name).expected(path), path);
}

export function cacheFolder(cacheDir: string, name: DatasetName): string {
  return join(cacheDir, name);
}

/** The folders searched, in order, when no path is given. */
export function searchFolders(name: DatasetName, options: LocateOptions): string[] {
  const roots = options.systemRoots ?? SYSTEM_DATASET_ROOTS;
  return [cacheFolder(options.cacheDir, name), ...roots.map((root) => join(root, name))];
}

export async function locateDataset(name: DatasetName, options: LocateOptions): Promise<DataLocation | null> {
  if (DATASET_SPECS[name].needsPath) return null; // read in place from dataset.path; nothing to find
  for (const folder of searchFolders(name, options)) {
    const found = await locateAt(name, folder);
    if (found) return found;
  }
  return null;
}

export async function locationSizeBytes(location: DataLocation): Promise<number> {
  let total = 0;
  for (const file of location.files) total += (await fileSize(file)) ?? 0;
  return total;
}

export async function datasetStatus(name: DatasetName, cacheDir: string, options: Omit<LocateOptions, 'cacheDir'> = {}): Promise<DatasetStatus> {
  const location = await locateDataset(name, { ...options, cacheDir });
  if (!location) return { name, present: false, location: null, sizeBytes: null };
  return { name, present: true, location: location.path, sizeBytes: await locationSizeBytes(location) };
}
