// The optimiser's update of one parameter tensor as one op (kernel
// `OptimizerUpdate`), instead of 5 (SGD with momentum) to 14 (Adam) element-wise
// tf ops per tensor and step, each a kernel call, an allocation and a pass:
//
//   OptimizerUpdate  (param, grad[, slot0[, slot1]]) → (param'[, slot0'[, slot1']])
//
// with the rules of PyTorch's torch.optim (train/optimizer.ts owns the state):
//   g = grad + weightDecay·param          (coupled L2: sgd, adam)
//   sgd:  buf' = momentum·buf + g; update = nesterov ? g + momentum·buf' : buf'
//         (momentum 0: no slot, update = g); param' = param − lr·update
//   adam, adamw: m' = β1·m + (1 − β1)·g; v' = β2·v + (1 − β2)·g²;
//         update = (m'/(1 − β1^step)) / (√(v'/(1 − β2^step)) + ε);
//         param' = param·(1 − lr·weightDecay if adamw) − lr·update
// weightDecay is 0 for a tensor that is not decayed. The op has no gradient.
//
// Backend-neutral: the kernel name, the reference loops (the cpu backend's
// kernel; the wasm backend runs the same loops over its heap, see
// backend/wasm-kernels.ts) and, for a backend without the kernel, the same rules
// as tf ops.
import * as tf from '@tensorflow/tfjs';
import type { KernelArgs, KernelConfig, TensorInfo } from './kernel-types';

export const OPTIMIZER_UPDATE = 'OptimizerUpdate';

export interface OptimizerUpdateAttrs {
  algorithm: 'sgd' | 'adam' | 'adamw';
  learningRate: number;
  /** Coupled (sgd, adam) or decoupled (adamw); 0 for a tensor not decayed. */
  weightDecay: number;
  momentum: number;
  nesterov: boolean;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Updates applied so far, this one included (Adam's bias correction). */
  step: number;
}


/** How many state tensors (slots) a parameter carries with these attrs. */
export function slotCount(attrs: Pick<OptimizerUpdateAttrs, 'algorithm' | 'momentum'>): number {
  return attrs.algorithm === 'sgd' ? (attrs.momentum > 0 ? 1 : 0) : 2;
}

/**
 * The update over plain arrays: reads param, grad and the slots, writes param'
 * and the slots' new values (outputs may be fresh arrays or views of a heap; an
 * output may not alias an input of another element).
 */
export function updateReference(attrs: OptimizerUpdateAttrs, param: Float32Array, grad: Float32Array, slots: Float32Array[], outParam: Float32Array, outSlots: Float32Array[]): void {
  const { learningRate: lr, weightDecay: wd } = attrs;
  const n = param.length;
  if (attrs.algorithm === 'sgd') {
    const { momentum, nesterov } = attrs;
    if (momentum === 0) {
      for (let i = 0; i < n; i++) outParam[i] = param[i] - lr * (grad[i] + wd * param[i]);
      return;
    }
    const [buf] = slots;
    const [outBuf] = outSlots;
    for (let i = 0; i < n; i++) {
      const g = grad[i] + wd * param[i];
      const b = momentum * buf[i] + g;
      outBuf[i] = b;
      outParam[i] = param[i] - lr * (nesterov ? g + momentum * b : b);
    }
    return;
  }
  const { beta1, beta2, epsilon } = attrs;
  const { correction1, correction2, shrink, coupled } = adamTerms(attrs);
  const [m, v] = slots;
  const [outM, outV] = outSlots;
  for (let i = 0; i < n; i++) {
    const g = grad[i] + coupled * param[i];
    const mi = beta1 * m[i] + (1 - beta1) * g;
    const vi = beta2 * v[i] + (1 - beta2) * g * g;
    outM[i] = mi;
    outV[i] = vi;
    outParam[i] = param[i] * shrink - (lr * (mi / correction1)) / (Math.sqrt(vi / correction2) + epsilon);
  }
}

/** Adam's per-step constants: bias corrections, AdamW's shrink factor, the coupled weight decay. */
export function adamTerms(attrs: OptimizerUpdateAttrs): { correction1: number; correction2: number; shrink: number; coupled: number } {
  const decoupled = attrs.algorithm === 'adamw';
  return {
    correction1: 1 - attrs.beta1 ** attrs.step,
    correction2: 1 - attrs.beta2 ** attrs.step,
    shrink: decoupled ? 1 - attrs.learningRate * attrs.weightDecay : 1,
    coupled: decoupled ? 0 : attrs.weightDecay,
  };
}

/** The named inputs of the kernel, in order. */
const inputNames = (slots: number) => ['param', 'grad', 'slot0', 'slot1'].slice(0, 2 + slots);

interface CpuBackend {
  data: { get(dataId: object): { values: ArrayLike<number> } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): TensorInfo;
}

function cpuKernel({ inputs, attrs, backend }: KernelArgs): TensorInfo[] {
  const a = attrs as unknown as OptimizerUpdateAttrs;
  const cpu = backend as unknown as CpuBackend;
  const [param, grad, ...slots] = inputNames(slotCount(a)).map((name) => cpu.data.get((inputs[name] as TensorInfo).dataId).values as Float32Array);
  const outParam = new Float32Array(param.length);
  const outSlots = slots.map(() => new Float32Array(param.length));
  updateReference(a, param, grad, slots, outParam, outSlots);
  const shape = [...(inputs.param as TensorInfo).shape];
  return [outParam, ...outSlots].map((values) => cpu.makeTensorInfo(shape, 'float32', values));
}

let registered = false;

/** Registers the cpu kernel (once per process; other backends register theirs). */
export function registerOptimizerUpdate(): void {
  if (registered) return;
  tf.registerKernel({ kernelName: OPTIMIZER_UPDATE, backendName: 'cpu', kernelFunc: cpuKernel as KernelConfig['kernelFunc'] });
  registered = true;
}

/** The same rules as tf ops, for a backend without the kernel. */
function composite(attrs: OptimizerUpdateAttrs, param: tf.Tensor, grad: tf.Tensor, slots: tf.Tensor[]): tf.Tensor[] {
  const lr = attrs.learningRate;
  const g = attrs.weightDecay > 0 && attrs.algorithm !== 'adamw' ? tf.add(grad, tf.mul(param, attrs.weightDecay)) : grad;
  if (attrs.algorithm === 'sgd') {
    if (attrs.momentum === 0) return [tf.sub(param, tf.mul(g, lr))];
    const buf = tf.add(tf.mul(slots[0], attrs.momentum), g);
    const update = attrs.nesterov ? tf.add(g, tf.mul(buf, attrs.momentum)) : buf;
    return [tf.sub(param, tf.mul(update, lr)), buf];
  }
  const m = tf.add(tf.mul(slots[0], attrs.beta1), tf.mul(g, 1 - attrs.beta1));
  const v = tf.add(tf.mul(slots[1], attrs.beta2), tf.mul(tf.square(g), 1 - attrs.beta2));
  const mHat = tf.div(m, 1 - attrs.beta1 ** attrs.step);
  const vHat = tf.div(v, 1 - attrs.beta2 ** attrs.step);
  const update = tf.div(mHat, tf.add(tf.sqrt(vHat), attrs.epsilon));
  const base = attrs.algorithm === 'adamw' && attrs.weightDecay > 0 ? tf.mul(param, 1 - lr * attrs.weightDecay) : param;
  return [tf.sub(base, tf.mul(update, lr)), m, v];
}

/** One update of `param`: [param', ...slots'] (as many slots as slotCount(attrs)). */
export function optimizerUpdate(param: tf.Tensor, grad: tf.Tensor, slots: tf.Tensor[], attrs: OptimizerUpdateAttrs): tf.Tensor[] {
  if (slots.length !== slotCount(attrs)) throw new Error(`${OPTIMIZER_UPDATE} ${attrs.algorithm}: ${slots.length} slots, expected ${slotCount(attrs)}`);
  if (!tf.getKernel(OPTIMIZER_UPDATE, tf.getBackend())) return composite(attrs, param, grad, slots);
  const inputs = Object.fromEntries(inputNames(slots.length).map((name, i) => [name, [param, grad, ...slots][i]]));
  return tf.engine().runKernel(OPTIMIZER_UPDATE, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
}
