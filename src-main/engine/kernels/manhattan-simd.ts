// The manhattan pixel kernels (see manhattan-pixel-kernels.ts) in WebAssembly SIMD:
// four float32 lanes per instruction, ~4× the plain-JS loops, which is what brings
// manhattan near an ordinary (XNNPACK SIMD) convolution on the wasm backend.
// The module (manhattan-simd.wat, compiled at build time) has its own memory,
// laid out below, and is instantiated synchronously once.
import { paddedLength, type PixelKernels } from './manhattan-pixel-kernels';
import manhattan from './manhattan-simd.wat';

interface SimdExports {
  memory: WebAssembly.Memory;
  forward(patch: number, wT: number, out: number, rowBytes: number, outC: number): void;
  backward(patch: number, wT: number, dPatch: number, dwT: number, g: number, rowBytes: number, outC: number): void;
}

let instance: SimdExports | null | undefined;

/** The compiled module, or null where this runtime has no WebAssembly SIMD. */
function simdInstance(): SimdExports | null {
  if (instance !== undefined) return instance;
  const bytes = manhattan.module;
  instance = typeof WebAssembly === 'object' && WebAssembly.validate(bytes)
    ? (new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as SimdExports)
    : null;
  return instance;
}

export function simdAvailable(): boolean {
  return simdInstance() !== null;
}

const PAGE_BYTES = 65536;

/**
 * SIMD pixel kernels over the module's memory. The buffers are views of that one
 * memory, valid until the next call of this function (which may grow it): the
 * direct driver creates one set per forward or backward pass and never nests them.
 */
export function createSimdKernels(k: number, outC: number): PixelKernels {
  const wasm = simdInstance();
  if (!wasm) throw new Error('WebAssembly SIMD is not available in this runtime; use the js manhattan path');
  const stride = paddedLength(k);
  const rowBytes = stride * 4;
  // Layout (16-byte aligned, since stride is a multiple of 4 floats): patch, dPatch, wT, dwT, channelValues.
  const patchAt = 0;
  const dPatchAt = patchAt + rowBytes;
  const wTAt = dPatchAt + rowBytes;
  const dwTAt = wTAt + outC * rowBytes;
  const valuesAt = dwTAt + outC * rowBytes;
  const total = valuesAt + outC * 4;
  const missing = Math.ceil((total - wasm.memory.buffer.byteLength) / PAGE_BYTES);
  if (missing > 0) wasm.memory.grow(missing);
  const heap = new Float32Array(wasm.memory.buffer, 0, total / 4);
  heap.fill(0);
  const view = (at: number, length: number) => heap.subarray(at / 4, at / 4 + length);
  return {
    stride,
    patch: view(patchAt, stride),
    dPatch: view(dPatchAt, stride),
    wT: view(wTAt, outC * stride),
    dwT: view(dwTAt, outC * stride),
    channelValues: view(valuesAt, outC),
    forward: () => wasm.forward(patchAt, wTAt, valuesAt, rowBytes, outC),
    backward: () => wasm.backward(patchAt, wTAt, dPatchAt, dwTAt, valuesAt, rowBytes, outC),
  };
}
