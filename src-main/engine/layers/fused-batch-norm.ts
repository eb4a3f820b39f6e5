// Training-mode batch norm through the fused op (ops/batch-norm-training.ts).
// tfjs-layers' BatchNormalization trains through tf.moments and tf.batchNorm; on
// the model instances a run trains, each such layer's call() is replaced by one
// that, in training mode, runs the BatchNormTraining op and updates the moving
// averages with tfjs-layers' own formula. Inference, the layer's weights and the
// saved model format are untouched.
//
// A ReLU layer that is a batch norm's one consumer (conv → BN → ReLU, the unit of
// every plain CNN and ResNet here) is fused into it: the batch norm applies the
// ReLU in its output pass and masks the gradient in its backward passes, and
// the ReLU layer passes its input through in training mode (inference still
// applies it). ReLU is idempotent, so the pair computes what the two layers do.
import * as tf from '@tensorflow/tfjs';
import { batchNormMovingAverages, batchNormTraining, type FusedActivation } from '../ops/batch-norm-training';
import { layersOfClass } from './layers-of-class';

interface BatchNormInternals {
  name: string;
  axis: number;
  momentum: number;
  epsilon: number;
  gamma?: tf.LayerVariable | null;
  beta?: tf.LayerVariable | null;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
  outboundNodes: { outboundLayer: tf.layers.Layer; inboundLayers: tf.layers.Layer[] }[];
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[];
}

type LayerCall = (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

interface Fusion {
  activation: FusedActivation;
  /** The data-parallel collective's label ('' on one thread). */
  collective: string;
}

const fused = new WeakMap<object, Fusion>();

function trainingCall(layer: BatchNormInternals, input: tf.Tensor, fusion: Fusion): tf.Tensor {
  return tf.tidy(() => {
    const channels = input.shape[input.rank - 1];
    const scale = (layer.gamma?.read() as tf.Tensor1D | undefined) ?? tf.ones([channels]);
    const offset = (layer.beta?.read() as tf.Tensor1D | undefined) ?? tf.zeros([channels]);
    const { y, mean, variance } = batchNormTraining(input, scale as tf.Tensor1D, offset as tf.Tensor1D, { epsilon: layer.epsilon, ...fusion });
    // tfjs-layers' moving averages: value' = value − (value − batchStatistic) · (1 − momentum), one kernel for both.
    const [movingMean, movingVariance] = batchNormMovingAverages(layer.movingMean.read(), layer.movingVariance.read(), mean, variance, layer.momentum);
    layer.movingMean.write(movingMean);
    layer.movingVariance.write(movingVariance);
    return y;
  });
}

function isRelu(layer: tf.layers.Layer): boolean {
  const config = layer.getConfig() as { activation?: string; maxValue?: number | null };
  if (layer.getClassName() === 'ReLU') return config.maxValue == null;
  return layer.getClassName() === 'Activation' && config.activation === 'relu';
}

/** The ReLU layer this batch norm feeds alone, if any (and its output is not one of the model's). */
function soleReluConsumer(layer: BatchNormInternals, model: tf.LayersModel): tf.layers.Layer | null {
  if (layer.outboundNodes.length !== 1) return null;
  const [node] = layer.outboundNodes;
  if (node.inboundLayers.length !== 1 || !isRelu(node.outboundLayer)) return null;
  if (model.outputs.some((output) => output.sourceLayer === (layer as unknown as tf.layers.Layer))) return null;
  return node.outboundLayer;
}

/** Lets a fused ReLU layer pass its (already rectified) input through in training mode. */
function passThroughWhenTraining(relu: tf.layers.Layer): void {
  const internals = relu as unknown as { call: LayerCall };
  const apply = internals.call.bind(relu);
  internals.call = (inputs, kwargs) => (kwargs.training ? (Array.isArray(inputs) ? inputs[0] : inputs) : apply(inputs, kwargs));
}

/**
 * Makes every BatchNormalization layer of `model` train through the fused op,
 * with a sole ReLU consumer fused in. Idempotent; returns the layers.
 */
export function fuseBatchNorm(model: tf.LayersModel): BatchNormInternals[] {
  const layers = layersOfClass<BatchNormInternals>(model.layers, 'BatchNormalization');
  for (const layer of layers) {
    if (fused.has(layer)) continue;
    const relu = soleReluConsumer(layer, model);
    const fusion: Fusion = { activation: relu ? 'relu' : 'linear', collective: '' };
    fused.set(layer, fusion);
    if (relu) passThroughWhenTraining(relu);
    const inference = layer.call.bind(layer);
    layer.call = (inputs, kwargs) => {
      const input = Array.isArray(inputs) ? inputs[0] : inputs;
      if (!kwargs.training) return inference(inputs, kwargs);
      const axis = layer.axis < 0 ? layer.axis + input.rank : layer.axis;
      if (axis !== input.rank - 1) throw new Error(`batch norm layer ${layer.name} normalises axis ${layer.axis}; training supports the channels-last axis only`);
      return trainingCall(layer, input, fusion);
    };
  }
  return layers;
}

/** Makes the fused batch-norm layers of `model` sum their statistics over the replicas of a data-parallel step (each under its layer's name). */
export function collectiveBatchNorm(model: tf.LayersModel): number {
  const layers = fuseBatchNorm(model);
  for (const layer of layers) (fused.get(layer) as Fusion).collective = layer.name;
  return layers.length;
}
