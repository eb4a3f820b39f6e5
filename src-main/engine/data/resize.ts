// Resizes an RGBA image to size×size RGB. Separable filter with precomputed taps:
// area averaging when shrinking (every source pixel contributes in proportion to the
// overlap, so thin lines do not alias away) and bilinear with half-pixel centres
// when enlarging. Alpha is dropped, as PIL's convert('RGB') does; grayscale PNGs and
// JPEGs arrive as RGBA with R = G = B, so every image ends with 3 channels.

interface Taps {
  /** For output pixel i: taps at offset[i] .. offset[i + 1] in source/weight. */
  offset: Int32Array;
  source: Int32Array;
  weight: Float32Array;
}

function axisTaps(sourceSize: number, targetSize: number): Taps {
  const offset = new Int32Array(targetSize + 1);
  const source: number[] = [];
  const weight: number[] = [];
  const scale = sourceSize / targetSize;
  for (let i = 0; i < targetSize; i++) {
    offset[i] = source.length;
    if (scale > 1) {
      const from = i * scale;
      const to = from + scale;
      for (let j = Math.floor(from); j < Math.min(sourceSize, Math.ceil(to)); j++) {
        const overlap = Math.min(to, j + 1) - Math.max(from, j);
        if (overlap > 1e-9) {
          source.push(j);
          weight.push(overlap / scale);
        }
      }
    } else {
      const x = Math.min(Math.max((i + 0.5) * scale - 0.5, 0), sourceSize - 1);
      const j = Math.floor(x);
      const t = x - j;
      source.push(j);
      weight.push(1 - t);
      if (t > 0) {
        source.push(Math.min(j + 1, sourceSize - 1));
        weight.push(t);
      }
    }
  }
  offset[targetSize] = source.length;
  return { offset, source: Int32Array.from(source), weight: Float32Array.from(weight) };
}

/** rgba: width×height×4 bytes. Returns size×size×3 bytes. */
export function resizeRgbaToRgb(rgba: Uint8Array, width: number, height: number, size: number): Uint8Array {
  const horizontal = axisTaps(width, size);
  const vertical = axisTaps(height, size);
  // Pass 1: every source row to `size` columns.
  const rows = new Float32Array(height * size * 3);
  for (let y = 0; y < height; y++) {
    const rowIn = y * width * 4;
    const rowOut = y * size * 3;
    for (let x = 0; x < size; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let t = horizontal.offset[x]; t < horizontal.offset[x + 1]; t++) {
        const p = rowIn + horizontal.source[t] * 4;
        const w = horizontal.weight[t];
        r += rgba[p] * w;
        g += rgba[p + 1] * w;
        b += rgba[p + 2] * w;
      }
      rows[rowOut + 3 * x] = r;
      rows[rowOut + 3 * x + 1] = g;
      rows[rowOut + 3 * x + 2] = b;
    }
  }
  // Pass 2: columns to `size` rows.
  const out = new Uint8Array(size * size * 3);
  const stride = size * 3;
  for (let y = 0; y < size; y++) {
    for (let k = 0; k < stride; k++) {
      let v = 0;
      for (let t = vertical.offset[y]; t < vertical.offset[y + 1]; t++) v += rows[vertical.source[t] * stride + k] * vertical.weight[t];
      out[y * stride + k] = Math.min(255, Math.max(0, Math.round(v)));
    }
  }
  return out;
}
