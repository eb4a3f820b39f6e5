// The IDX format of MNIST and Fashion-MNIST (yann.lecun.com/exdb/mnist): a big-endian
// header — magic number (0x0000 0803 for 3-D unsigned-byte images, 0x0000 0801 for
// 1-D unsigned-byte labels) then one uint32 per dimension — followed by the bytes.
// Four files make a dataset (train/test × images/labels), each gzipped or raw.
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DATASET_SPECS } from '../../../shared/datasets';
import { DatasetError } from '../errors';
import { isDirectory, readDataFile } from '../file-bytes';
import type { ImageSet } from '../types';
import { declaredPreview, type DataLocation, type DatasetFormat, type Decoded, type DecodeOptions } from './format';

/** The four files of an IDX dataset, by role, in the order a location lists them. */
export const IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;
type IdxRole = keyof typeof IDX_FILES;
const ROLES = Object.keys(IDX_FILES) as IdxRole[];

export const IDX_IMAGES_MAGIC = 2051;
export const IDX_LABELS_MAGIC = 2049;

function readHeader(bytes: Uint8Array, file: string, magic: number, dims: number, what: string): number[] {
  const headerBytes = 4 + 4 * dims;
  const truncatedHeader = () =>
    new DatasetError(`truncated IDX ${what} file: expected at least ${headerBytes} header bytes, found ${bytes.length}`, file);
  if (bytes.length < 4) throw truncatedHeader();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found = view.getUint32(0, false);
  if (found !== magic) {
    throw new DatasetError(`wrong magic number ${found}: expected ${magic} (IDX ${what})`, file);
  }
  if (bytes.length < headerBytes) throw truncatedHeader();
  const sizes: number[] = [];
  for (let d = 0; d < dims; d++) sizes.push(view.getUint32(4 + 4 * d, false));
  const expected = headerBytes + sizes.reduce((a, b) => a * b, 1);
  if (bytes.length !== expected) {
    const shape = sizes.join('×');
    const kind = bytes.length < expected ? 'truncated' : 'oversized';
    throw new DatasetError(`${kind} IDX ${what} file (${shape}): expected ${expected} bytes, found ${bytes.length}`, file);
  }
  return sizes;
}

export interface IdxImages {
  images: Uint8Array;
  count: number;
  rows: number;
  columns: number;
}

export function parseIdxImages(bytes: Uint8Array, file: string): IdxImages {
  const [count, rows, columns] = readHeader(bytes, file, IDX_IMAGES_MAGIC, 3, 'images');
  return { images: bytes.subarray(16), count, rows, columns };
}

export function parseIdxLabels(bytes: Uint8Array, file: string, classCount: number): Uint8Array {
  const [count] = readHeader(bytes, file, IDX_LABELS_MAGIC, 1, 'labels');
  const labels = bytes.subarray(8, 8 + count);
  checkLabelRange(labels, classCount, file);
  return labels;
}

export function checkLabelRange(labels: Uint8Array, classCount: number, file: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= classCount) {
      throw new DatasetError(`label ${labels[i]} of item ${i} is out of range: expected 0..${classCount - 1}`, file);
    }
  }
}

/** Joins an images file and a labels file into one set, checking that they describe the same items. */
export function joinIdx(images: IdxImages, imagesFile: string, labels: Uint8Array, labelsFile: string): ImageSet {
  if (images.count !== labels.length) {
    throw new DatasetError(
      `mismatched counts: ${images.count} images in ${imagesFile} but ${labels.length} labels; expected one label per image`,
      labelsFile,
    );
  }
  return { images: images.images, labels, count: images.count };
}

/** The accepted names of one IDX file: published (.gz), extracted, and the dotted variant some mirrors use. */
function idxFileNames(role: IdxRole): string[] {
  const base = IDX_FILES[role];
  const dotted = base.replace(/-(idx\d)/, '.$1');
  return [`${base}.gz`, base, `${dotted}.gz`, dotted];
}

async function findIdx(folder: string): Promise<{ files: string[]; missing: IdxRole[] }> {
  const files: string[] = [];
  const missing: IdxRole[] = [];
  const present = new Set(await readdir(folder).catch(() => [] as string[]));
  for (const role of ROLES) {
    const name = idxFileNames(role).find((n) => present.has(n));
    if (name) files.push(join(folder, name));
    else missing.push(role);
  }
  return { files, missing };
}

async function decodeIdx(location: DataLocation, { name }: DecodeOptions): Promise<Decoded> {
  const [trainImagesFile, trainLabelsFile, testImagesFile, testLabelsFile] = location.files;
  const [trainImagesBytes, trainLabelsBytes, testImagesBytes, testLabelsBytes] = await Promise.all(location.files.map(readDataFile));
  const trainImages = parseIdxImages(trainImagesBytes, trainImagesFile);
  const testImages = parseIdxImages(testImagesBytes, testImagesFile);
  if (trainImages.rows !== testImages.rows || trainImages.columns !== testImages.columns) {
    throw new DatasetError(
      `test images are ${testImages.rows}×${testImages.columns}: expected ${trainImages.rows}×${trainImages.columns} like ${trainImagesFile}`,
      testImagesFile,
    );
  }
  const classNames = [...(DATASET_SPECS[name].classNames ?? [])];
  const k = classNames.length;
  return {
    classNames,
    inputShape: [trainImages.rows, trainImages.columns, 1],
    train: joinIdx(trainImages, trainImagesFile, parseIdxLabels(trainLabelsBytes, trainLabelsFile, k), trainLabelsFile),
    test: joinIdx(testImages, testImagesFile, parseIdxLabels(testLabelsBytes, testLabelsFile, k), testLabelsFile),
  };
}

export const idxFormat: DatasetFormat = {
  name: 'idx',
  async locate(path) {
    if (!(await isDirectory(path))) return null;
    const { files, missing } = await findIdx(path);
    return missing.length === 0 ? { format: 'idx', path, files } : null;
  },
  async expected(path) {
    const { missing } = await findIdx(path);
    return `expected the IDX files ${missing.map((r) => `${IDX_FILES[r]}(.gz)`).join(', ')}`;
  },
  decode: decodeIdx,
  async stage(location, staging) {
    await mkdir(staging, { recursive: true });
    for (const file of location.files) await copyFile(file, join(staging, basename(file)));
  },
  preview: async ({ name }) => declaredPreview(name),
};
