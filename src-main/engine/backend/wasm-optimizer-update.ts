// The wasm backend's kernel of the OptimizerUpdate op (ops/optimizer-update.ts):
// the op's reference loops run over views of the backend's heap, reading the
// parameter, gradient and slots in place and writing the new ones into fresh
// outputs. Parameters are small next to activations (the reference CNN's are
// 0.1 M floats, a 64×32×32×32 activation 2 M), so JS over the heap is enough:
// one kernel call per tensor instead of 5–14 is what the step gains.
import { OPTIMIZER_UPDATE, slotCount, updateReference, type OptimizerUpdateAttrs } from '../ops/optimizer-update';
import type { KernelConfig, TensorInfo } from '../ops/kernel-types';
import type { WasmBackend } from './wasm-simd';

export const wasmOptimizerUpdateKernel: KernelConfig = {
  kernelName: OPTIMIZER_UPDATE,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const wasm = backend as unknown as WasmBackend;
    const a = attrs as unknown as OptimizerUpdateAttrs;
    const named = ['param', 'grad', 'slot0', 'slot1'].slice(0, 2 + slotCount(a)).map((name) => inputs[name] as TensorInfo);
    const outs = named.filter((_, i) => i !== 1).map((info) => wasm.makeOutput([...info.shape], 'float32'));
    // Views after every allocation, which may have grown (and detached) the heap.
    const [param, grad, ...slots] = named.map((info) => wasm.typedArrayFromHeap(info));
    const [outParam, ...outSlots] = outs.map((info) => wasm.typedArrayFromHeap(info));
    updateReference(a, param, grad, slots, outParam, outSlots);
    return outs;
  },
};
