// What a run records about its own insides, for the researcher asking why a
// network (a Gaussian kervolution, say) does not learn: named scalars in the
// 'scalars' progress message (shared/progress.ts), sampled at the progress
// cadence, never every step:
//   grad_norm/<layer>                      L2 norm of the layer's gradients (before clipping)
//   weight_norm/<layer>                    L2 norm of the layer's trainable weights (after the update)
//   activation/<layer>/{mean,std}          a kervolution's output on the training batch
//   kernel/<layer>/<param>                 a kernel parameter held as a weight: learnable 'scalar',
//                                          or fixed at the value 'auto' chose from the data
//   kernel/<layer>/<param>/{mean,min,max}  the same, one value per output channel
// Activations come from the training forward pass itself: a second model over the
// same layers outputs the logits and every kervolution's output, so a sampled
// step costs no extra forward pass. All values of a step are one tensor, read
// later with `await data()` (no synchronous read: WebGPU forbids them).
import * as tf from '@tensorflow/tfjs';
import type { ScalarSample } from '../../shared/progress';
import { KervConv2D } from '../layers/kerv-conv2d-layer';

interface LayerGroup {
  name: string;
  /** Indices into the model's trainable variables. */
  variables: number[];
}

function l2(tensors: tf.Tensor[]): tf.Scalar {
  return tf.sqrt(tf.addN(tensors.map((t) => tf.sum(tf.square(t))))) as tf.Scalar;
}

/** The kernel parameters a kervolution holds as weights (learned, or chosen by 'auto') as named scalars (mean/min/max when per channel). */
export function kernelParameterScalars(layer: KervConv2D): { names: string[]; values: tf.Tensor1D } | null {
  const params = layer.kernelParameters();
  if (params.length === 0) return null;
  const names: string[] = [];
  const values = tf.tidy(() => {
    const parts: tf.Tensor[] = [];
    for (const { name, value } of params) {
      const base = `kernel/${layer.name}/${name}`;
      if (value.size === 1) {
        names.push(base);
        parts.push(tf.reshape(value, [1]));
      } else {
        names.push(`${base}/mean`, `${base}/min`, `${base}/max`);
        parts.push(tf.stack([tf.mean(value), tf.min(value), tf.max(value)]));
      }
    }
    return tf.concat(parts) as tf.Tensor1D;
  });
  tf.dispose(params.map((p) => p.value));
  return { names, values };
}

/** Final values of every kernel parameter held as a weight (learned or 'auto'), by scalar name; {} when there is none. */
export async function readKernelParameters(model: tf.LayersModel): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const layer of model.layers) {
    if (!(layer instanceof KervConv2D)) continue;
    const scalars = kernelParameterScalars(layer);
    if (!scalars) continue;
    const values = await scalars.values.data();
    scalars.values.dispose();
    scalars.names.forEach((name, i) => (out[name] = values[i]));
  }
  return out;
}

export class StepDiagnostics {
  /** The names of the values `collect` returns, in order. */
  readonly names: string[] = [];
  /** Outputs [logits, ...kervolution outputs]: the training forward pass with activations. */
  readonly forwardModel: tf.LayersModel;
  private readonly groups: LayerGroup[];
  private readonly kervolutions: KervConv2D[];

  constructor(model: tf.LayersModel) {
    const variables = model.trainableWeights;
    this.groups = model.layers
      .filter((layer) => layer.trainableWeights.length > 0)
      .map((layer) => ({ name: layer.name, variables: layer.trainableWeights.map((w) => variables.indexOf(w)) }));
    this.kervolutions = model.layers.filter((layer): layer is KervConv2D => layer instanceof KervConv2D && layer.inboundNodes.length === 1);
    this.forwardModel =
      this.kervolutions.length > 0
        ? tf.model({ inputs: model.inputs, outputs: [...model.outputs, ...this.kervolutions.map((l) => l.output as tf.SymbolicTensor)] })
        : model;
    for (const g of this.groups) this.names.push(`grad_norm/${g.name}`);
    for (const g of this.groups) this.names.push(`weight_norm/${g.name}`);
    for (const layer of this.kervolutions) this.names.push(`activation/${layer.name}/mean`, `activation/${layer.name}/std`);
    for (const layer of this.kervolutions) {
      const scalars = kernelParameterScalars(layer);
      if (scalars) {
        this.names.push(...scalars.names);
        scalars.values.dispose();
      }
    }
  }

  /** mean and std of each kervolution's output, [2 · kervolutions]; call on the training forward's extra outputs. */
  activationStats(activations: tf.Tensor[]): tf.Tensor1D {
    if (activations.length === 0) return tf.tensor1d([]);
    return tf.concat(
      activations.map((a) => {
        const { mean, variance } = tf.moments(a);
        return tf.stack([mean, tf.sqrt(variance)]);
      }),
    ) as tf.Tensor1D;
  }

  /**
   * Every value in `names` order, as one tensor: gradients as computed (before
   * clipping), weights and kernel parameters as they are now. Call inside tf.tidy,
   * after the optimiser update.
   */
  collect(gradients: tf.Tensor[], weights: tf.Tensor[], activationStats: tf.Tensor1D): tf.Tensor1D {
    const gradNorms = this.groups.map((g) => l2(g.variables.map((i) => gradients[i])));
    const weightNorms = this.groups.map((g) => l2(g.variables.map((i) => weights[i])));
    const norms = [...gradNorms, ...weightNorms];
    const parts: tf.Tensor[] = [norms.length > 0 ? tf.stack(norms) : tf.tensor1d([]), activationStats];
    for (const layer of this.kervolutions) {
      const scalars = kernelParameterScalars(layer);
      if (scalars) parts.push(scalars.values);
    }
    return tf.concat(parts) as tf.Tensor1D;
  }
}

/**
 * Takes one diagnostics sample per progress tick: the first step after each
 * read is sampled, its values read (asynchronously) at the next tick.
 */
export class ScalarSampler {
  private pending: { step: number; wallTimeMs: number; values: tf.Tensor1D; read: Promise<Float32Array> }[] = [];
  private sampleNext = true;

  constructor(private readonly names: string[]) {}

  /** Whether the next step should be a diagnosed one. */
  wanted(): boolean {
    return this.sampleNext && this.names.length > 0;
  }

  /** The read starts now, queued right behind the step's work (a read started at the tick would wait for every later step). */
  push(step: number, wallTimeMs: number, values: tf.Tensor1D): void {
    this.pending.push({ step, wallTimeMs, values, read: values.data() as Promise<Float32Array> });
    this.sampleNext = false;
  }

  /** The samples taken since the last read; non-finite values are left out (JSON has no NaN). */
  async read(): Promise<ScalarSample[]> {
    const pending = this.pending;
    this.pending = [];
    this.sampleNext = true;
    const samples: ScalarSample[] = [];
    for (const p of pending) {
      const data = await p.read;
      p.values.dispose();
      const values: Record<string, number> = {};
      this.names.forEach((name, i) => {
        if (Number.isFinite(data[i])) values[name] = data[i];
      });
      samples.push({ step: p.step, wallTimeMs: p.wallTimeMs, values });
    }
    return samples;
  }

  dispose(): void {
    const pending = this.pending;
    this.pending = [];
    // A read in flight needs its tensor until it lands.
    void Promise.allSettled(pending.map((p) => p.read)).then(() => tf.dispose(pending.map((p) => p.values)));
  }
}
