// The CIFAR-10 binary version (cs.toronto.edu/~kriz/cifar.html): each record is one
// label byte then 1024 red, 1024 green and 1024 blue bytes (32×32, row-major). We
// transpose to HWC so every dataset is laid out the same way in memory.
import { DatasetError } from './errors';
import type { ImageSet } from './types';

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
