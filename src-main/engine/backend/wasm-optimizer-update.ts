// The wasm backend's kernel of the OptimizerUpdate op (ops/optimizer-update.ts):
// SGD with momentum and Adam/AdamW in WebAssembly SIMD over the backend's heap
// (simd/training.wat), reading the parameter, gradient and slots in place and
// writing fresh outputs; the last size % 4 elements, plain SGD and a runtime
// without SIMD run the op's reference loops over the same heap.
import { adamTerms, OPTIMIZER_UPDATE, slotCount, updateReference, type OptimizerUpdateAttrs } from '../ops/optimizer-update';
import type { KernelConfig, TensorInfo } from '../ops/kernel-types';
import { simdFor, type WasmBackend } from './wasm-simd';

/** The SIMD pass over the first `n` elements (a multiple of 4), or false where there is none for these attrs. */
function simdUpdate(backend: WasmBackend, a: OptimizerUpdateAttrs, inputs: TensorInfo[], outs: TensorInfo[], n: number): boolean {
  const simd = simdFor(backend);
  if (!simd || (a.algorithm === 'sgd' && a.momentum === 0)) return false;
  const [param, grad, ...slots] = inputs.map((info) => simd.address(info));
  const [outParam, ...outSlots] = outs.map((info) => simd.address(info));
  if (a.algorithm === 'sgd') {
    simd.passes.sgdMomentumUpdate(param, grad, slots[0], outParam, outSlots[0], n, a.learningRate, a.momentum, a.weightDecay, a.nesterov ? 1 : 0);
  } else {
    const t = adamTerms(a);
    simd.passes.adamUpdate(param, grad, slots[0], slots[1], outParam, outSlots[0], outSlots[1], n, a.learningRate, a.beta1, a.beta2, a.epsilon, t.coupled, t.shrink, t.correction1, t.correction2);
  }
  return true;
}

export const wasmOptimizerUpdateKernel: KernelConfig = {
  kernelName: OPTIMIZER_UPDATE,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const wasm = backend as unknown as WasmBackend;
    const a = attrs as unknown as OptimizerUpdateAttrs;
    const named = ['param', 'grad', 'slot0', 'slot1'].slice(0, 2 + slotCount(a)).map((name) => inputs[name] as TensorInfo);
    const outs = named.filter((_, i) => i !== 1).map((info) => wasm.makeOutput([...info.shape], 'float32'));
    const size = named[0].shape.reduce((x, y) => x * y, 1);
    const done = simdUpdate(wasm, a, named, outs, size & ~3) ? size & ~3 : 0;
    // Views after every allocation, which may have grown (and detached) the heap.
    const [param, grad, ...slots] = named.map((info) => wasm.typedArrayFromHeap(info).subarray(done));
    const [outParam, ...outSlots] = outs.map((info) => wasm.typedArrayFromHeap(info).subarray(done));
    updateReference(a, param, grad, slots, outParam, outSlots);
    return outs;
  },
};
