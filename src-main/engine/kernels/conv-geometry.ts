// Convolution geometry shared by every kervolution: output size and padding exactly
// as tf.conv2d / TensorFlow define them, for any combination of strides and
// dilation. tf.conv2d itself refuses strides > 1 together with dilation > 1 and has
// no gradient for dilation > 1, so dilated convolutions here run as ordinary
// convolutions with a zero-dilated filter (differentiable through pad/reshape).
import * as tf from '@tensorflow/tfjs';

export type Pair = [number, number];

export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  kh: number;
  kw: number;
  outC: number;
  strides: Pair;
  dilation: Pair;
  /** Effective (dilated) filter extent: (k - 1) * dilation + 1. */
  effH: number;
  effW: number;
  outH: number;
  outW: number;
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
}

/** Accepts n or [h, w]; names the field in the error when the value is not a positive integer. */
export function toPair(value: number | readonly number[] | undefined, fallback: number, field: string): Pair {
  const pair: number[] = value === undefined ? [fallback, fallback] : typeof value === 'number' ? [value, value] : [...value];
  if (pair.length !== 2 || !pair.every((v) => Number.isInteger(v) && v >= 1)) {
    throw new Error(`${field} must be a positive integer or a pair of them, got ${JSON.stringify(value)}`);
  }
  return pair as Pair;
}

function samePadding(inSize: number, stride: number, eff: number): { out: number; before: number; after: number } {
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + eff - inSize, 0);
  const before = Math.floor(total / 2);
  return { out, before, after: total - before };
}

export function convGeometry(
  xShape: readonly number[],
  wShape: readonly number[],
  strides: Pair,
  padding: 'valid' | 'same',
  dilation: Pair,
): ConvGeometry {
  if (xShape.length !== 4) throw new Error(`x must be NHWC [batch, height, width, inChannels], got shape [${xShape.join(', ')}]`);
  if (wShape.length !== 4) throw new Error(`w must be [kh, kw, inChannels, outChannels], got shape [${wShape.join(', ')}]`);
  const [batch, inH, inW, inC] = xShape;
  const [kh, kw, wInC, outC] = wShape;
  if (wInC !== inC) throw new Error(`w has ${wInC} input channels but x has ${inC}`);
  if (padding !== 'valid' && padding !== 'same') throw new Error(`padding must be 'valid' or 'same', got ${JSON.stringify(padding)}`);
  const effH = (kh - 1) * dilation[0] + 1;
  const effW = (kw - 1) * dilation[1] + 1;
  let rows: { out: number; before: number; after: number };
  let cols: { out: number; before: number; after: number };
  if (padding === 'same') {
    rows = samePadding(inH, strides[0], effH);
    cols = samePadding(inW, strides[1], effW);
  } else {
    rows = { out: Math.ceil((inH - effH + 1) / strides[0]), before: 0, after: 0 };
    cols = { out: Math.ceil((inW - effW + 1) / strides[1]), before: 0, after: 0 };
  }
  if (rows.out < 1 || cols.out < 1) {
    throw new Error(`the ${effH}×${effW} (dilated) filter does not fit the ${inH}×${inW} input with padding 'valid'`);
  }
  return {
    batch, inH, inW, inC, kh, kw, outC, strides, dilation, effH, effW,
    outH: rows.out,
    outW: cols.out,
    padTop: rows.before,
    padBottom: rows.after,
    padLeft: cols.before,
    padRight: cols.after,
  };
}

/**
 * Inserts factor − 1 zeros between neighbouring entries along two adjacent axes
 * (`first`, `first` + 1) of a 4-D tensor: [.., h, w, ..] → [.., (h−1)·fh+1, (w−1)·fw+1, ..].
 * It dilates a filter (axes 0, 1) and spreads a strided gradient back onto the input
 * grid (axes 1, 2), with reshape / pad / slice only, so it is differentiable and
 * runs on every backend. Zeros go between rows, then between columns: two rank-4
 * pads, because the webgpu backend's Pad shader does not compile for rank 6 (tfjs
 * 4.22) and computes garbage.
 */
export function insertZeros(t: tf.Tensor4D, first: 0 | 1 | 2, factors: Pair): tf.Tensor4D {
  const [fh, fw] = factors;
  if (fh === 1 && fw === 1) return t;
  return tf.tidy((): tf.Tensor4D => {
    const shape = t.shape as number[];
    const [h, w] = [shape[first], shape[first + 1]];
    const before = shape.slice(0, first);
    const after = shape.slice(first + 2);
    const outer = before.reduce((a, b) => a * b, 1);
    const inner = after.reduce((a, b) => a * b, 1);
    const spread = t
      .reshape([outer, h, 1, w * inner])
      .pad([[0, 0], [0, 0], [0, fh - 1], [0, 0]])
      .reshape([outer * h * fh, w, 1, inner])
      .pad([[0, 0], [0, 0], [0, fw - 1], [0, 0]])
      .reshape([...before, h * fh, w * fw, ...after]);
    return spread.slice(shape.map(() => 0), [...before, (h - 1) * fh + 1, (w - 1) * fw + 1, ...after]) as tf.Tensor4D;
  });
}

/** Inserts dilation - 1 zeros between filter taps: [kh, kw, i, o] → [effH, effW, i, o]. */
export function dilateFilter(w: tf.Tensor4D, dilation: Pair): tf.Tensor4D {
  return insertZeros(w, 0, dilation);
}

/** tf.conv2d with this geometry (any strides × dilation); differentiable on every backend. */
export function convolve(x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  return tf.tidy(() => {
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [
      [0, 0],
      [g.padTop, g.padBottom],
      [g.padLeft, g.padRight],
      [0, 0],
    ];
    return tf.conv2d(x, dilateFilter(w, g.dilation), g.strides, pad);
  });
}
