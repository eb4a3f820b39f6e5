// Manhattan kervolution −‖p − w_o‖₁ as direct loops over typed arrays, for the
// CPU-side backends (wasm, cpu). There tf ops pay a dispatch, an allocation and a
// full pass over memory per chunk, which made the chunked path (manhattan-chunked.ts)
// 30–50× slower than an ordinary convolution; a loop that keeps one receptive field
// in L1 and the (transposed) filters in L2 touches every value once per use.
//
// Layout: the patch of an output pixel is gathered once into a contiguous buffer
// in the order of w's leading axes, t = (i·kw + j)·inC + c (zeros where the field
// hangs over the padding, as a convolution sees it), and the filters are stored
// transposed, wT[o, t] = w[t·outC + o], so both operands of the inner loops
// (manhattan-pixel-kernels.ts: plain JS, or manhattan-simd.ts: wasm SIMD) are
// contiguous.
//
// Backward computes sign(p_t − w_ot) once per (patch element, channel) and uses it
// for both gradients (y = −Σ|p − w|, so ∂y/∂p = −sign, ∂y/∂w = +sign, sign(0) = 0
// as tf.sign):
//   dx[p_t] −= Σ_o dy_o · sign(p_t − w_ot)      dw[o, t] += Σ_pixels dy_o · sign(p_t − w_ot)
//
// Extra memory: the transposed filters and their gradient (2·outC·k floats) and two
// patch buffers, independent of the batch size; plus x-sized dx and the output.
import * as tf from '@tensorflow/tfjs';
import type { ConvGeometry } from './conv-geometry';
import type { PixelKernelFactory, PixelKernels } from './manhattan-pixel-kernels';

function patchLength(g: ConvGeometry): number {
  return g.kh * g.kw * g.inC;
}

/** Kernels for this geometry with the filters loaded transposed: [k, outC] (w's memory order) → [outC, stride]. */
function kernelsWithFilters(create: PixelKernelFactory, w: ArrayLike<number>, g: ConvGeometry): PixelKernels {
  const k = patchLength(g);
  const kernels = create(k, g.outC);
  const { wT, stride } = kernels;
  for (let t = 0; t < k; t++) {
    const row = t * g.outC;
    for (let o = 0; o < g.outC; o++) wT[o * stride + t] = w[row + o];
  }
  return kernels;
}

/** Copies the receptive field of output pixel (b, oy, ox) into `patch`, zeros over the padding. */
function gatherPatch(x: ArrayLike<number>, g: ConvGeometry, b: number, oy: number, ox: number, patch: Float32Array): void {
  const { inH, inW, inC, kh, kw } = g;
  let n = 0;
  for (let i = 0; i < kh; i++) {
    const y = oy * g.strides[0] + i * g.dilation[0] - g.padTop;
    const rowInside = y >= 0 && y < inH;
    for (let j = 0; j < kw; j++) {
      const xx = ox * g.strides[1] + j * g.dilation[1] - g.padLeft;
      if (rowInside && xx >= 0 && xx < inW) {
        const src = ((b * inH + y) * inW + xx) * inC;
        for (let c = 0; c < inC; c++) patch[n++] = x[src + c];
      } else {
        for (let c = 0; c < inC; c++) patch[n++] = 0;
      }
    }
  }
}

/** Adds a patch-shaped gradient back onto dx at the pixels the field covers (padding drops out). */
function scatterPatch(dPatch: Float32Array, dx: Float32Array, g: ConvGeometry, b: number, oy: number, ox: number): void {
  const { inH, inW, inC, kh, kw } = g;
  for (let i = 0; i < kh; i++) {
    const y = oy * g.strides[0] + i * g.dilation[0] - g.padTop;
    if (y < 0 || y >= inH) continue;
    for (let j = 0; j < kw; j++) {
      const xx = ox * g.strides[1] + j * g.dilation[1] - g.padLeft;
      if (xx < 0 || xx >= inW) continue;
      const dst = ((b * inH + y) * inW + xx) * inC;
      const n = (i * kw + j) * inC;
      for (let c = 0; c < inC; c++) dx[dst + c] += dPatch[n + c];
    }
  }
}

/** −‖p − w_o‖₁ for every output pixel and channel: [batch, outH, outW, outC] in NHWC order. */
export function manhattanForwardValues(create: PixelKernelFactory, x: ArrayLike<number>, w: ArrayLike<number>, g: ConvGeometry): Float32Array {
  const kernels = kernelsWithFilters(create, w, g);
  const { patch, channelValues } = kernels;
  const out = new Float32Array(g.batch * g.outH * g.outW * g.outC);
  let base = 0;
  for (let b = 0; b < g.batch; b++) {
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++, base += g.outC) {
        gatherPatch(x, g, b, oy, ox, patch);
        kernels.forward();
        out.set(channelValues, base);
      }
    }
  }
  return out;
}

export interface ManhattanGradients {
  dx: Float32Array;
  dw: Float32Array;
}

/** Gradients of Σ dy ⊙ manhattan(x, w) with respect to x (NHWC) and w ([kh, kw, inC, outC]). */
export function manhattanBackwardValues(
  create: PixelKernelFactory, dy: Float32Array, x: ArrayLike<number>, w: ArrayLike<number>, g: ConvGeometry,
): ManhattanGradients {
  const kernels = kernelsWithFilters(create, w, g);
  const { patch, dPatch, dwT, channelValues, stride } = kernels;
  const dx = new Float32Array(g.batch * g.inH * g.inW * g.inC);
  let base = 0;
  for (let b = 0; b < g.batch; b++) {
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++, base += g.outC) {
        gatherPatch(x, g, b, oy, ox, patch);
        channelValues.set(dy.subarray(base, base + g.outC));
        dPatch.fill(0);
        kernels.backward();
        scatterPatch(dPatch, dx, g, b, oy, ox);
      }
    }
  }
  const k = patchLength(g);
  const dw = new Float32Array(k * g.outC);
  for (let t = 0; t < k; t++) {
    const row = t * g.outC;
    for (let o = 0; o < g.outC; o++) dw[row + o] = dwT[o * stride + t];
  }
  return { dx, dw };
}

/**
 * The direct kernel as a differentiable op. The typed arrays are read inside the
 * op (kervConv2d and tfjs's gradient pass run it inside tidy scopes) but never
 * returned from a tidy: only the tensors built from them leave.
 */
export function manhattanDirectConv2d(x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry, create: PixelKernelFactory): tf.Tensor4D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, wIn, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([xIn, wIn]);
    const values = manhattanForwardValues(create, xIn.dataSync(), wIn.dataSync(), g);
    return {
      value: tf.tensor4d(values, [g.batch, g.outH, g.outW, g.outC]),
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xSaved, wSaved] = saved as [tf.Tensor4D, tf.Tensor4D];
        const { dx, dw } = manhattanBackwardValues(create, dy.dataSync() as Float32Array, xSaved.dataSync(), wSaved.dataSync(), g);
        return [tf.tensor4d(dx, xSaved.shape), tf.tensor4d(dw, wSaved.shape)];
      },
    };
  });
  return op(x, w) as tf.Tensor4D;
}
