// SGD (momentum, Nesterov), Adam and AdamW as the fused OptimizerUpdate op, one
// kernel per parameter tensor (ops/optimizer-update.ts), instead of tfjs's
// optimizers, because the run needs what those lack: a learning rate that
// changes every step, decoupled weight decay (AdamW: tfjs has none), weight decay
// applied only to some variables, and a state that a checkpoint can save and
// restore exactly. The update rules follow PyTorch's torch.optim so that results
// compare with the published baselines.
//
// Weight decay is applied only to variables of rank >= 2 (conv and dense kernels).
// BatchNorm gamma/beta, biases and the kernel functions' learnable scalars (c,
// gamma; one per layer or per channel) are rank 0/1 and are not decayed: shrinking
// them towards 0 does not regularise the function the network computes, it only
// fights the normalisation (the rule timm and most recipes use: param.ndim <= 1).
import * as tf from '@tensorflow/tfjs';
import type { OptimizerConfig } from '../../shared/run-config';
import { optimizerUpdate, slotCount } from '../ops/optimizer-update';

/** A tensor with a name: what tfjs's weight encoding takes (tf.io.encodeWeights). */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

/** Anything with a tf.Variable to read and a way to write it (a tfjs LayerVariable, or a tf.Variable wrapper). */
export interface TrainableVariable {
  read(): tf.Tensor;
  write(value: tf.Tensor): unknown;
  readonly shape: number[];
}

/** Whether weight decay applies to a variable of this shape (see the file comment). */
export function isDecayed(shape: readonly number[]): boolean {
  return shape.length >= 2;
}

export class TrainOptimizer {
  /** Number of updates applied so far (Adam's bias correction uses it). */
  private iterations = 0;
  /** Per variable: SGD momentum buffer, or Adam's first and second moments. */
  private readonly slots: tf.Variable[][];
  private readonly decayed: boolean[];

  constructor(
    readonly config: OptimizerConfig,
    private readonly variables: TrainableVariable[],
  ) {
    this.decayed = variables.map((v) => isDecayed(v.shape));
    const slots = slotCount({ algorithm: config.type, momentum: config.momentum });
    this.slots = variables.map((v) =>
      // tidy releases the zeros the variable was made from (a variable shares, not owns, its initial tensor).
      Array.from({ length: slots }, () => tf.tidy(() => tf.variable(tf.zeros(v.shape), false))),
    );
  }

  /**
   * Applies one update with these gradients (index-aligned with the variables)
   * at this learning rate. Call inside tf.tidy: the intermediate tensors are not
   * disposed here.
   */
  applyGradients(gradients: tf.Tensor[], learningRate: number): void {
    if (gradients.length !== this.variables.length) {
      throw new Error(`applyGradients: ${gradients.length} gradients for ${this.variables.length} variables`);
    }
    this.iterations += 1;
    const c = this.config;
    const common = { algorithm: c.type, learningRate, momentum: c.momentum, nesterov: c.nesterov, beta1: c.beta1, beta2: c.beta2, epsilon: c.epsilon, step: this.iterations };
    for (let i = 0; i < this.variables.length; i++) {
      const slots = this.slots[i];
      const weightDecay = this.decayed[i] ? c.weightDecay : 0;
      // One fused op per tensor (ops/optimizer-update.ts): the new weights and slots.
      const [param, ...updated] = optimizerUpdate(this.variables[i].read(), gradients[i], slots, { ...common, weightDecay });
      slots.forEach((slot, j) => slot.assign(updated[j]));
      this.variables[i].write(param);
    }
  }

  /** The whole state as named tensors (copies), for a checkpoint. */
  getWeights(): NamedTensor[] {
    const named: NamedTensor[] = [{ name: 'iterations', tensor: tf.scalar(this.iterations, 'int32') }];
    this.slots.forEach((slots, i) =>
      slots.forEach((slot, j) => named.push({ name: `var${i}/slot${j}`, tensor: slot.clone() })),
    );
    return named;
  }

  /** Restores a state saved by getWeights (same optimiser type and variables). Async: a GPU tensor cannot be read synchronously. */
  async setWeights(weights: NamedTensor[]): Promise<void> {
    const byName = new Map(weights.map((w) => [w.name, w.tensor]));
    const iterations = byName.get('iterations');
    if (!iterations) throw new Error('optimizer state: missing "iterations"');
    const expected = 1 + this.slots.reduce((n, s) => n + s.length, 0);
    if (weights.length !== expected) {
      throw new Error(`optimizer state: expected ${expected} tensors for ${this.config.type}, found ${weights.length}`);
    }
    this.iterations = (await iterations.data())[0];
    this.slots.forEach((slots, i) =>
      slots.forEach((slot, j) => {
        const saved = byName.get(`var${i}/slot${j}`);
        if (!saved || !tf.util.arraysEqual(saved.shape, slot.shape)) {
          throw new Error(`optimizer state: var${i}/slot${j} missing or of the wrong shape`);
        }
        slot.assign(saved);
      }),
    );
  }

  get updatesApplied(): number {
    return this.iterations;
  }

  dispose(): void {
    for (const slots of this.slots) for (const slot of slots) slot.dispose();
  }
}
