// Downloads and imports are written into a staging folder inside the cache and
// renamed into place only once complete and verified. A rename within one file
// system is atomic, so the cache holds either the old copy or the new one — never a
// half-written dataset, whatever fails or is aborted.
import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetStatus } from '../../shared/api';
import type { DatasetName } from '../../shared/datasets';
import { DatasetError } from './errors';
import { cacheFolder } from './locate';

const STAGING_PREFIX = '.staging-';

export async function createStaging(cacheDir: string, name: DatasetName): Promise<string> {
  await mkdir(cacheDir, { recursive: true });
  return mkdtemp(join(cacheDir, `${STAGING_PREFIX}${name}-`));
}

/** A staging folder untouched this long belongs to a process that died mid-transfer. */
const STALE_AFTER_MS = 6 * 60 * 60 * 1000;

async function newestChange(folder: string): Promise<number> {
  const own = (await stat(folder)).mtimeMs;
  const entries = await readdir(folder).catch(() => [] as string[]);
  const times = await Promise.all(entries.map((e) => stat(join(folder, e)).then((s) => s.mtimeMs, () => 0)));
  return Math.max(own, ...times);
}

/**
 * Removes what a killed process left behind. Only old leftovers: a young staging
 * folder may be another process's download in progress (the CLI and the app share a cache).
 */
export async function removeStaleStaging(cacheDir: string, name: DatasetName): Promise<void> {
  const entries = await readdir(cacheDir).catch(() => [] as string[]);
  for (const entry of entries.filter((e) => e.startsWith(`${STAGING_PREFIX}${name}-`))) {
    const folder = join(cacheDir, entry);
    const changed = await newestChange(folder).catch(() => Date.now());
    if (Date.now() - changed > STALE_AFTER_MS) await rm(folder, { recursive: true, force: true });
  }
}

export async function discardStaging(staging: string): Promise<void> {
  await rm(staging, { recursive: true, force: true });
}

/** Moves the staged folder to <cacheDir>/<name>, replacing an older copy. */
export async function installStaging(staging: string, cacheDir: string, name: DatasetName): Promise<string> {
  const target = cacheFolder(cacheDir, name);
  const exists = await stat(target).then(
    () => true,
    () => false,
  );
  if (!exists) {
    await rename(staging, target);
    return target;
  }
  const replaced = `${staging}-replaced`;
  await rename(target, replaced);
  try {
    await rename(staging, target);
  } catch (error) {
    await rename(replaced, target); // put the old copy back
    throw error;
  }
  await rm(replaced, { recursive: true, force: true });
  return target;
}

const inFlight = new Map<string, { operation: 'download' | 'import'; done: Promise<DatasetStatus> }>();

/**
 * One download or import per dataset and cache at a time: a second identical request
 * joins the running one; a different one is refused rather than racing it.
 */
export function exclusive(operation: 'download' | 'import', cacheDir: string, name: DatasetName, work: () => Promise<DatasetStatus>): Promise<DatasetStatus> {
  const key = `${cacheDir}\0${name}`;
  const running = inFlight.get(key);
  if (running?.operation === operation) return running.done;
  if (running) return Promise.reject(new DatasetError(`a ${running.operation} of ${name} into ${cacheDir} is already running; try again when it ends`));
  const done = work().finally(() => inFlight.delete(key));
  inFlight.set(key, { operation, done });
  return done;
}
