// Where a dataset's files are: an explicit path, the cache folder (<cacheDir>/<name>)
// or a system folder installed by a package manager (Debian's dataset-fashion-mnist
// puts the four .gz files in /usr/share/datasets/fashion-mnist).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetStatus } from '../../shared/api';
import type { DatasetName } from '../../shared/run-config';
import { CIFAR10_ARCHIVE, CIFAR10_FOLDER, CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES, IDX_FILES, SYSTEM_DATASET_ROOTS, type IdxRole } from './catalog';
import { DatasetError } from './errors';
import { fileSize, isDirectory } from './file-bytes';

export type DataLocation =
  | { kind: 'idx'; path: string; files: Record<IdxRole, string> }
  | { kind: 'cifar-archive'; path: string; archive: string }
  | { kind: 'cifar-folder'; path: string; train: string[]; test: string }
  | { kind: 'image-folder'; path: string };

export interface LocateOptions {
  cacheDir: string;
  /** Folders holding one sub-folder per dataset, searched after the cache (default: Debian's /usr/share/datasets). */
  systemRoots?: string[];
}

/** The accepted names of one IDX file: published (.gz), extracted, and the dotted variant some mirrors use. */
export function idxFileNames(role: IdxRole): string[] {
  const base = IDX_FILES[role];
  const dotted = base.replace(/-(idx\d)/, '.$1');
  return [`${base}.gz`, base, `${dotted}.gz`, dotted];
}

async function findIdx(folder: string): Promise<{ files: Partial<Record<IdxRole, string>>; missing: IdxRole[] }> {
  const files: Partial<Record<IdxRole, string>> = {};
  const missing: IdxRole[] = [];
  const present = new Set(await readdir(folder).catch(() => [] as string[]));
  for (const role of Object.keys(IDX_FILES) as IdxRole[]) {
    const name = idxFileNames(role).find((n) => present.has(n));
    if (name) files[role] = join(folder, name);
    else missing.push(role);
  }
  return { files, missing };
}

async function findCifarFolder(folder: string): Promise<DataLocation | null> {
  for (const candidate of [folder, join(folder, CIFAR10_FOLDER)]) {
    const test = join(candidate, CIFAR10_TEST_FILE);
    const train = CIFAR10_TRAIN_FILES.map((f) => join(candidate, f));
    const sizes = await Promise.all([...train, test].map(fileSize));
    if (sizes.every((size) => size !== null)) return { kind: 'cifar-folder', path: candidate, train, test };
  }
  const archive = join(folder, CIFAR10_ARCHIVE);
  if ((await fileSize(archive)) !== null) return { kind: 'cifar-archive', path: folder, archive };
  return null;
}

/** What is at `path` for this dataset, or null when it holds no recognisable copy. */
export async function locateAt(name: DatasetName, path: string): Promise<DataLocation | null> {
  if (name === 'image-folder') return (await isDirectory(path)) ? { kind: 'image-folder', path } : null;
  if (name === 'cifar10') {
    if ((await fileSize(path)) !== null) return { kind: 'cifar-archive', path, archive: path };
    return (await isDirectory(path)) ? findCifarFolder(path) : null;
  }
  if (!(await isDirectory(path))) return null;
  const { files, missing } = await findIdx(path);
  return missing.length === 0 ? { kind: 'idx', path, files: files as Record<IdxRole, string> } : null;
}

/** Like locateAt, but a path the user named must hold the data: say what is missing. */
export async function requireAt(name: DatasetName, path: string): Promise<DataLocation> {
  const found = await locateAt(name, path);
  if (found) return found;
  if ((await fileSize(path)) === null && !(await isDirectory(path))) throw new DatasetError('no such file or folder', path);
  if (name === 'image-folder') throw new DatasetError('expected a folder with one sub-folder per class', path);
  if (name === 'cifar10') {
    throw new DatasetError(
      `expected ${CIFAR10_ARCHIVE}, a ${CIFAR10_FOLDER} folder, or the files ${[...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE].join(', ')}`,
      path,
    );
  }
  const { missing } = await findIdx(path);
  throw new DatasetError(`expected the IDX files ${missing.map((r) => `${IDX_FILES[r]}(.gz)`).join(', ')}`, path);
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
  if (name === 'image-folder') return null; // read in place from config.path; nothing to find
  for (const folder of searchFolders(name, options)) {
    const found = await locateAt(name, folder);
    if (found) return found;
  }
  return null;
}

/** Every file a location reads. */
export function locationFiles(location: DataLocation): string[] {
  switch (location.kind) {
    case 'idx':
      return Object.values(location.files);
    case 'cifar-archive':
      return [location.archive];
    case 'cifar-folder':
      return [...location.train, location.test];
    case 'image-folder':
      return [];
  }
}

export async function locationSizeBytes(location: DataLocation): Promise<number> {
  let total = 0;
  for (const file of locationFiles(location)) total += (await fileSize(file)) ?? 0;
  return total;
}

export async function datasetStatus(name: DatasetName, cacheDir: string, options: Omit<LocateOptions, 'cacheDir'> = {}): Promise<DatasetStatus> {
  const location = await locateDataset(name, { ...options, cacheDir });
  if (!location) return { name, present: false, location: null, sizeBytes: null };
  return { name, present: true, location: location.path, sizeBytes: await locationSizeBytes(location) };
}
