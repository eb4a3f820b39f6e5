// Downloads from a local HTTP server standing in for the official hosts (serving
// Debian's real Fashion-MNIST files, so the real checksums are checked), imports
// from files and folders, and the promise behind both: a failed, cut or aborted
// transfer leaves nothing half-written in the cache.
import { createServer, type Server } from 'node:http';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  datasetStatus,
  downloadDataset,
  importDataset,
  loadDataset,
  type DatasetProgress,
} from '../../../../src-main/engine/data';
import { datasetConfigSchema, type DatasetName } from '../../../../src-main/shared/run-config';
import { tempDir, writeCifarArchive, writeCifarFolder, writeIdxDataset } from './fixtures';

const DEBIAN_FOLDER = '/usr/share/datasets/fashion-mnist';
const FASHION_FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
const DEBIAN_TOTAL_BYTES = 26_421_856 + 29_491 + 4_422_079 + 5_125;

const root = tempDir('acquire');
const fixtures = join(root.path, 'fixtures');
let server: Server;
let baseUrl: string;
/** Labels with one value changed: a valid file, but not the published one. */
let alteredLabels: Buffer;

beforeAll(async () => {
  writeIdxDataset(join(fixtures, 'mnist'), { train: 30, test: 10 });
  const labels = gunzipSync(readFileSync(join(DEBIAN_FOLDER, 'train-labels-idx1-ubyte.gz')));
  labels[8] = (labels[8] + 1) % 10;
  alteredLabels = gzipSync(labels);
  server = createServer((request, response) => {
    const [, route, file] = (request.url ?? '').split('/');
    const send = (bytes: Buffer) => {
      response.writeHead(200, { 'content-length': bytes.length });
      response.end(bytes);
    };
    if (route === 'fashion' && FASHION_FILES.includes(file)) return send(readFileSync(join(DEBIAN_FOLDER, file)));
    if (route === 'fashion-altered' && FASHION_FILES.includes(file)) {
      return send(file === 'train-labels-idx1-ubyte.gz' ? alteredLabels : readFileSync(join(DEBIAN_FOLDER, file)));
    }
    if (route === 'fashion-cut' && FASHION_FILES.includes(file)) {
      const bytes = readFileSync(join(DEBIAN_FOLDER, file));
      if (file !== 'train-images-idx3-ubyte.gz') return send(bytes);
      // Announce the whole file, send half of it, then drop the connection.
      response.writeHead(200, { 'content-length': bytes.length });
      response.write(bytes.subarray(0, bytes.length >> 1), () => response.socket?.destroy());
      return;
    }
    if (route === 'fashion-stall' && FASHION_FILES.includes(file)) {
      const bytes = readFileSync(join(DEBIAN_FOLDER, file));
      response.writeHead(200, { 'content-length': bytes.length });
      response.write(bytes.subarray(0, 65536)); // ...and never finishes, until the client aborts
      return;
    }
    if (route === 'mnist') {
      try {
        return send(readFileSync(join(fixtures, 'mnist', file)));
      } catch {
        /* fall through to 404 */
      }
    }
    response.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  root.remove();
});

let cacheCount = 0;
const newCache = () => join(root.path, `cache-${cacheCount++}`);
const cacheEntries = (cacheDir: string) => {
  try {
    return readdirSync(cacheDir);
  } catch {
    return [];
  }
};
const loadFromCache = (name: DatasetName, cacheDir: string) =>
  loadDataset(datasetConfigSchema.parse({ name }), { cacheDir, systemRoots: [] });

describe('downloadDataset', () => {
  it('downloads Fashion-MNIST with progress, verifies the real checksums and installs it in the cache', async () => {
    const cacheDir = newCache();
    const events: DatasetProgress[] = [];
    const status = await downloadDataset('fashion-mnist', { cacheDir, baseUrl: `${baseUrl}/fashion/`, onProgress: (p) => events.push(p), progressIntervalMs: 0 });
    expect(status).toEqual({ name: 'fashion-mnist', present: true, location: join(cacheDir, 'fashion-mnist'), sizeBytes: DEBIAN_TOTAL_BYTES });
    expect(cacheEntries(cacheDir)).toEqual(['fashion-mnist']);
    expect(cacheEntries(join(cacheDir, 'fashion-mnist')).sort()).toEqual([...FASHION_FILES].sort());
    const downloads = events.filter((e) => e.phase === 'download');
    expect(downloads.length).toBeGreaterThan(4);
    for (let i = 1; i < downloads.length; i++) expect(downloads[i].receivedBytes).toBeGreaterThanOrEqual(downloads[i - 1].receivedBytes);
    const last = events[events.length - 1];
    expect(last).toMatchObject({ name: 'fashion-mnist', phase: 'done', receivedBytes: DEBIAN_TOTAL_BYTES, totalBytes: DEBIAN_TOTAL_BYTES });
    expect(new Set(events.map((e) => e.phase))).toEqual(new Set(['download', 'verify', 'install', 'done']));
    for (const file of FASHION_FILES) {
      expect(Buffer.compare(readFileSync(join(cacheDir, 'fashion-mnist', file)), readFileSync(join(DEBIAN_FOLDER, file)))).toBe(0);
    }
    // The one decode of the real data in this file: what was installed loads.
    const fromCache = await loadFromCache('fashion-mnist', cacheDir);
    expect([fromCache.train.count, fromCache.test.count]).toEqual([60_000, 10_000]);
    expect(await datasetStatus('fashion-mnist', cacheDir)).toEqual(status);
  });

  it('rejects a file whose checksum does not match and leaves nothing in the cache', async () => {
    const cacheDir = newCache();
    const url = `${baseUrl}/fashion-altered/`;
    await expect(downloadDataset('fashion-mnist', { cacheDir, baseUrl: url })).rejects.toThrow(
      `could not download train-labels-idx1-ubyte.gz: ${url}train-labels-idx1-ubyte.gz: checksum mismatch: expected SHA-256 bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9 of the decompressed content, found`,
    );
    expect(cacheEntries(cacheDir)).toEqual([]);
  });

  it('a connection cut mid-file leaves nothing in the cache, and an earlier good copy survives', async () => {
    const cacheDir = newCache();
    mkdirSync(join(cacheDir, 'fashion-mnist'), { recursive: true });
    for (const file of FASHION_FILES) copyFileSync(join(DEBIAN_FOLDER, file), join(cacheDir, 'fashion-mnist', file));
    const before = readFileSync(join(cacheDir, 'fashion-mnist', 'train-images-idx3-ubyte.gz'));
    await expect(downloadDataset('fashion-mnist', { cacheDir, baseUrl: `${baseUrl}/fashion-cut/` })).rejects.toThrow(
      /could not download train-images-idx3-ubyte\.gz: http:\/\/127\.0\.0\.1:\d+\/fashion-cut\/train-images-idx3-ubyte\.gz: connection lost after \d+ of 26421856 bytes/,
    );
    expect(cacheEntries(cacheDir)).toEqual(['fashion-mnist']);
    expect(Buffer.compare(readFileSync(join(cacheDir, 'fashion-mnist', 'train-images-idx3-ubyte.gz')), before)).toBe(0);
    const fresh = newCache();
    await expect(downloadDataset('fashion-mnist', { cacheDir: fresh, baseUrl: `${baseUrl}/fashion-cut/` })).rejects.toThrow('could not download');
    expect(cacheEntries(fresh)).toEqual([]);
  });

  it('can be aborted mid-file, leaving nothing behind', async () => {
    const cacheDir = newCache();
    const controller = new AbortController();
    const download = downloadDataset('fashion-mnist', {
      cacheDir,
      baseUrl: `${baseUrl}/fashion-stall/`,
      signal: controller.signal,
      progressIntervalMs: 0,
      onProgress: (p) => {
        if (p.phase === 'download' && p.receivedBytes > 0) controller.abort();
      },
    });
    await expect(download).rejects.toThrow('download of fashion-mnist cancelled');
    expect(cacheEntries(cacheDir)).toEqual([]);
  });

  it('checks MNIST files by their published sizes', async () => {
    const cacheDir = newCache();
    const url = `${baseUrl}/mnist/`;
    const served = readFileSync(join(fixtures, 'mnist', 'train-images-idx3-ubyte.gz')).length;
    await expect(downloadDataset('mnist', { cacheDir, baseUrl: url })).rejects.toThrow(
      `could not download train-images-idx3-ubyte.gz: ${url}train-images-idx3-ubyte.gz: size mismatch: expected 9912422 bytes, found ${served}`,
    );
    expect(cacheEntries(cacheDir)).toEqual([]);
  });

  it('reports HTTP errors with the URL, and refuses image-folder', async () => {
    const cacheDir = newCache();
    await expect(downloadDataset('cifar10', { cacheDir, baseUrl: `${baseUrl}/nowhere/` })).rejects.toThrow(
      `could not download cifar-10-binary.tar.gz: ${baseUrl}/nowhere/cifar-10-binary.tar.gz: download failed: HTTP 404 Not Found`,
    );
    expect(cacheEntries(cacheDir)).toEqual([]);
    await expect(downloadDataset('image-folder', { cacheDir })).rejects.toThrow('image-folder cannot be downloaded');
  });
});

describe('importDataset', () => {
  it('imports an IDX folder into the cache, where loadDataset finds it', async () => {
    const cacheDir = newCache();
    const events: DatasetProgress[] = [];
    const status = await importDataset('mnist', join(fixtures, 'mnist'), { cacheDir, onProgress: (p) => events.push(p) });
    const sourceBytes = readdirSync(join(fixtures, 'mnist')).reduce((sum, f) => sum + readFileSync(join(fixtures, 'mnist', f)).length, 0);
    expect(status).toEqual({ name: 'mnist', present: true, location: join(cacheDir, 'mnist'), sizeBytes: sourceBytes });
    expect(events.map((e) => [e.phase, e.receivedBytes, e.totalBytes])).toEqual([
      ['install', 0, sourceBytes],
      ['done', sourceBytes, sourceBytes],
    ]);
    const data = await loadFromCache('mnist', cacheDir);
    expect(data.train.count).toBe(30);
    expect(data.source).toBe(join(cacheDir, 'mnist'));
  });

  it('imports cifar-10-binary.tar.gz, unpacked for fast loading, and an extracted folder, to the same data', async () => {
    const archive = writeCifarArchive(join(root.path, 'cifar-import'));
    const fromArchive = newCache();
    await importDataset('cifar10', archive, { cacheDir: fromArchive });
    expect(cacheEntries(join(fromArchive, 'cifar10'))).toEqual(['cifar-10-batches-bin']);
    expect(cacheEntries(join(fromArchive, 'cifar10', 'cifar-10-batches-bin')).sort()).toEqual([
      'data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin',
    ]);
    expect(readFileSync(archive).length).toBeGreaterThan(0); // the user's archive is left alone
    const folder = join(root.path, 'cifar-import', 'extracted');
    writeCifarFolder(folder);
    const fromFolder = newCache();
    await importDataset('cifar10', folder, { cacheDir: fromFolder });
    const [a, b] = await Promise.all([loadFromCache('cifar10', fromArchive), loadFromCache('cifar10', fromFolder)]);
    expect(a.train.count).toBe(20);
    expect(a.fingerprint).toBe(b.fingerprint);
  });

  it('replaces an older copy in one step', async () => {
    const cacheDir = newCache();
    await importDataset('mnist', join(fixtures, 'mnist'), { cacheDir });
    expect((await loadFromCache('mnist', cacheDir)).train.count).toBe(30);
    const bigger = join(root.path, 'mnist-bigger');
    writeIdxDataset(bigger, { train: 40, test: 10 });
    await importDataset('mnist', bigger, { cacheDir });
    expect(cacheEntries(cacheDir)).toEqual(['mnist']);
    // The process's in-memory copy of the old data is not served after the import.
    expect((await loadFromCache('mnist', cacheDir)).train.count).toBe(40);
  });

  it('refuses bad files, naming them, and leaves the cache untouched', async () => {
    const cacheDir = newCache();
    const bad = join(root.path, 'mnist-bad');
    writeIdxDataset(bad, { train: 30, test: 10, gzip: false });
    const file = join(bad, 'train-labels-idx1-ubyte');
    writeFileSync(file, readFileSync(file).subarray(0, 20));
    await expect(importDataset('mnist', bad, { cacheDir })).rejects.toThrow(`${file}: truncated IDX labels file (30): expected 38 bytes, found 20`);
    expect(cacheEntries(cacheDir)).toEqual([]);
    rmSync(file);
    await expect(importDataset('mnist', bad, { cacheDir })).rejects.toThrow(`${bad}: expected the IDX files train-labels-idx1-ubyte(.gz)`);
    await expect(importDataset('image-folder', bad, { cacheDir })).rejects.toThrow('image-folder datasets are read in place');
    expect(cacheEntries(cacheDir)).toEqual([]);
  });
});
