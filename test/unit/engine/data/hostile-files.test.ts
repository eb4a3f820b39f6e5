// Data files someone sent you, built to hurt: an image whose header claims
// 30000 × 30000 pixels, a gzip bomb, a "file" that is a device. Each is refused
// with an error naming the file and the limit (and how to raise it), before the
// damage: no pixel decoded, no bomb inflated past the limit, no device read.
import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, gzipSync } from 'node:zlib';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadDataset } from '../../../../src-main/engine/data';
import { setLimit } from '../../../../src-main/shared/limits';
import { datasetConfigSchema, type DatasetName } from '../../../../src-main/shared/run-config';
import { jpegBytes, pngBytes, tempDir, writeFile, writeIdxDataset } from './fixtures';

const root = tempDir('hostile-files');
afterAll(root.remove);
afterEach(() => setLimit('MAX_DECOMPRESSED_BYTES', undefined));
let folderCount = 0;
const newFolder = () => join(root.path, `folder-${folderCount++}`);
const load = (name: DatasetName, path: string) =>
  loadDataset(datasetConfigSchema.parse({ name, path, imageSize: 8 }), { cacheDir: join(root.path, 'cache'), systemRoots: [] });

/** A real PNG whose IHDR now claims width × height (CRC fixed, so only the size is a lie): about 100 bytes. */
function pngClaiming(width: number, height: number): Buffer {
  const png = Buffer.from(pngBytes(2, 2, () => [1, 2, 3, 255]));
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29); // CRC over "IHDR" + its 13 data bytes
  return png;
}

/** A real baseline JPEG whose start-of-frame now claims width × height. */
function jpegClaiming(width: number, height: number): Buffer {
  const jpeg = Buffer.from(jpegBytes(8, 8, () => [9, 9, 9]));
  const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
  jpeg.writeUInt16BE(height, sof + 5);
  jpeg.writeUInt16BE(width, sof + 7);
  return jpeg;
}

/** An image folder with one good image per class and `bad` as ant/bad.<ext>. */
function folderWith(bad: Buffer, extension: string): { folder: string; file: string } {
  const folder = newFolder();
  writeFile(join(folder, 'bee', 'ok.png'), pngBytes(4, 4, () => [5, 5, 5, 255]));
  writeFile(join(folder, 'ant', 'ok.png'), pngBytes(4, 4, () => [5, 5, 5, 255]));
  const file = join(folder, 'ant', `bad.${extension}`);
  writeFile(file, bad);
  return { folder, file };
}

describe('hostile data files', () => {
  it('refuses a 100-byte PNG claiming 30000 × 30000 pixels before decoding it, naming the file and the limit', async () => {
    const bomb = pngClaiming(30_000, 30_000);
    expect(bomb.length).toBeLessThan(1024);
    const { folder, file } = folderWith(bomb, 'png');
    const error = await load('image-folder', folder).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toContain(file);
    expect(error?.message).toContain('30000 × 30000');
    expect(error?.message).toMatch(/MAX_IMAGE_PIXELS.*KERV_MAX_IMAGE_PIXELS/);
  });

  it('refuses a JPEG whose frame header claims 30000 × 30000 pixels the same way', async () => {
    const { folder, file } = folderWith(jpegClaiming(30_000, 30_000), 'jpg');
    await expect(load('image-folder', folder)).rejects.toThrow(new RegExp(`${file}: .*30000 × 30000.*MAX_IMAGE_PIXELS`));
  });

  it('stops inflating a gzip bomb at the limit, before reaching the end of the stream', async () => {
    setLimit('MAX_DECOMPRESSED_BYTES', 1024 * 1024);
    const folder = newFolder();
    writeIdxDataset(folder);
    // 64 MiB of zeros gzip to ~64 KB. The trailer's checksum is then broken: a reader
    // that inflated everything first would report that corruption; a bounded one
    // stops at 1 MiB and never gets there.
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    bomb.writeUInt32LE((bomb.readUInt32LE(bomb.length - 8) ^ 0xffffffff) >>> 0, bomb.length - 8);
    const file = join(folder, 'train-images-idx3-ubyte.gz');
    writeFileSync(file, bomb);
    const error = await load('mnist', folder).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toContain(file);
    expect(error?.message).toMatch(/the limit is 1 MiB \(MAX_DECOMPRESSED_BYTES; raise it with the environment variable KERV_MAX_DECOMPRESSED_BYTES\)/);
  });

  it('reads only regular files: a dataset file that is a device is refused, naming it', async () => {
    const folder = newFolder();
    writeIdxDataset(folder, { gzip: false });
    const file = join(folder, 'train-images-idx3-ubyte');
    // The images file becomes a link to a character device (/dev/zero would never end).
    rmSync(file);
    symlinkSync('/dev/null', file);
    await expect(load('mnist', folder)).rejects.toThrow(`${file}: not a regular file (a device, pipe or folder): only regular files are read`);
  });
});
