// A folder of images, one sub-folder per class (the layout of Keras'
// image_dataset_from_directory and torchvision's ImageFolder), or train/ and test/
// folders laid out that way. Without test/, a fixed 20 % of each class is held out
// as the test set. That hold-out uses a constant seed, not the run's, so every run on
// the same folder is tested on the same images and their results stay comparable.
import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { datasetInputShape } from '../../../shared/datasets';
import { Rng } from '../../random';
import { DatasetError } from '../errors';
import { isDirectory, readRegularFile } from '../file-bytes';
import { decodeImage } from '../image-decode';
import { resizeRgbaToRgb } from '../resize';
import type { ImageSet } from '../types';
import type { DatasetFormat } from './format';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];
export const IMAGE_FOLDER_TEST_FRACTION = 0.2;
const MAX_CLASSES = 256; // labels are stored as bytes

interface LabelledFile {
  file: string;
  label: number;
}

async function subfolders(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function imagesOfClass(classFolder: string): Promise<string[]> {
  const entries = await readdir(classFolder, { withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && IMAGE_EXTENSIONS.includes(extname(e.name).toLowerCase()))
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (files.length === 0) {
    throw new DatasetError(`empty class folder: expected at least one ${IMAGE_EXTENSIONS.join('/')} image`, classFolder);
  }
  return files.map((name) => join(classFolder, name));
}

async function classFolders(folder: string): Promise<string[]> {
  const classes = await subfolders(folder);
  if (classes.length === 0) throw new DatasetError('expected one sub-folder per class, found none', folder);
  if (classes.length > MAX_CLASSES) throw new DatasetError(`expected at most ${MAX_CLASSES} class folders, found ${classes.length}`, folder);
  return classes;
}

async function listSplit(folder: string, classNames: string[]): Promise<LabelledFile[]> {
  const found: LabelledFile[] = [];
  for (const className of await subfolders(folder)) {
    const label = classNames.indexOf(className);
    if (label < 0) {
      throw new DatasetError(`class folder "${className}" has no counterpart in train/: expected one of ${classNames.join(', ')}`, join(folder, className));
    }
    for (const file of await imagesOfClass(join(folder, className))) found.push({ file, label });
  }
  return found;
}

async function decodeAll(files: LabelledFile[], imageSize: number): Promise<ImageSet> {
  const pixels = imageSize * imageSize * 3;
  const images = new Uint8Array(files.length * pixels);
  const labels = new Uint8Array(files.length);
  const chunk = 16; // overlap disk reads with decoding without holding every file in memory
  for (let start = 0; start < files.length; start += chunk) {
    const part = files.slice(start, start + chunk);
    const contents = await Promise.all(part.map((f) => readRegularFile(f.file)));
    part.forEach((f, k) => {
      const decoded = decodeImage(contents[k], f.file);
      images.set(resizeRgbaToRgb(decoded.data, decoded.width, decoded.height, imageSize), (start + k) * pixels);
      labels[start + k] = f.label;
    });
  }
  return { images, labels, count: files.length };
}

export interface ImageFolderData {
  classNames: string[];
  train: ImageSet;
  test: ImageSet;
}

const EXPECTED = 'expected a folder with one sub-folder per class';

/** The folder holding the class folders: train/ when there is one (with or without test/), otherwise the root. */
async function trainFolderOf(root: string): Promise<string> {
  if (!(await isDirectory(root))) throw new DatasetError(EXPECTED, root);
  return (await isDirectory(join(root, 'train'))) ? join(root, 'train') : root;
}

/** The class names, as training sees them: the sub-folders of train/ (or of the root), never train/ and test/ themselves. */
export async function imageFolderClassNames(root: string): Promise<string[]> {
  return classFolders(await trainFolderOf(root));
}

export async function readImageFolder(root: string, imageSize: number): Promise<ImageFolderData> {
  const trainFolder = await trainFolderOf(root);
  const testFolder = join(root, 'test');
  const classNames = await classFolders(trainFolder);
  let train: LabelledFile[];
  let test: LabelledFile[];
  if (trainFolder !== root && (await isDirectory(testFolder))) {
    train = await listSplit(trainFolder, classNames);
    test = await listSplit(testFolder, classNames);
  } else {
    train = [];
    test = [];
    for (let label = 0; label < classNames.length; label++) {
      const files = await imagesOfClass(join(trainFolder, classNames[label]));
      const order = Rng.derive(0, `image-folder-test:${classNames[label]}`).permutation(files.length);
      const testCount = files.length < 2 ? 0 : Math.max(1, Math.round(files.length * IMAGE_FOLDER_TEST_FRACTION));
      const testPicks = new Set(Array.from(order.subarray(0, testCount)));
      files.forEach((file, i) => (testPicks.has(i) ? test : train).push({ file, label }));
    }
  }
  return { classNames, train: await decodeAll(train, imageSize), test: await decodeAll(test, imageSize) };
}

export const imageFolderFormat: DatasetFormat = {
  name: 'image-folder',
  locate: async (path) => ((await isDirectory(path)) ? { format: 'image-folder', path, files: [] } : null),
  expected: async () => EXPECTED,
  async decode(location, { imageSize }) {
    const data = await readImageFolder(location.path, imageSize);
    return { ...data, inputShape: [imageSize, imageSize, 3] };
  },
  // Read in place from dataset.path: there is nothing to copy into the cache.
  stage: null,
  async preview({ name, imageSize, path }) {
    if (!path) throw new DatasetError(`required for image-folder (${EXPECTED})`);
    return { inputShape: datasetInputShape({ name, imageSize }), classNames: await imageFolderClassNames(path) };
  },
};
