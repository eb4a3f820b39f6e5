// MaxPoolGrad on the wasm backend for non-overlapping windows (stride = pool
// size, no padding, no dilation: the 2×2/2 pooling of every CNN here). Each input
// pixel then belongs to one window, so the gradient is one pass: find each
// window's first maximum per channel (the position tfjs's cpu backend picks),
// write dy there and 0 elsewhere. The wasm package's kernel searches the windows
// around every input pixel instead; this pass measured 4–10× faster on the
// reference CNN's layers (same process, back to back). Overlapping or padded
// pooling keeps the wasm kernel. 2×2 windows, the pooling of every CNN here, run
// in WebAssembly SIMD (simd/training.wat), 4 channels at a time and without
// branches on the data (which are unpredictable); the loop below is the
// reference, and the path for other windows.
import * as tf from '@tensorflow/tfjs';
import { simdFor, type WasmBackend } from './wasm-simd';

type KernelConfig = Parameters<typeof tf.registerKernel>[0];
type KernelArgs = Parameters<KernelConfig['kernelFunc']>[0];
type TensorInfo = NonNullable<KernelArgs['inputs'][string]>;
type PoolAttrs = {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

/**
 * dx for non-overlapping NHWC max pooling: per window and channel, dy at the
 * first maximum in row-major window order, 0 elsewhere (rows or columns past the
 * last whole window get 0). `dx` must come zeroed.
 */
export function maxPoolGradNonOverlapping(
  x: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  [batch, inH, inW, channels]: readonly number[],
  [poolH, poolW]: readonly [number, number],
  [outH, outW]: readonly [number, number],
): void {
  const rowStride = inW * channels;
  // Offsets of the window's pixels from its top-left one, in row-major order.
  const window = new Int32Array(poolH * poolW);
  for (let wy = 0; wy < poolH; wy++) for (let wx = 0; wx < poolW; wx++) window[wy * poolW + wx] = wy * rowStride + wx * channels;
  const taps = window.length;
  let g = 0;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const corner = (b * inH + oy * poolH) * rowStride + ox * poolW * channels;
        for (let c = 0; c < channels; c++, g++) {
          let at = corner + c;
          let best = x[at];
          for (let t = 1; t < taps; t++) {
            const i = corner + window[t] + c;
            // Strictly greater: ties keep the first position, as tfjs's cpu backend does.
            if (x[i] > best) {
              best = x[i];
              at = i;
            }
          }
          dx[at] = dy[g];
        }
      }
    }
  }
}

const maxPoolGradKernel = (original: KernelConfig): KernelConfig => ({
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  setupFunc: original.setupFunc,
  disposeFunc: original.disposeFunc,
  kernelFunc: (args) => {
    const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
    const attrs = args.attrs as unknown as PoolAttrs;
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
    const nonOverlapping =
      info.strideHeight === info.filterHeight && info.strideWidth === info.filterWidth && info.padInfo.top === 0 && info.padInfo.left === 0 && input.dtype === 'float32';
    if (!nonOverlapping) return original.kernelFunc(args);
    const backend = args.backend as unknown as WasmBackend;
    const out = backend.makeOutput([...input.shape], 'float32');
    // Views after the allocation, which may have grown (and detached) the heap.
    const dx = backend.typedArrayFromHeap(out);
    const [batch, inH, inW, channels] = input.shape;
    const simd = simdFor(backend);
    const simd2x2 = simd && info.filterHeight === 2 && info.filterWidth === 2 && info.outHeight > 0 && info.outWidth > 0 && batch > 0 && channels > 0;
    // Pixels past the last whole window get no gradient (the 2×2 pass writes every pixel of its windows).
    if (!simd2x2 || inH % 2 !== 0 || inW % 2 !== 0) dx.fill(0);
    if (simd2x2) {
      simd.passes.maxPoolGrad2x2(simd.address(input), simd.address(dy), simd.address(out), batch, inH, inW, channels, info.outHeight, info.outWidth);
      return out;
    }
    maxPoolGradNonOverlapping(backend.typedArrayFromHeap(input), backend.typedArrayFromHeap(dy), dx, input.shape, [info.filterHeight, info.filterWidth], [info.outHeight, info.outWidth]);
    return out;
  },
});

/** The MaxPoolGrad kernel above, over the wasm package's own (call once, before the backend starts). */
export function wasmMaxPoolGradKernel(): KernelConfig | null {
  const original = tf.getKernel('MaxPoolGrad', 'wasm');
  return original ? maxPoolGradKernel(original) : null;
}
