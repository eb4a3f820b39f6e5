// Small datasets generated in the exact on-disk formats the readers accept: IDX
// (optionally gzipped), CIFAR-10 binary batches (loose or in a tar.gz made by the
// system's tar), and PNG/JPEG class folders. Pixel values encode (item, position)
// so a test can check every byte landed where it belongs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';

export function tempDir(label: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `kerv-data-${label}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** The pixel the generators put at byte `offset` of image `item`. */
export function fixturePixel(item: number, offset: number): number {
  return (item * 31 + offset * 7) % 256;
}

export function idxImages(count: number, rows: number, columns: number): Buffer {
  const bytes = Buffer.alloc(16 + count * rows * columns);
  bytes.writeUInt32BE(2051, 0);
  bytes.writeUInt32BE(count, 4);
  bytes.writeUInt32BE(rows, 8);
  bytes.writeUInt32BE(columns, 12);
  for (let i = 0; i < count; i++) for (let p = 0; p < rows * columns; p++) bytes[16 + i * rows * columns + p] = fixturePixel(i, p);
  return bytes;
}

export function idxLabels(labels: number[]): Buffer {
  const bytes = Buffer.alloc(8 + labels.length);
  bytes.writeUInt32BE(2049, 0);
  bytes.writeUInt32BE(labels.length, 4);
  labels.forEach((l, i) => (bytes[8 + i] = l));
  return bytes;
}

/** label of item i in the generated sets: cycles through the classes. */
export const fixtureLabel = (i: number, classes = 10): number => i % classes;

export interface IdxFixtureOptions {
  train?: number;
  test?: number;
  rows?: number;
  columns?: number;
  gzip?: boolean;
}

/** Writes the four IDX files of an MNIST-like dataset into `folder`. */
export function writeIdxDataset(folder: string, options: IdxFixtureOptions = {}): void {
  const { train = 50, test = 20, rows = 28, columns = 28, gzip = true } = options;
  mkdirSync(folder, { recursive: true });
  const write = (name: string, bytes: Buffer) => writeFileSync(join(folder, gzip ? `${name}.gz` : name), gzip ? gzipSync(bytes) : bytes);
  write('train-images-idx3-ubyte', idxImages(train, rows, columns));
  write('train-labels-idx1-ubyte', idxLabels(Array.from({ length: train }, (_, i) => fixtureLabel(i))));
  write('t10k-images-idx3-ubyte', idxImages(test, rows, columns));
  write('t10k-labels-idx1-ubyte', idxLabels(Array.from({ length: test }, (_, i) => fixtureLabel(i))));
}

/** CIFAR records: label byte, then the R, G and B planes. Pixel (y, x, ch) of item i = fixturePixel(i, (y*32+x)*3+ch). */
export function cifarBatch(firstItem: number, count: number): Buffer {
  const bytes = Buffer.alloc(count * 3073);
  for (let r = 0; r < count; r++) {
    const item = firstItem + r;
    const record = r * 3073;
    bytes[record] = fixtureLabel(item);
    for (let p = 0; p < 1024; p++) for (let ch = 0; ch < 3; ch++) bytes[record + 1 + ch * 1024 + p] = fixturePixel(item, p * 3 + ch);
  }
  return bytes;
}

export const CIFAR_FIXTURE_PER_BATCH = 4;
export const CIFAR_FIXTURE_TEST = 6;

/** data_batch_1..5.bin (4 records each) and test_batch.bin (6) in `folder`. */
export function writeCifarFolder(folder: string): void {
  mkdirSync(folder, { recursive: true });
  for (let b = 1; b <= 5; b++) writeFileSync(join(folder, `data_batch_${b}.bin`), cifarBatch((b - 1) * CIFAR_FIXTURE_PER_BATCH, CIFAR_FIXTURE_PER_BATCH));
  writeFileSync(join(folder, 'test_batch.bin'), cifarBatch(0, CIFAR_FIXTURE_TEST));
  writeFileSync(join(folder, 'batches.meta.txt'), 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n');
}

/** cifar-10-binary.tar.gz laid out like the official one (a cifar-10-batches-bin/ folder), made by the system's tar. */
export function writeCifarArchive(root: string, format: 'gnu' | 'ustar' | 'pax' = 'gnu'): string {
  const work = join(root, `cifar-src-${format}`);
  writeCifarFolder(join(work, 'cifar-10-batches-bin'));
  const archive = join(root, `cifar-10-binary-${format}.tar.gz`);
  execFileSync('tar', [`--format=${format}`, '-czf', archive, '-C', work, 'cifar-10-batches-bin']);
  return archive;
}

export function pngBytes(width: number, height: number, rgba: (x: number, y: number) => [number, number, number, number], colorType: 0 | 2 | 4 | 6 = 6): Buffer {
  const png = new pngjs.PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) png.data.set(rgba(x, y), (y * width + x) * 4);
  }
  return pngjs.PNG.sync.write(png, { colorType });
}

export function jpegBytes(width: number, height: number, rgb: (x: number, y: number) => [number, number, number]): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set([...rgb(x, y), 255], (y * width + x) * 4);
  }
  return jpeg.encode({ width, height, data }, 95).data;
}

export function writeFile(path: string, bytes: Uint8Array | string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, bytes);
}
