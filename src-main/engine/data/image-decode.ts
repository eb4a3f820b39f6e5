// Decodes PNG (pngjs) and JPEG (jpeg-js) files to RGBA, recognised by their
// signature bytes rather than the extension, with the file named on failure.
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { DatasetError } from './errors';

export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

function startsWith(bytes: Uint8Array, signature: number[]): boolean {
  return signature.every((b, i) => bytes[i] === b);
}

export function decodeImage(bytes: Uint8Array, file: string): RgbaImage {
  const kind = startsWith(bytes, PNG_SIGNATURE) ? 'PNG' : startsWith(bytes, JPEG_SIGNATURE) ? 'JPEG' : null;
  if (!kind) throw new DatasetError('unreadable image: expected a PNG or JPEG file (unrecognised signature bytes)', file);
  try {
    if (kind === 'PNG') {
      const png = pngjs.PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: png.data };
    }
    const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
    return { width: image.width, height: image.height, data: image.data };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatasetError(`unreadable image: expected a valid ${kind} file (${reason})`, file);
  }
}
