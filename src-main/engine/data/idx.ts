// The IDX format of MNIST and Fashion-MNIST (yann.lecun.com/exdb/mnist): a big-endian
// header — magic number (0x0000 0803 for 3-D unsigned-byte images, 0x0000 0801 for
// 1-D unsigned-byte labels) then one uint32 per dimension — followed by the bytes.
import { DatasetError } from './errors';
import type { ImageSet } from './types';

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
