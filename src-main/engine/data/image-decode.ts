// Decodes PNG (pngjs) and JPEG (jpeg-js) files to RGBA, recognised by their
// signature bytes rather than the extension, with the file named on failure. The
// dimensions are read from the header first: a 1 KB file may claim 30000 × 30000
// pixels (3.6 GB of RGBA), so anything above MAX_IMAGE_PIXELS is refused before a
// single pixel is decoded.
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { LimitError, limitValue } from '../../shared/limits';
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

/** PNG: the IHDR chunk comes first, width and height big-endian at bytes 16 and 20. */
function pngSize(bytes: Uint8Array): { width: number; height: number } | null {
  if (bytes.length < 24) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** JPEG: walks the marker segments to the first start-of-frame (SOF0–SOF15 but DHT, JPG and DAC). */
function jpegSize(bytes: Uint8Array): { width: number; height: number } | null {
  let offset = 2;
  while (offset + 9 <= bytes.length) {
    if (bytes[offset] !== 0xff) return null;
    const marker = bytes[offset + 1];
    if (marker === 0xff) {
      offset++; // fill byte
      continue;
    }
    const length = (bytes[offset + 2] << 8) | bytes[offset + 3];
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) return { height: (bytes[offset + 5] << 8) | bytes[offset + 6], width: (bytes[offset + 7] << 8) | bytes[offset + 8] };
    if (marker === 0xda || length < 2) return null; // image data before any frame header: malformed
    offset += 2 + length;
  }
  return null;
}

export function decodeImage(bytes: Uint8Array, file: string): RgbaImage {
  const kind = startsWith(bytes, PNG_SIGNATURE) ? 'PNG' : startsWith(bytes, JPEG_SIGNATURE) ? 'JPEG' : null;
  if (!kind) throw new DatasetError('unreadable image: expected a PNG or JPEG file (unrecognised signature bytes)', file);
  const size = kind === 'PNG' ? pngSize(bytes) : jpegSize(bytes);
  if (!size) throw new DatasetError(`unreadable image: expected a valid ${kind} file (no image size in its header)`, file);
  const pixels = size.width * size.height;
  if (pixels > limitValue('MAX_IMAGE_PIXELS')) {
    throw new DatasetError(new LimitError('MAX_IMAGE_PIXELS', pixels, `this image (${size.width} × ${size.height})`).message, file);
  }
  try {
    if (kind === 'PNG') {
      const png = pngjs.PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: png.data };
    }
    // jpeg-js checks its own limits too; ours (above) is the one a user can raise.
    const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: Math.ceil(pixels / 1e6) + 1, maxMemoryUsageInMB: Math.ceil((pixels * 4) / 1e6) + 64 });
    return { width: image.width, height: image.height, data: image.data };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatasetError(`unreadable image: expected a valid ${kind} file (${reason})`, file);
  }
}
