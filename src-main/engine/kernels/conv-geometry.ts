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

/** Inserts dilation - 1 zeros between filter taps: [kh, kw, i, o] → [effH, effW, i, o]. */
export function dilateFilter(w: tf.Tensor4D, dilation: Pair): tf.Tensor4D {
  const [dh, dw] = dilation;
  if (dh === 1 && dw === 1) return w;
  return tf.tidy((): tf.Tensor4D => {
    const [kh, kw, i, o] = w.shape;
    const spread = w
      .reshape([kh, 1, kw, 1, i, o])
      .pad([[0, 0], [0, dh - 1], [0, 0], [0, dw - 1], [0, 0], [0, 0]])
      .reshape([kh * dh, kw * dw, i, o]);
    return spread.slice([0, 0, 0, 0], [(kh - 1) * dh + 1, (kw - 1) * dw + 1, i, o]) as tf.Tensor4D;
  });
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
