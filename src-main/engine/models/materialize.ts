// Turns an architecture description into a functional tf.LayersModel. Layer names
// come from the description (stem_conv, s2b1_conv1, ...), so they are the same in
// every build and readable in the architecture preview.
import * as tf from '@tensorflow/tfjs';
import type { ArchitectureSpec, ArchNode } from './spec';
import { convLayer } from './conv-layer';

// PyTorch's defaults (momentum 0.1 there = 0.9 here, eps 1e-5) rather than tfjs'
// 0.99: with 0.99 the moving statistics lag far behind in the short runs a
// workbench mostly does, and validation accuracy looks worse than training's.
const BATCH_NORM = { axis: -1, momentum: 0.9, epsilon: 1e-5 } as const;

export interface MaterializeOptions {
  /**
   * false fills every weight with zeros instead of drawing it: for models that are
   * only described (layer shapes and parameter counts), never run. Drawing
   * ResNet-34's 21 M random numbers is most of the time a build takes.
   */
  initialize?: boolean;
}

type LeafNode = Exclude<ArchNode, { op: 'residual' }>;

function layerFor(node: LeafNode): tf.layers.Layer {
  switch (node.op) {
    case 'conv':
      return convLayer(
        { name: node.name, filters: node.filters, kernelSize: node.kernelSize, strides: node.strides, padding: node.padding, useBias: node.useBias },
        node.kernel,
      );
    case 'batchNorm':
      return tf.layers.batchNormalization({ ...BATCH_NORM, name: node.name, gammaInitializer: node.zeroGamma ? 'zeros' : 'ones' });
    case 'activation':
      return tf.layers.activation({ name: node.name, activation: node.fn });
    case 'maxPool':
      return tf.layers.maxPooling2d({ name: node.name, poolSize: node.poolSize, strides: node.strides, padding: 'valid' });
    case 'globalAvgPool':
      return tf.layers.globalAveragePooling2d({ name: node.name });
    case 'globalMaxPool':
      return tf.layers.globalMaxPooling2d({ name: node.name });
    case 'flatten':
      return tf.layers.flatten({ name: node.name });
    case 'dense':
      return tf.layers.dense({
        name: node.name,
        units: node.units,
        activation: node.activation,
        // He for ReLU layers; Glorot for tanh layers (its derivation) and for the logits.
        kernelInitializer: node.activation === 'relu' ? 'heNormal' : 'glorotUniform',
      });
    case 'dropout':
      return tf.layers.dropout({ name: node.name, rate: node.rate });
  }
}

/** Swaps a layer's initialisers for zeros before it builds its weights. */
function withZeroWeights(layer: tf.layers.Layer): tf.layers.Layer {
  const initializers = layer as unknown as Record<string, unknown>;
  for (const key of Object.keys(initializers)) {
    if (key.endsWith('Initializer') && initializers[key] instanceof tf.serialization.Serializable) {
      initializers[key] = tf.initializers.zeros();
    }
  }
  return layer;
}

function shapeText(shape: tf.Shape): string {
  return shape.slice(1).join('×');
}

interface BuildContext {
  spec: ArchitectureSpec;
  initialize: boolean;
  /** Every layer made so far, so their weights can be freed when a later one fails. */
  created: tf.layers.Layer[];
}

function applyNodes(ctx: BuildContext, nodes: readonly ArchNode[], input: tf.SymbolicTensor): tf.SymbolicTensor {
  const { spec } = ctx;
  let x = input;
  for (const node of nodes) {
    if (node.op === 'residual') {
      const body = applyNodes(ctx, node.body, x);
      const shortcut = node.shortcut.length > 0 ? applyNodes(ctx, node.shortcut, x) : x;
      x = tf.layers.add({ name: node.name }).apply([body, shortcut]) as tf.SymbolicTensor;
      continue;
    }
    const before = x.shape;
    try {
      const layer = ctx.initialize ? layerFor(node) : withZeroWeights(layerFor(node));
      ctx.created.push(layer);
      x = layer.apply(x) as tf.SymbolicTensor;
    } catch (error) {
      throw new Error(`${spec.arch}: layer ${node.name} cannot take a ${shapeText(before)} input: ${(error as Error).message}`);
    }
    if (x.shape.slice(1).some((d) => d !== null && d < 1)) {
      const [h, w, c] = spec.inputShape;
      throw new Error(`${spec.arch}: a ${h}×${w}×${c} input is too small: layer ${node.name} would output ${shapeText(x.shape)}`);
    }
  }
  return x;
}

/** Builds the tfjs model an architecture describes. Its output is the logits. */
export function materialize(spec: ArchitectureSpec, options: MaterializeOptions = {}): tf.LayersModel {
  const input = tf.input({ shape: spec.inputShape, name: 'image' });
  const ctx: BuildContext = { spec, initialize: options.initialize ?? true, created: [] };
  let output: tf.SymbolicTensor;
  try {
    output = applyNodes(ctx, spec.layers, input);
  } catch (error) {
    for (const layer of ctx.created) if (layer.built) layer.dispose();
    throw error;
  }
  return tf.model({ inputs: input, outputs: output, name: spec.arch.replace(/[^A-Za-z0-9_]/g, '_') });
}
