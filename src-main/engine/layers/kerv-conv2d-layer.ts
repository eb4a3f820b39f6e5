// KervConv2D: the kervolution op as a tf.layers.Layer, registered for
// serialization so models save and load in the standard tfjs format.
//
// Learnable kernel parameters (model.kernel.learnable 'scalar' or 'channel') are
// one weight of shape [1] or [filters], stored in the form the kernel's
// implementation declares (engine/kernels/<type>.ts:
// polynomial c = softplus('c_raw'), gaussian γ = exp('log_gamma'), sigmoid c = 'c'),
// which keeps them in range whatever step the optimizer takes.
//
// A parameter given as 'auto' (gaussian/laplacian γ by default) is a weight too,
// in the same form: non-trainable when the kernel is not learnable, else the
// learnable weight's starting value. It starts at the median heuristic's
// data-free value (engine/kernels/kernel-implementation.ts, MedianHeuristic) and
// is set from data patches when the templates are drawn (models/kerv-init.ts);
// being a weight, the chosen value travels with checkpoints and saved models.
import * as tf from '@tensorflow/tfjs';
import { kernelSpecSchema, type KernelSpec, type KernelSpecInput } from '../../shared/run-config';
import { convGeometry, toPair, type Pair } from '../kernels/conv-geometry';
import { kervConv2d, type KervKernel } from '../kernels/kerv-conv2d';
import { kernelImplementation, medianHeuristic } from '../kernels/registry';
import type { LearnableMode } from '../../shared/kernels/define';
import { resolveInitializer, serializeInitializer, type Initializer, type InitializerIdentifier } from './initializers';

export type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;
type LayerVariable = ReturnType<tf.layers.Layer['addWeight']>;

export interface KervConv2DArgs extends LayerArgs {
  filters: number;
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  padding?: 'valid' | 'same';
  dilationRate?: number | [number, number];
  /** Default true; the bias is added after the kernel function. */
  useBias?: boolean;
  /** A KernelSpec; omitted fields take the run-config defaults (polynomial c = 1, d = 3, ...). */
  kernel: KernelSpec | KernelSpecInput;
  /** Default: defaultKernelInitializer(kernel) — glorotUniform, its variance scaled down for polynomial. */
  kernelInitializer?: InitializerIdentifier | Initializer;
  /** Default 'zeros'. */
  biasInitializer?: InitializerIdentifier | Initializer;
}

/**
 * The default filter initializer for a kernel: glorotUniform, with its variance
 * shrunk for polynomial kernels so a stack of them does not overflow (see
 * polynomial-init.ts: 1/57 of glorot for the default c = 1, d = 3). The other
 * kernels keep glorotUniform: sigmoid saturates instead of exploding, cosine is
 * scale-free in w, and the distance kernels are dominated by ‖p‖ at the start.
 * Models that follow with batch norm / ReLU may pass their own initializer.
 */
export function defaultKernelInitializer(kernel: KernelSpec): Initializer {
  const scale = kernelImplementation(kernel.type).glorotScale?.(kernel) ?? 1;
  if (scale === 1) return tf.initializers.glorotUniform({});
  return tf.initializers.varianceScaling({ scale, mode: 'fanAvg', distribution: 'uniform' });
}

function parseKernelSpec(kernel: unknown): KernelSpec {
  const result = kernelSpecSchema.safeParse(kernel);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = ['kernel', ...issue.path.map(String)].join('.');
    throw new Error(`KervConv2D ${path}: ${issue.message}`);
  }
  return result.data;
}

export class KervConv2D extends tf.layers.Layer {
  static className = 'KervConv2D';

  readonly filters: number;
  readonly kernelSize: Pair;
  readonly strides: Pair;
  readonly padding: 'valid' | 'same';
  readonly dilationRate: Pair;
  readonly useBias: boolean;
  readonly kernelSpec: KernelSpec;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;

  private kernelWeight: LayerVariable | null = null;
  private biasWeight: LayerVariable | null = null;
  /** The raw kernel parameters held as weights (learnable or 'auto'), by parameter name (see the header for their transform). */
  private paramWeights = new Map<string, LayerVariable>();

  constructor(args: KervConv2DArgs) {
    super(args);
    if (!Number.isInteger(args.filters) || args.filters < 1) {
      throw new Error(`KervConv2D filters must be a positive integer, got ${JSON.stringify(args.filters)}`);
    }
    this.filters = args.filters;
    this.kernelSize = toPair(args.kernelSize, 1, 'KervConv2D kernelSize');
    this.strides = toPair(args.strides, 1, 'KervConv2D strides');
    this.dilationRate = toPair(args.dilationRate, 1, 'KervConv2D dilationRate');
    const padding = args.padding ?? 'valid';
    if (padding !== 'valid' && padding !== 'same') {
      throw new Error(`KervConv2D padding must be 'valid' or 'same', got ${JSON.stringify(padding)}`);
    }
    this.padding = padding;
    this.useBias = args.useBias ?? true;
    this.kernelSpec = parseKernelSpec(args.kernel);
    this.kernelInitializer =
      args.kernelInitializer === undefined
        ? defaultKernelInitializer(this.kernelSpec)
        : resolveInitializer(args.kernelInitializer, 'KervConv2D kernelInitializer');
    this.biasInitializer = resolveInitializer(args.biasInitializer ?? 'zeros', 'KervConv2D biasInitializer');
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const inC = shape[shape.length - 1];
    if (shape.length !== 4 || inC == null) {
      throw new Error(`KervConv2D expects NHWC input [batch, height, width, channels] with known channels, got [${shape.join(', ')}]`);
    }
    this.kernelWeight = this.addWeight('kernel', [...this.kernelSize, inC, this.filters], 'float32', this.kernelInitializer);
    if (this.useBias) this.biasWeight = this.addWeight('bias', [this.filters], 'float32', this.biasInitializer);
    const spec = this.kernelSpec as Record<string, unknown>;
    const mode = spec.learnable as LearnableMode | undefined;
    const patchSize = this.kernelSize[0] * this.kernelSize[1] * inC;
    for (const [param, reparam] of Object.entries(kernelImplementation(this.kernelSpec.type).reparametrisation)) {
      const auto = spec[param] === 'auto';
      if (!mode && !auto) continue;
      const value = auto ? 1 / medianHeuristic(this.kernelSpec.type, param).expectedUnitDistance(patchSize) : (spec[param] as number);
      const initial = tf.initializers.constant({ value: reparam.toRaw(value) });
      this.paramWeights.set(param, this.addWeight(reparam.weightName, mode === 'channel' ? [this.filters] : [1], 'float32', initial, undefined, Boolean(mode)));
    }
    this.built = true;
  }

  /** The parameters the spec leaves to the data ('auto'), in declaration order. */
  autoKernelParameters(): string[] {
    const spec = this.kernelSpec as Record<string, unknown>;
    return Object.keys(kernelImplementation(this.kernelSpec.type).reparametrisation).filter((param) => spec[param] === 'auto');
  }

  /** Sets a parameter held as a weight (see the header) to one value, on every channel. */
  setKernelParameter(param: string, value: number): void {
    const weight = this.paramWeights.get(param);
    if (!weight) throw new Error(`KervConv2D ${this.name}: kernel.${param} is not a weight (neither learnable nor 'auto')`);
    const reparametrisation = kernelImplementation(this.kernelSpec.type).reparametrisation[param];
    const raw = tf.fill(weight.shape as number[], reparametrisation.toRaw(value));
    weight.write(raw);
    raw.dispose();
  }

  /**
   * The kernel parameters held as weights, as the kernel uses them (γ, not
   * log γ), by name: shape [1] (learnable 'scalar', or fixed and chosen by
   * 'auto') or [filters] ('channel'). Empty when every parameter is a config
   * number. New tensors: the caller disposes them.
   */
  kernelParameters(): { name: string; value: tf.Tensor1D }[] {
    const reparametrisation = kernelImplementation(this.kernelSpec.type).reparametrisation;
    // clone: an IDENTITY reparametrisation (sigmoid's c) returns the weight's own tensor, which the caller would dispose.
    return [...this.paramWeights].map(([name, weight]) => ({ name, value: tf.tidy(() => tf.clone(reparametrisation[name].fromRaw(weight.read()))) as tf.Tensor1D }));
  }

  /** The op-level kernel, with the learnable parameters (if any) as tensors. */
  private opKernel(): KervKernel {
    if (this.paramWeights.size === 0) return this.kernelSpec;
    const reparametrisation = kernelImplementation(this.kernelSpec.type).reparametrisation;
    const kernel: Record<string, unknown> = { ...this.kernelSpec };
    for (const [param, weight] of this.paramWeights) kernel[param] = reparametrisation[param].fromRaw(weight.read());
    return kernel as KervKernel;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      if (!this.kernelWeight) throw new Error('KervConv2D called before build');
      const y = kervConv2d(x, this.kernelWeight.read() as tf.Tensor4D, {
        kernel: this.opKernel(),
        strides: this.strides,
        padding: this.padding,
        dilation: this.dilationRate,
      });
      return this.biasWeight ? tf.add(y, this.biasWeight.read()) : y;
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const [batch, h, w, c] = shape;
    if (h == null || w == null || c == null) return [batch, null, null, this.filters];
    const g = convGeometry([1, h, w, c], [...this.kernelSize, c, this.filters], this.strides, this.padding, this.dilationRate);
    return [batch, g.outH, g.outW, this.filters];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: [...this.kernelSize],
      strides: [...this.strides],
      padding: this.padding,
      dilationRate: [...this.dilationRate],
      useBias: this.useBias,
      kernel: { ...this.kernelSpec },
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
    };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const args = {
      ...config,
      kernelInitializer: resolveInitializer(config.kernelInitializer, 'KervConv2D kernelInitializer'),
      biasInitializer: resolveInitializer(config.biasInitializer, 'KervConv2D biasInitializer'),
    } as unknown as KervConv2DArgs;
    return new cls(args);
  }
}
tf.serialization.registerClass(KervConv2D);

/** Factory in the style of tf.layers.conv2d. */
export function kervConv2dLayer(args: KervConv2DArgs): KervConv2D {
  return new KervConv2D(args);
}
