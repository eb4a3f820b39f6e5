// The CIFAR-10 binary version (cs.toronto.edu/~kriz/cifar.html): each record is one
// label byte then 1024 red, 1024 green and 1024 blue bytes (32×32, row-major). We
// transpose to HWC so every dataset is laid out the same way in memory. A copy is
// the published cifar-10-binary.tar.gz (or any tar / tar.gz holding the batch files),
// its extracted cifar-10-batches-bin folder, or a folder holding the six files; the
// cache keeps them unpacked so loads skip decompressing 170 MB.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DATASET_SPECS } from '../../../shared/datasets';
import { DatasetError } from '../errors';
import { fileSize, gunzipNamed, isDirectory, isGzip, readDataFile, readRegularFile } from '../file-bytes';
import { readTar } from '../tar';
import type { ImageSet } from '../types';
import { declaredPreview, type DataLocation, type DatasetFormat, type Decoded } from './format';

export const CIFAR10_ARCHIVE = 'cifar-10-binary.tar.gz';
/** The folder inside the archive, and in the cache. */
export const CIFAR10_FOLDER = 'cifar-10-batches-bin';
const TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
const TEST_FILE = 'test_batch.bin';
/** A location in this order: the five training batches then the test batch; or the archive alone. */
const BATCH_FILES = [...TRAIN_FILES, TEST_FILE];

export const CIFAR_SIDE = 32;
const PLANE = CIFAR_SIDE * CIFAR_SIDE;
export const CIFAR_RECORD_BYTES = 1 + 3 * PLANE;

export function cifarRecordCount(bytes: Uint8Array, file: string): number {
  if (bytes.length === 0 || bytes.length % CIFAR_RECORD_BYTES !== 0) {
    throw new DatasetError(
      `wrong record size: ${bytes.length} bytes is not a whole number of ${CIFAR_RECORD_BYTES}-byte records ` +
        `(1 label byte + 3072 pixel bytes); expected a multiple of ${CIFAR_RECORD_BYTES}`,
      file,
    );
  }
  return bytes.length / CIFAR_RECORD_BYTES;
}

/** Decodes several batch files into one set, in file order. */
export function parseCifarBatches(files: { name: string; bytes: Uint8Array }[], classCount: number): ImageSet {
  const counts = files.map((f) => cifarRecordCount(f.bytes, f.name));
  const count = counts.reduce((a, b) => a + b, 0);
  const images = new Uint8Array(count * 3 * PLANE);
  const labels = new Uint8Array(count);
  let item = 0;
  files.forEach(({ name, bytes }, fileIndex) => {
    for (let r = 0; r < counts[fileIndex]; r++, item++) {
      const record = r * CIFAR_RECORD_BYTES;
      const label = bytes[record];
      if (label >= classCount) {
        throw new DatasetError(`label ${label} of record ${r} is out of range: expected 0..${classCount - 1}`, name);
      }
      labels[item] = label;
      const out = item * 3 * PLANE;
      const red = record + 1;
      for (let p = 0; p < PLANE; p++) {
        const o = out + 3 * p;
        images[o] = bytes[red + p];
        images[o + 1] = bytes[red + PLANE + p];
        images[o + 2] = bytes[red + 2 * PLANE + p];
      }
    }
  });
  return { images, labels, count };
}

interface NamedBytes {
  /** For messages: "<archive>:<path inside>" or a file path. */
  name: string;
  bytes: Uint8Array;
}

/** The six batch files inside a tar or tar.gz, in BATCH_FILES order. */
async function readArchive(archive: string): Promise<NamedBytes[]> {
  const raw = await readRegularFile(archive);
  const tar = isGzip(raw) ? await gunzipNamed(raw, archive) : raw;
  const entries = new Map(readTar(tar, archive).map((e) => [basename(e.path), e]));
  return BATCH_FILES.map((file) => {
    const entry = entries.get(file);
    if (!entry) throw new DatasetError(`expected ${file} in the archive, found ${[...entries.keys()].join(', ') || 'no files'}`, archive);
    return { name: `${archive}:${entry.path}`, bytes: entry.data };
  });
}

const isArchive = (location: DataLocation) => location.files.length === 1;

async function readBatches(location: DataLocation): Promise<NamedBytes[]> {
  if (isArchive(location)) return readArchive(location.files[0]);
  return Promise.all(location.files.map(async (file) => ({ name: file, bytes: await readDataFile(file) })));
}

async function findBatchFolder(folder: string): Promise<DataLocation | null> {
  for (const candidate of [folder, join(folder, CIFAR10_FOLDER)]) {
    const files = BATCH_FILES.map((f) => join(candidate, f));
    const sizes = await Promise.all(files.map(fileSize));
    if (sizes.every((size) => size !== null)) return { format: 'cifar10', path: candidate, files };
  }
  const archive = join(folder, CIFAR10_ARCHIVE);
  if ((await fileSize(archive)) !== null) return { format: 'cifar10', path: folder, files: [archive] };
  return null;
}

export const cifar10Format: DatasetFormat = {
  name: 'cifar10',
  async locate(path) {
    if ((await fileSize(path)) !== null) return { format: 'cifar10', path, files: [path] };
    return (await isDirectory(path)) ? findBatchFolder(path) : null;
  },
  async expected() {
    return `expected ${CIFAR10_ARCHIVE}, a ${CIFAR10_FOLDER} folder, or the files ${BATCH_FILES.join(', ')}`;
  },
  async decode(location, { name }): Promise<Decoded> {
    const batches = await readBatches(location);
    const classNames = [...(DATASET_SPECS[name].classNames ?? [])];
    const k = classNames.length;
    return {
      classNames,
      inputShape: [CIFAR_SIDE, CIFAR_SIDE, 3],
      train: parseCifarBatches(batches.slice(0, TRAIN_FILES.length), k),
      test: parseCifarBatches(batches.slice(TRAIN_FILES.length), k),
    };
  },
  async stage(location, staging) {
    const folder = join(staging, CIFAR10_FOLDER);
    await mkdir(folder, { recursive: true });
    if (isArchive(location)) {
      const batches = await readArchive(location.files[0]);
      for (const [i, batch] of batches.entries()) await writeFile(join(folder, BATCH_FILES[i]), batch.bytes);
    } else {
      for (const file of location.files) await copyFile(file, join(folder, basename(file)));
    }
  },
  preview: async ({ name }) => declaredPreview(name),
};
