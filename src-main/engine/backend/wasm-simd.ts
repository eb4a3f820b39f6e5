// The SIMD training passes (simd/training.wat) instantiated on tfjs-backend-wasm's
// own memory, so they read and write tensors in place, by the byte address the
// backend keeps for each (its `memoryOffset`). One instance per backend; the
// threaded build's memory is shared, so it gets the shared-memory variant of
// the same module. Per-channel accumulators and coefficient tables live in a
// scratch block malloc'ed from the same heap.
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '../ops/kernel-types';
import training from './simd/training.wat';


/** The exports of simd/training.wat (see there for each pass); every pointer is a byte address. */
export interface TrainingPasses {
  channelMoments(x: number, rows: number, channels: number, shift: number, out: number): void;
  columnSums(x: number, rows: number, channels: number, out: number): void;
  batchNormApply(x: number, y: number, rows: number, channels: number, coefficients: number, floor: number): void;
  batchNormGradSums(dy: number, x: number, y: number, rows: number, channels: number, mean: number, linear: number, out: number): void;
  batchNormGradInput(dy: number, x: number, y: number, dx: number, rows: number, channels: number, coefficients: number, linear: number): void;
  maxPoolGrad2x2(x: number, dy: number, dx: number, batch: number, inH: number, inW: number, channels: number, outH: number, outW: number): void;
  adamUpdate(
    param: number, grad: number, m: number, v: number, outParam: number, outM: number, outV: number, n: number,
    lr: number, beta1: number, beta2: number, epsilon: number, coupled: number, shrink: number, correction1: number, correction2: number,
  ): void;
  sgdMomentumUpdate(param: number, grad: number, buf: number, outParam: number, outBuf: number, n: number, lr: number, momentum: number, weightDecay: number, nesterov: number): void;
  exp(x: number, y: number, n: number): void;
  tanhGrad(dy: number, y: number, dx: number, n: number): void;
  im2colTransposed(xp: number, cols: number, batch: number, height: number, width: number, channels: number, kh: number, kw: number, outH: number, outW: number, strideH: number, strideW: number): void;
  filterGradient(
    xp: number, dy: number, dw: number, batch: number, height: number, width: number, channels: number,
    kh: number, kw: number, outH: number, outW: number, strideH: number, strideW: number, outC: number, blockRuns: number,
  ): void;
  convStride1(x: number, w: number, y: number, batch: number, height: number, width: number, channels: number, kh: number, kw: number, outH: number, outW: number, outC: number): void;
}

/** What the SIMD kernels use of tfjs-backend-wasm's BackendWasm. */
export interface WasmBackend {
  wasm: {
    /** The threaded build's memory (imported by its module), or else the module's exported one. */
    wasmMemory?: WebAssembly.Memory;
    asm: { memory?: WebAssembly.Memory };
    HEAPU8: Uint8Array;
    _malloc(bytes: number): number;
    _free(pointer: number): void;
  };
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}

export interface Simd {
  passes: TrainingPasses;
  /** The byte address of a tensor's data. */
  address(info: TensorInfo): number;
  /** A scratch block of at least `bytes` bytes (16-byte aligned), valid until the next call. */
  scratch(bytes: number): number;
  /** The heap as it is now (allocations may have grown it: take views after them). */
  heap(): ArrayBuffer;
}

const instances = new WeakMap<object, Simd>();

function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer;
}

/** The SIMD passes on this wasm backend's memory, or null where this runtime has no WebAssembly SIMD. */
export function simdFor(backend: WasmBackend): Simd | null {
  const existing = instances.get(backend);
  if (existing) return existing;
  const memory = backend.wasm.wasmMemory ?? backend.wasm.asm.memory;
  if (!memory) return null;
  const bytes = isShared(memory) ? training.sharedMemoryModule : training.module;
  if (!bytes || !WebAssembly.validate(bytes)) return null;
  const passes = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as unknown as TrainingPasses;
  let block = 0;
  let blockBytes = 0;
  const simd: Simd = {
    passes,
    address: (info) => backend.dataIdMap.get(info.dataId).memoryOffset,
    scratch: (bytes) => {
      if (bytes > blockBytes) {
        if (block) backend.wasm._free(block);
        blockBytes = Math.max(bytes, 2 * blockBytes, 4096);
        // malloc aligns to 8; 16 more bytes leave room to align to 16.
        block = backend.wasm._malloc(blockBytes + 16);
      }
      return (block + 15) & ~15;
    },
    heap: () => backend.wasm.HEAPU8.buffer as ArrayBuffer,
  };
  instances.set(backend, simd);
  return simd;
}
