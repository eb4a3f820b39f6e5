// downloadDataset: fetches a dataset from its official location with progress,
// verifies every file (SHA-256 of the content, or the published size where no
// verified hash is known), decodes the result, and only then renames it into
// <cacheDir>/<name> (see staging.ts). Failed, cut or aborted: nothing is installed.
import { createHash } from 'node:crypto';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { DatasetStatus } from '../../shared/api';
import { DATASET_SPECS, type DatasetName } from '../../shared/datasets';
import { DOWNLOAD_SOURCES, type DownloadFile } from './catalog';
import { DatasetError } from './errors';
import { readDataFile } from './file-bytes';
import { formatOf } from './formats/registry';
import { datasetStatus, requireAt } from './locate';
import { createStaging, discardStaging, exclusive, installStaging, removeStaleStaging } from './staging';
import type { DatasetProgress } from './types';

export interface DownloadOptions {
  cacheDir: string;
  onProgress?: (progress: DatasetProgress) => void;
  signal?: AbortSignal;
  /** Replaces the official locations (a mirror, or a local server in tests): files are fetched from `${baseUrl}${file}`. */
  baseUrl?: string;
  /** Minimum milliseconds between two 'download' progress reports (default 100); every file's end is always reported. */
  progressIntervalMs?: number;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}

class ProgressReporter {
  private readonly receivedPerFile: number[];
  private readonly totals: (number | null)[];
  private lastReport = 0;

  constructor(
    private readonly name: DatasetName,
    files: DownloadFile[],
    private readonly onProgress: ((p: DatasetProgress) => void) | undefined,
    private readonly intervalMs: number,
  ) {
    this.totals = files.map((f) => f.expectedBytes);
    this.receivedPerFile = files.map(() => 0);
  }

  /** (Re)starts a file: bytes of an earlier, failed attempt from another mirror no longer count. */
  startFile(fileIndex: number): void {
    this.receivedPerFile[fileIndex] = 0;
  }

  /** The server's Content-Length replaces the catalog's estimate once known. */
  setTotal(fileIndex: number, bytes: number | null): void {
    this.totals[fileIndex] = bytes;
  }

  add(fileIndex: number, bytes: number): void {
    this.receivedPerFile[fileIndex] += bytes;
  }

  report(phase: DatasetProgress['phase'], file: string, force = false): void {
    if (!this.onProgress) return;
    const now = Date.now();
    if (!force && now - this.lastReport < this.intervalMs) return;
    this.lastReport = now;
    const totalBytes = this.totals.every((t) => t !== null) ? this.totals.reduce<number>((a, t) => a + (t ?? 0), 0) : null;
    const receivedBytes = this.receivedPerFile.reduce((a, b) => a + b, 0);
    this.onProgress({ name: this.name, receivedBytes, totalBytes, phase, file });
  }
}

/** Streams one URL into `target`. Throws on HTTP errors, a cut connection, or a short body. */
async function fetchToFile(url: string, target: string, fileIndex: number, progress: ProgressReporter, signal?: AbortSignal): Promise<number> {
  const response = await fetch(url, { signal });
  if (!response.ok || !response.body) throw new DatasetError(`download failed: HTTP ${response.status} ${response.statusText}`, url);
  const header = response.headers.get('content-length');
  const announced = header !== null && /^\d+$/.test(header) ? Number(header) : null;
  progress.startFile(fileIndex);
  progress.setTotal(fileIndex, announced);
  const handle = await open(target, 'w');
  let received = 0;
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      await handle.write(chunk);
      received += chunk.length;
      progress.add(fileIndex, chunk.length);
      progress.report('download', basename(target));
    }
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new DatasetError(`connection lost after ${received} of ${announced ?? 'an unknown number of'} bytes (${describe(error)})`, url);
  } finally {
    await handle.close();
  }
  if (announced !== null && received !== announced) {
    throw new DatasetError(`download incomplete: expected ${announced} bytes, received ${received}`, url);
  }
  progress.report('download', basename(target), true);
  return received;
}

async function verifyFile(file: DownloadFile, path: string, url: string): Promise<void> {
  if (file.sizeBytes !== null) {
    const { size } = await stat(path);
    if (size !== file.sizeBytes) throw new DatasetError(`size mismatch: expected ${file.sizeBytes} bytes, found ${size}`, url);
  }
  if (file.contentSha256 !== null) {
    const actual = createHash('sha256').update(await readDataFile(path)).digest('hex');
    if (actual !== file.contentSha256) {
      throw new DatasetError(`checksum mismatch: expected SHA-256 ${file.contentSha256} of the decompressed content, found ${actual}`, url);
    }
  }
}

/**
 * Stages the downloaded files in the cache's layout (an archive unpacked) and, unless
 * every file matched a known content hash (byte for byte the published data), decodes
 * and counts them: a copy that cannot be read, or is not the published one, is never installed.
 */
async function stageVerified(name: DatasetName, downloads: string, staging: string, hashed: boolean, source: string): Promise<void> {
  const format = formatOf(name);
  try {
    if (!format.stage) throw new DatasetError(`${name} is read in place and cannot be downloaded`);
    await format.stage(await requireAt(name, downloads), staging);
    await rm(downloads, { recursive: true, force: true });
    if (hashed) return;
    const data = await format.decode(await requireAt(name, staging), { name, imageSize: 32 });
    const published = DATASET_SPECS[name].splitSizes;
    if (published && (data.train.count !== published.train || data.test.count !== published.test)) {
      throw new DatasetError(`expected ${published.train} training and ${published.test} test images, found ${data.train.count} and ${data.test.count}`);
    }
  } catch (error) {
    // Name the server rather than a temporary folder that is about to disappear.
    const reason = error instanceof Error ? error.message.replaceAll(`${downloads}/`, '').replaceAll(`${staging}/`, '') : String(error);
    throw new DatasetError(`downloaded files from ${source} are not a valid ${name}: ${reason}`);
  }
}

export function downloadDataset(name: DatasetName, options: DownloadOptions): Promise<DatasetStatus> {
  const source = DOWNLOAD_SOURCES[name];
  if (!source || !formatOf(name).stage) {
    return Promise.reject(new DatasetError(`${name} cannot be downloaded: point dataset.path at a folder with one sub-folder per class`));
  }
  const { cacheDir, signal } = options;
  return exclusive('download', cacheDir, name, async () => {
    await removeStaleStaging(cacheDir, name);
    const staging = await createStaging(cacheDir, name);
    // Files arrive here; the format then stages them in the cache's layout (an archive unpacked).
    const downloads = join(staging, '.download');
    await mkdir(downloads);
    const progress = new ProgressReporter(name, source.files, options.onProgress, options.progressIntervalMs ?? 100);
    const bases = options.baseUrl ? [options.baseUrl] : source.baseUrls;
    try {
      for (const [fileIndex, file] of source.files.entries()) {
        const target = join(downloads, file.name);
        const failures: string[] = [];
        for (const base of bases) {
          const url = `${base}${file.name}`;
          try {
            await fetchToFile(url, target, fileIndex, progress, signal);
            progress.report('verify', file.name, true);
            await verifyFile(file, target, url);
            failures.length = 0;
            break;
          } catch (error) {
            if (signal?.aborted) throw new DatasetError(`download of ${name} cancelled`);
            // A corrupt file from one mirror is a reason to try the next, not to stop.
            failures.push(error instanceof DatasetError ? error.message : `${url}: ${describe(error)}`);
          }
        }
        if (failures.length > 0) throw new DatasetError(`could not download ${file.name}: ${failures.join('; ')}`);
      }
      progress.report('install', name, true);
      await stageVerified(name, downloads, staging, source.files.every((file) => file.contentSha256 !== null), bases.join(' or '));
      await installStaging(staging, cacheDir, name);
    } catch (error) {
      await discardStaging(staging);
      throw error;
    }
    progress.report('done', name, true);
    return datasetStatus(name, cacheDir, { systemRoots: [] });
  });
}

