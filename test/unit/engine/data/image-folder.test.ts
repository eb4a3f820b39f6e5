// The image-folder reader: PNG and JPEG class folders, resized to imageSize with an
// area / bilinear resampler, everything brought to 3 channels; and its errors.

import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDataset, prepareData, previewDataset } from '../../../../src-main/engine/data';
import { resizeRgbaToRgb } from '../../../../src-main/engine/data/resize';
import { datasetConfigSchema } from '../../../../src-main/shared/run-config';
import { jpegBytes, pngBytes, tempDir, writeFile } from './fixtures';

const root = tempDir('image-folder');
afterAll(root.remove);
let folderCount = 0;
const newFolder = () => join(root.path, `folder-${folderCount++}`);
const load = (path: string, imageSize = 8) =>
  loadDataset(datasetConfigSchema.parse({ name: 'image-folder', path, imageSize }), { cacheDir: join(root.path, 'cache'), systemRoots: [] });

const solid = (r: number, g: number, b: number) => (): [number, number, number, number] => [r, g, b, 255];

describe('resampler', () => {
  it('shrinks by averaging the covered area', () => {
    // 4×4 image of 2×2 blocks, each block one colour: halving gives exactly the block colours.
    const rgba = new Uint8Array(4 * 4 * 4);
    const blockValue = (bx: number, by: number) => 40 * (by * 2 + bx) + 10;
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) rgba.set([blockValue(x >> 1, y >> 1), 0, 255, 255], (y * 4 + x) * 4);
    const out = resizeRgbaToRgb(rgba, 4, 4, 2);
    expect(Array.from(out)).toEqual([10, 0, 255, 50, 0, 255, 90, 0, 255, 130, 0, 255]);
    // A one-pixel line keeps its share of intensity instead of vanishing (what nearest-neighbour would do).
    const line = new Uint8Array(3 * 3 * 4);
    for (let y = 0; y < 3; y++) line.set([255, 255, 255, 255], (y * 3 + 1) * 4);
    expect(resizeRgbaToRgb(line, 3, 3, 1)[0]).toBe(85);
  });

  it('enlarges bilinearly with half-pixel centres, and drops alpha', () => {
    const rgba = new Uint8Array([0, 0, 0, 0, 200, 200, 200, 128]); // 2×1: black (transparent), grey
    const out = resizeRgbaToRgb(rgba, 2, 1, 4);
    // Output centres at source x = -0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1).
    expect(Array.from(out.subarray(0, 12)).filter((_, i) => i % 3 === 0)).toEqual([0, 50, 150, 200]);
  });

  it('keeps an image of the target size unchanged', () => {
    const rgba = Uint8Array.from({ length: 3 * 3 * 4 }, (_, i) => (i * 37) % 256);
    const out = resizeRgbaToRgb(rgba, 3, 3, 3);
    expect(Array.from(out)).toEqual(Array.from(rgba).filter((_, i) => i % 4 !== 3));
  });
});

describe('image-folder datasets', () => {
  it('reads PNG (RGBA, RGB, grayscale) and JPEG class folders with train/ and test/ splits', async () => {
    const folder = newFolder();
    writeFile(join(folder, 'train', 'cat', 'a.png'), pngBytes(16, 16, solid(200, 10, 30)));
    writeFile(join(folder, 'train', 'cat', 'b.PNG'), pngBytes(12, 20, solid(190, 20, 40), 2));
    writeFile(join(folder, 'train', 'ant', 'a.jpg'), jpegBytes(16, 16, () => [20, 120, 220]));
    writeFile(join(folder, 'train', 'ant', 'notes.txt'), 'not an image, ignored');
    writeFile(join(folder, 'train', 'bee', 'gray.png'), pngBytes(8, 8, solid(77, 77, 77), 0));
    writeFile(join(folder, 'test', 'bee', 'x.jpeg'), jpegBytes(4, 4, () => [250, 250, 0]));
    const data = await load(folder, 8);
    expect(data.classNames).toEqual(['ant', 'bee', 'cat']);
    expect(data.inputShape).toEqual([8, 8, 3]);
    expect(data.train.count).toBe(4);
    expect(data.test.count).toBe(1);
    expect(Array.from(data.train.labels)).toEqual([0, 1, 2, 2]);
    expect(Array.from(data.test.labels)).toEqual([1]);
    const pixel = (set: typeof data.train, item: number) => Array.from(set.images.subarray(item * 192, item * 192 + 3));
    const near = (actual: number[], expected: number[]) => actual.forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThanOrEqual(3));
    near(pixel(data.train, 0), [20, 120, 220]); // JPEG is lossy
    expect(pixel(data.train, 1)).toEqual([77, 77, 77]); // grayscale → 3 equal channels
    expect(pixel(data.train, 2)).toEqual([200, 10, 30]);
    expect(pixel(data.train, 3)).toEqual([190, 20, 40]); // a 12×20 image stretched to 8×8
    near(pixel(data.test, 0), [250, 250, 0]);
  });

  it('without train/ and test/, holds out a fixed 20 % of each class as the test set', async () => {
    const folder = newFolder();
    for (let i = 0; i < 10; i++) writeFile(join(folder, 'dog', `${i}.png`), pngBytes(4, 4, solid(i * 20, 0, 0)));
    for (let i = 0; i < 5; i++) writeFile(join(folder, 'fox', `${i}.png`), pngBytes(4, 4, solid(0, i * 20, 0)));
    writeFile(join(folder, 'owl', 'only.png'), pngBytes(4, 4, solid(0, 0, 9)));
    const first = await load(folder, 8);
    expect(first.classNames).toEqual(['dog', 'fox', 'owl']);
    expect(first.test.count).toBe(2 + 1 + 0);
    expect(first.train.count).toBe(8 + 4 + 1);
    expect(Array.from(first.test.labels)).toEqual([0, 0, 1]);
    // The same folder in another place gives the same split: the hold-out does not depend on a run's seed.
    const copy = newFolder();
    for (let i = 0; i < 10; i++) writeFile(join(copy, 'dog', `${i}.png`), pngBytes(4, 4, solid(i * 20, 0, 0)));
    for (let i = 0; i < 5; i++) writeFile(join(copy, 'fox', `${i}.png`), pngBytes(4, 4, solid(0, i * 20, 0)));
    writeFile(join(copy, 'owl', 'only.png'), pngBytes(4, 4, solid(0, 0, 9)));
    const second = await load(copy, 8);
    expect(Buffer.compare(first.test.images, second.test.images)).toBe(0);
    expect(second.fingerprint).toBe(first.fingerprint);
    // imageSize is part of the data: another size is another decode and another fingerprint.
    const larger = await load(copy, 16);
    expect(larger.inputShape).toEqual([16, 16, 3]);
    expect(larger.fingerprint).not.toBe(first.fingerprint);
  });

  it('uses train/ alone as the class folders, holding out the test set from it', async () => {
    const folder = newFolder();
    for (let i = 0; i < 5; i++) writeFile(join(folder, 'train', 'x', `${i}.png`), pngBytes(4, 4, solid(i, 0, 0)));
    for (let i = 0; i < 5; i++) writeFile(join(folder, 'train', 'y', `${i}.png`), pngBytes(4, 4, solid(0, i, 0)));
    const data = await load(folder, 8);
    expect(data.classNames).toEqual(['x', 'y']);
    expect([data.train.count, data.test.count]).toEqual([8, 2]);
  });

  it('a subset larger than the folder holds is refused when the run loads it, naming the folder, the field and the count (was: trained on fewer, silently)', async () => {
    const folder = newFolder();
    for (const cls of ['x', 'y']) for (let i = 0; i < 10; i++) writeFile(join(folder, 'train', cls, `${i}.png`), pngBytes(4, 4, solid(i, 0, 0)));
    const data = await load(folder, 8);
    expect([data.train.count, data.test.count]).toEqual([16, 4]);
    const config = (subsets: object) => datasetConfigSchema.parse({ name: 'image-folder', path: folder, imageSize: 8, ...subsets });
    // 16 training images less the 2 that validation holds out: 14 to train on, 4 to test on.
    expect(() => prepareData(data, config({ trainSubset: 15, testSubset: 10 }), 1)).toThrow(
      `${folder}: dataset.trainSubset: 15 is more than Image folder's 14 training images (16, less the 2 that dataset.validationFraction 0.1 holds out for validation); ` +
        "dataset.testSubset: 10 is more than Image folder's 4 test images; lower it or leave it out to use the whole split",
    );
    const fits = prepareData(data, config({ trainSubset: 14 }), 1);
    expect([fits.train.count, fits.test.count]).toEqual([14, 4]);
  });

  describe('bad folders', () => {
    it('an empty class folder', async () => {
      const folder = newFolder();
      writeFile(join(folder, 'a', 'x.png'), pngBytes(4, 4, solid(1, 2, 3)));
      writeFile(join(folder, 'b', 'readme.txt'), 'no images here');
      await expect(load(folder)).rejects.toThrow(`${join(folder, 'b')}: empty class folder: expected at least one .png/.jpg/.jpeg image`);
    });

    it('a file that is not an image', async () => {
      const folder = newFolder();
      writeFile(join(folder, 'a', 'x.png'), 'hello');
      await expect(load(folder)).rejects.toThrow(`${join(folder, 'a', 'x.png')}: unreadable image: expected a PNG or JPEG file (unrecognised signature bytes)`);
    });

    it('a damaged PNG', async () => {
      const folder = newFolder();
      const png = pngBytes(16, 16, solid(1, 2, 3));
      writeFile(join(folder, 'a', 'x.png'), png.subarray(0, 40));
      await expect(load(folder)).rejects.toThrow(`${join(folder, 'a', 'x.png')}: unreadable image: expected a valid PNG file`);
    });

    it('a damaged JPEG', async () => {
      const folder = newFolder();
      writeFile(join(folder, 'a', 'x.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3]));
      await expect(load(folder)).rejects.toThrow(`${join(folder, 'a', 'x.jpg')}: unreadable image: expected a valid JPEG file`);
    });

    it('no class folders at all', async () => {
      const folder = newFolder();
      writeFile(join(folder, 'loose.png'), pngBytes(4, 4, solid(1, 2, 3)));
      await expect(load(folder)).rejects.toThrow(`${folder}: expected one sub-folder per class, found none`);
    });

    it('a test class that training does not have', async () => {
      const folder = newFolder();
      writeFile(join(folder, 'train', 'a', 'x.png'), pngBytes(4, 4, solid(1, 2, 3)));
      writeFile(join(folder, 'test', 'z', 'x.png'), pngBytes(4, 4, solid(1, 2, 3)));
      await expect(load(folder)).rejects.toThrow(`${join(folder, 'test', 'z')}: class folder "z" has no counterpart in train/: expected one of a`);
    });

    it('a path that is not a folder, and no path at all', async () => {
      const folder = newFolder();
      writeFile(join(folder, 'file.png'), pngBytes(4, 4, solid(1, 2, 3)));
      await expect(load(join(folder, 'file.png'))).rejects.toThrow(`${join(folder, 'file.png')}: expected a folder with one sub-folder per class`);
      await expect(
        loadDataset(datasetConfigSchema.parse({ name: 'image-folder' }), { cacheDir: root.path }),
      ).rejects.toThrow('dataset.path is required for image-folder');
    });
  });
});


describe('image-folder preview', () => {
  it('counts the class folders inside train/, not train/ and test/ themselves: the preview agrees with training', async () => {
    const folder = newFolder();
    for (const name of ['ant', 'bee', 'cat']) {
      writeFile(join(folder, 'train', name, 'a.png'), pngBytes(4, 4, solid(1, 2, 3)));
      writeFile(join(folder, 'test', name, 'b.png'), pngBytes(4, 4, solid(1, 2, 3)));
    }
    const preview = await previewDataset({ name: 'image-folder', path: folder, imageSize: 8 });
    expect(preview).toEqual({ inputShape: [8, 8, 3], classNames: ['ant', 'bee', 'cat'] });
    expect(preview.classNames).toEqual((await load(folder)).classNames);
  });

  it('names dataset.path when there is none, and the folder when it holds no class folders', async () => {
    await expect(previewDataset({ name: 'image-folder', imageSize: 8 })).rejects.toThrow('required for image-folder (expected a folder with one sub-folder per class)');
    const empty = newFolder();
    writeFile(join(empty, 'readme.txt'), 'no classes here');
    await expect(previewDataset({ name: 'image-folder', path: empty, imageSize: 8 })).rejects.toThrow(`${empty}: expected one sub-folder per class, found none`);
  });
});
