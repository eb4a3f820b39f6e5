// Encodes one dataset image as a PNG (base64) for the UI: the raw pixels, not the
// normalised ones, grayscale stays grayscale.
import pngjs from 'pngjs';
import type { ImageSet } from './types';

export function encodeImagePng(set: ImageSet, inputShape: [number, number, number], item: number): string {
  const [height, width, channels] = inputShape;
  if (!Number.isInteger(item) || item < 0 || item >= set.count) throw new Error(`image ${item} is out of range: expected 0..${set.count - 1}`);
  const pixels = height * width;
  const start = item * pixels * channels;
  const rgba = Buffer.alloc(pixels * 4);
  for (let p = 0; p < pixels; p++) {
    const s = start + p * channels;
    rgba[4 * p] = set.images[s];
    rgba[4 * p + 1] = set.images[channels === 1 ? s : s + 1];
    rgba[4 * p + 2] = set.images[channels === 1 ? s : s + 2];
    rgba[4 * p + 3] = 255;
  }
  const png = new pngjs.PNG({ width, height });
  png.data = rgba;
  return pngjs.PNG.sync.write(png, { colorType: channels === 1 ? 0 : 2 }).toString('base64');
}
