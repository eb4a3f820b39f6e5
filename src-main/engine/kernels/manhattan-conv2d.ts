// Manhattan kervolution −‖p − w‖₁: picks one of three implementations of the same op.
//   'wasm-simd' direct loops (manhattan-direct.ts) with WebAssembly SIMD inner loops
//               (manhattan-simd.ts): fastest where tensors live in JS/wasm memory
//               anyway — the wasm and cpu backends.
//   'js'        the same direct loops with plain-JS inner loops: where a runtime has
//               no WebAssembly SIMD.
//   'tf-ops'    chunked tf ops with bounded memory (manhattan-chunked.ts): the choice
//               that stays on the device for GPU / native TensorFlow backends, where
//               reading tensors back to JS would cost more than it saves.
// All carry their own recomputing gradient and are tested against the same float64
// reference; forceManhattanPath lets tests (and benchmarks) pin one.
import * as tf from '@tensorflow/tfjs';
import type { ConvGeometry } from './conv-geometry';
import { MANHATTAN_CHUNK_ELEMENTS, manhattanChunkedConv2d } from './manhattan-chunked';
import { manhattanDirectConv2d } from './manhattan-direct';
import { createJsKernels } from './manhattan-pixel-kernels';
import { createSimdKernels, simdAvailable } from './manhattan-simd';

export { MANHATTAN_CHUNK_ELEMENTS };

export const MANHATTAN_PATHS = ['wasm-simd', 'js', 'tf-ops'] as const;
export type ManhattanPath = (typeof MANHATTAN_PATHS)[number];

/** Backends whose tensors live in JS or wasm memory: a JS loop reads them without a device transfer. */
const CPU_SIDE_BACKENDS = new Set(['wasm', 'cpu']);

let forcedPath: ManhattanPath | null = null;

/** Pins the implementation for every later call (null: choose by backend again). */
export function forceManhattanPath(path: ManhattanPath | null): void {
  if (path !== null && !(MANHATTAN_PATHS as readonly string[]).includes(path)) {
    throw new Error(`manhattan path must be one of ${MANHATTAN_PATHS.join(', ')} or null, got ${JSON.stringify(path)}`);
  }
  if (path === 'wasm-simd' && !simdAvailable()) throw new Error('manhattan path wasm-simd needs WebAssembly SIMD, which this runtime lacks');
  forcedPath = path;
}

/** The implementation the next call will use: the forced one, else by the active tfjs backend. */
export function manhattanPath(): ManhattanPath {
  if (forcedPath) return forcedPath;
  if (!CPU_SIDE_BACKENDS.has(tf.getBackend())) return 'tf-ops';
  return simdAvailable() ? 'wasm-simd' : 'js';
}

/**
 * −‖p − w_o‖₁ for every output position and channel, with its gradient.
 * `chunkElements` is the tf-ops path's per-intermediate budget (the direct paths ignore it).
 */
export function manhattanConv2d(x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry, chunkElements = MANHATTAN_CHUNK_ELEMENTS): tf.Tensor4D {
  switch (manhattanPath()) {
    case 'wasm-simd':
      return manhattanDirectConv2d(x, w, g, createSimdKernels);
    case 'js':
      return manhattanDirectConv2d(x, w, g, createJsKernels);
    case 'tf-ops':
      return manhattanChunkedConv2d(x, w, g, chunkElements);
  }
}
