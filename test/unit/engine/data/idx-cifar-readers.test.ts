// The IDX and CIFAR-10 readers, on generated files in the exact published formats,
// and every way such a file can be wrong.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { CIFAR10_CLASS_NAMES, datasetStatus, FASHION_MNIST_CLASS_NAMES, loadDataset, MNIST_CLASS_NAMES } from '../../../../src-main/engine/data';
import { datasetConfigSchema, type DatasetName } from '../../../../src-main/shared/run-config';
import {
  CIFAR_FIXTURE_PER_BATCH,
  CIFAR_FIXTURE_TEST,
  cifarBatch,
  fixtureLabel,
  fixturePixel,
  idxImages,
  idxLabels,
  tempDir,
  writeCifarArchive,
  writeCifarFolder,
  writeIdxDataset,
} from './fixtures';

const root = tempDir('readers');
afterAll(root.remove);
let folderCount = 0;
const newFolder = (label: string) => join(root.path, `${label}-${folderCount++}`);
const load = (name: DatasetName, path: string) => loadDataset(datasetConfigSchema.parse({ name, path }), { cacheDir: join(root.path, 'cache'), systemRoots: [] });

describe('IDX reader (MNIST, Fashion-MNIST)', () => {
  it('reads gzipped files: counts, shape, every pixel and label, class names', async () => {
    const folder = newFolder('idx-gz');
    writeIdxDataset(folder, { train: 50, test: 20 });
    const data = await load('mnist', folder);
    expect(data.train.count).toBe(50);
    expect(data.test.count).toBe(20);
    expect(data.inputShape).toEqual([28, 28, 1]);
    expect(data.classNames).toEqual(MNIST_CLASS_NAMES);
    expect(data.train.images.length).toBe(50 * 784);
    for (let i = 0; i < 50; i++) {
      expect(data.train.labels[i]).toBe(fixtureLabel(i));
      expect(data.train.images[i * 784 + 100]).toBe(fixturePixel(i, 100));
    }
    expect(Array.from(data.test.images.subarray(784, 784 * 2))).toEqual(Array.from({ length: 784 }, (_, p) => fixturePixel(1, p)));
    expect(data.source).toBe(folder);
  });

  it('reads raw (extracted) files the same, with the same fingerprint; non-square images keep rows × columns', async () => {
    const gz = newFolder('idx-gz');
    const raw = newFolder('idx-raw');
    writeIdxDataset(gz, { train: 30, test: 10, rows: 5, columns: 7, gzip: true });
    writeIdxDataset(raw, { train: 30, test: 10, rows: 5, columns: 7, gzip: false });
    const [a, b] = await Promise.all([load('fashion-mnist', gz), load('fashion-mnist', raw)]);
    expect(b.inputShape).toEqual([5, 7, 1]);
    expect(Buffer.compare(a.train.images, b.train.images)).toBe(0);
    expect(a.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.classNames).toEqual(FASHION_MNIST_CLASS_NAMES);
  });

  it('gives different fingerprints to different data', async () => {
    const a = newFolder('idx');
    const b = newFolder('idx');
    writeIdxDataset(a, { train: 30, test: 10 });
    writeIdxDataset(b, { train: 30, test: 10 });
    const labels = idxLabels(Array.from({ length: 10 }, (_, i) => (i === 0 ? 9 : fixtureLabel(i))));
    writeFileSync(join(b, 't10k-labels-idx1-ubyte.gz'), gzipSync(labels));
    expect((await load('mnist', a)).fingerprint).not.toBe((await load('mnist', b)).fingerprint);
  });

  describe('bad files', () => {
    function folderWith(file: string, bytes: Buffer): string {
      const folder = newFolder('bad-idx');
      writeIdxDataset(folder, { train: 50, test: 20, gzip: false });
      writeFileSync(join(folder, file), bytes);
      return folder;
    }

    it('truncated images file: expected N bytes, found M', async () => {
      const full = idxImages(50, 28, 28);
      const folder = folderWith('train-images-idx3-ubyte', full.subarray(0, full.length - 100));
      await expect(load('mnist', folder)).rejects.toThrow(
        `${join(folder, 'train-images-idx3-ubyte')}: truncated IDX images file (50×28×28): expected ${16 + 50 * 784} bytes, found ${16 + 50 * 784 - 100}`,
      );
    });

    it('a file shorter than its header', async () => {
      const folder = folderWith('t10k-labels-idx1-ubyte', Buffer.from([0, 0, 8]));
      await expect(load('mnist', folder)).rejects.toThrow(`${join(folder, 't10k-labels-idx1-ubyte')}: truncated IDX labels file: expected at least 8 header bytes, found 3`);
    });

    it('truncated gzip stream', async () => {
      const folder = newFolder('bad-gz');
      writeIdxDataset(folder, { train: 50, test: 20 });
      const file = join(folder, 'train-images-idx3-ubyte.gz');
      const gz = readFileSync(file);
      writeFileSync(file, gz.subarray(0, gz.length >> 1));
      await expect(load('mnist', folder)).rejects.toThrow(`${file}: cannot decompress gzip data (unexpected end of file); the file is truncated or corrupt`);
    });

    it('wrong magic number: a labels file where images are expected', async () => {
      const folder = folderWith('train-images-idx3-ubyte', idxLabels([1, 2, 3]));
      await expect(load('mnist', folder)).rejects.toThrow(`${join(folder, 'train-images-idx3-ubyte')}: wrong magic number 2049: expected 2051 (IDX images)`);
    });

    it('mismatched image and label counts', async () => {
      const folder = folderWith('train-labels-idx1-ubyte', idxLabels(Array.from({ length: 49 }, (_, i) => fixtureLabel(i))));
      await expect(load('mnist', folder)).rejects.toThrow(
        `${join(folder, 'train-labels-idx1-ubyte')}: mismatched counts: 50 images in ${join(folder, 'train-images-idx3-ubyte')} but 49 labels; expected one label per image`,
      );
    });

    it('a label outside the classes', async () => {
      const labels = Array.from({ length: 20 }, (_, i) => (i === 3 ? 10 : fixtureLabel(i)));
      const folder = folderWith('t10k-labels-idx1-ubyte', idxLabels(labels));
      await expect(load('mnist', folder)).rejects.toThrow(`${join(folder, 't10k-labels-idx1-ubyte')}: label 10 of item 3 is out of range: expected 0..9`);
    });

    it('test images of another size than the training images', async () => {
      const folder = folderWith('t10k-images-idx3-ubyte', idxImages(20, 27, 28));
      await expect(load('mnist', folder)).rejects.toThrow(`${join(folder, 't10k-images-idx3-ubyte')}: test images are 27×28: expected 28×28`);
    });

    it('a missing file is named', async () => {
      const folder = newFolder('missing');
      writeIdxDataset(folder, { train: 10, test: 10 });
      rmSync(join(folder, 't10k-labels-idx1-ubyte.gz'));
      await expect(load('mnist', folder)).rejects.toThrow(`${folder}: expected the IDX files t10k-labels-idx1-ubyte(.gz)`);
      await expect(load('mnist', join(folder, 'nope'))).rejects.toThrow(`${join(folder, 'nope')}: no such file or folder`);
    });
  });
});

describe('CIFAR-10 binary reader', () => {
  const trainCount = 5 * CIFAR_FIXTURE_PER_BATCH;

  function expectFixtureContent(data: Awaited<ReturnType<typeof load>>): void {
    expect(data.inputShape).toEqual([32, 32, 3]);
    expect(data.classNames).toEqual(CIFAR10_CLASS_NAMES);
    expect(data.train.count).toBe(trainCount);
    expect(data.test.count).toBe(CIFAR_FIXTURE_TEST);
    // The fixture's pixel (y, x, ch) of item i is fixturePixel(i, (y*32+x)*3+ch): HWC order means byte for byte.
    for (let i = 0; i < trainCount; i++) {
      expect(data.train.labels[i]).toBe(fixtureLabel(i));
      const image = data.train.images.subarray(i * 3072, (i + 1) * 3072);
      expect(image.every((v, offset) => v === fixturePixel(i, offset))).toBe(true);
    }
    expect(Array.from(data.test.labels)).toEqual(Array.from({ length: CIFAR_FIXTURE_TEST }, (_, i) => fixtureLabel(i)));
  }

  it('reads the extracted batch files, planes transposed to HWC, batches in order', async () => {
    const folder = newFolder('cifar');
    writeCifarFolder(folder);
    expectFixtureContent(await load('cifar10', folder));
  });

  it('finds a cifar-10-batches-bin sub-folder', async () => {
    const folder = newFolder('cifar-parent');
    writeCifarFolder(join(folder, 'cifar-10-batches-bin'));
    expectFixtureContent(await load('cifar10', folder));
  });

  it.each(['gnu', 'ustar', 'pax'] as const)('reads the batch files out of a %s tar.gz archive, same data as the folder', async (format) => {
    const archive = writeCifarArchive(newFolder('cifar-archive'), format);
    const folder = newFolder('cifar');
    writeCifarFolder(folder);
    const fromArchive = await load('cifar10', archive);
    expectFixtureContent(fromArchive);
    expect(fromArchive.fingerprint).toBe((await load('cifar10', folder)).fingerprint);
  });

  describe('bad files', () => {
    it('wrong record size', async () => {
      const folder = newFolder('cifar-bad');
      writeCifarFolder(folder);
      writeFileSync(join(folder, 'data_batch_3.bin'), Buffer.concat([cifarBatch(0, 2), Buffer.alloc(5)]));
      await expect(load('cifar10', folder)).rejects.toThrow(
        `${join(folder, 'data_batch_3.bin')}: wrong record size: 6151 bytes is not a whole number of 3073-byte records (1 label byte + 3072 pixel bytes); expected a multiple of 3073`,
      );
    });

    it('an empty batch file', async () => {
      const folder = newFolder('cifar-bad');
      writeCifarFolder(folder);
      writeFileSync(join(folder, 'test_batch.bin'), Buffer.alloc(0));
      await expect(load('cifar10', folder)).rejects.toThrow(`${join(folder, 'test_batch.bin')}: wrong record size: 0 bytes`);
    });

    it('a label outside 0..9', async () => {
      const folder = newFolder('cifar-bad');
      writeCifarFolder(folder);
      const batch = cifarBatch(0, 3);
      batch[3073 * 2] = 11;
      writeFileSync(join(folder, 'data_batch_2.bin'), batch);
      await expect(load('cifar10', folder)).rejects.toThrow(`${join(folder, 'data_batch_2.bin')}: label 11 of record 2 is out of range: expected 0..9`);
    });

    it('a missing batch file is named', async () => {
      const folder = newFolder('cifar-bad');
      writeCifarFolder(folder);
      rmSync(join(folder, 'data_batch_5.bin'));
      await expect(load('cifar10', folder)).rejects.toThrow(`${folder}: expected cifar-10-binary.tar.gz, a cifar-10-batches-bin folder, or the files data_batch_1.bin`);
    });

    it('a truncated archive', async () => {
      const archive = writeCifarArchive(newFolder('cifar-archive'));
      const bytes = readFileSync(archive);
      writeFileSync(archive, bytes.subarray(0, bytes.length - 200));
      await expect(load('cifar10', archive)).rejects.toThrow(`${archive}: cannot decompress gzip data (unexpected end of file)`);
    });

    it('a gzip file that is not a tar archive', async () => {
      const folder = newFolder('cifar-archive');
      mkdirSync(folder);
      const archive = join(folder, 'cifar-10-binary.tar.gz');
      writeFileSync(archive, gzipSync(Buffer.alloc(4096, 65)));
      await expect(load('cifar10', archive)).rejects.toThrow(`${archive}: not a tar archive: expected "ustar" at byte 257, found "AAAAAA"`);
    });

    it('an archive without the test batch', async () => {
      const folder = newFolder('cifar-archive');
      writeCifarFolder(join(folder, 'src', 'cifar-10-batches-bin'));
      rmSync(join(folder, 'src', 'cifar-10-batches-bin', 'test_batch.bin'));
      const archive = join(folder, 'partial.tar.gz');
      execFileSync('tar', ['-czf', archive, '-C', join(folder, 'src'), 'cifar-10-batches-bin']);
      await expect(load('cifar10', archive)).rejects.toThrow(`${archive}: expected test_batch.bin in the archive, found `);
    });
  });
});

describe('where data is found', () => {
  it('searches the cache first, then system folders such as /usr/share/datasets/<name>', async () => {
    const cacheDir = newFolder('cache');
    const system = newFolder('system');
    const status = (name: DatasetName) => datasetStatus(name, cacheDir, { systemRoots: [system] });
    expect(await status('mnist')).toEqual({ name: 'mnist', present: false, location: null, sizeBytes: null });
    await expect(loadDataset(datasetConfigSchema.parse({ name: 'mnist' }), { cacheDir, systemRoots: [system] })).rejects.toThrow(
      `mnist is not available: looked in ${join(cacheDir, 'mnist')}, ${join(system, 'mnist')}; download or import it first`,
    );
    writeIdxDataset(join(system, 'mnist'), { train: 12, test: 10, gzip: false });
    expect(await status('mnist')).toEqual({ name: 'mnist', present: true, location: join(system, 'mnist'), sizeBytes: 2 * 16 + 2 * 8 + 22 * 784 + 22 });
    writeIdxDataset(join(cacheDir, 'mnist'), { train: 11, test: 10 });
    expect((await status('mnist')).location).toBe(join(cacheDir, 'mnist'));
    const loaded = await loadDataset(datasetConfigSchema.parse({ name: 'mnist' }), { cacheDir, systemRoots: [system] });
    expect(loaded.train.count).toBe(11);
    expect(await status('image-folder')).toEqual({ name: 'image-folder', present: false, location: null, sizeBytes: null });
  });

  it("accepts the dotted file names some mirrors use (train-images.idx3-ubyte)", async () => {
    const folder = newFolder('dotted');
    writeIdxDataset(folder, { train: 10, test: 10, gzip: false });
    for (const base of ['train-images', 'train-labels', 't10k-images', 't10k-labels']) {
      const kind = base.endsWith('images') ? 'idx3' : 'idx1';
      renameSync(join(folder, `${base}-${kind}-ubyte`), join(folder, `${base}.${kind}-ubyte`));
    }
    expect((await load('mnist', folder)).train.count).toBe(10);
  });

  it('does not remember a failed load: fixing the file fixes the next load', async () => {
    const folder = newFolder('fixable');
    writeIdxDataset(folder, { train: 10, test: 10, gzip: false });
    const file = join(folder, 'train-labels-idx1-ubyte');
    const good = readFileSync(file);
    writeFileSync(file, good.subarray(0, 12));
    await expect(load('mnist', folder)).rejects.toThrow('truncated IDX labels file');
    writeFileSync(file, good);
    expect((await load('mnist', folder)).train.count).toBe(10);
  });
});
