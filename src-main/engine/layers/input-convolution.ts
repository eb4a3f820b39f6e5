// The convolution that reads the images computes no gradient for them.
// tfjs-layers' Conv2D with a linear activation (conv → BN, conv → separate tanh)
// trains through tf.fused.conv2d, whose custom gradient computes the input's
// gradient together with the filter's, needed or not: for
// the first convolution of a model that is a full Conv2DBackpropInput per step
// nobody reads (14 ms of the reference CNN's 290 ms step on one thread, 7 of
// LeNet-5's 40). In training mode such a layer runs tf.conv2d, then the bias and
// the activation as their own ops: their registered gradients are computed only
// for what the tape asks for, the filter and the bias. Inference is untouched.
import * as tf from '@tensorflow/tfjs';

interface Conv2DInternals {
  rank: number;
  dataFormat: string;
  strides: [number, number];
  padding: 'same' | 'valid';
  dilationRate: [number, number];
  kernel: tf.LayerVariable;
  bias?: tf.LayerVariable | null;
  activation: { apply(x: tf.Tensor): tf.Tensor };
  inboundNodes: { inboundLayers: tf.layers.Layer[] }[];
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[];
}

const patched = new WeakSet<object>();

/** Whether this is a plain 2-D, channels-last, undilated Conv2D fed by the model's input layer alone. */
function readsTheImages(layer: tf.layers.Layer): boolean {
  if (layer.getClassName() !== 'Conv2D') return false;
  const conv = layer as unknown as Conv2DInternals;
  if (conv.rank !== 2 || conv.dataFormat !== 'channelsLast' || conv.dilationRate.some((d) => d !== 1)) return false;
  return conv.inboundNodes.length === 1 && conv.inboundNodes[0].inboundLayers.every((l) => l.getClassName() === 'InputLayer');
}

/** Makes the convolutions of `model` that read its input skip the input's gradient when training. Idempotent. */
export function skipImageGradient(model: tf.LayersModel): number {
  const layers = model.layers.filter(readsTheImages);
  for (const layer of layers) {
    if (patched.has(layer)) continue;
    patched.add(layer);
    const conv = layer as unknown as Conv2DInternals;
    const inference = conv.call.bind(conv);
    conv.call = (inputs, kwargs) => {
      if (!kwargs.training) return inference(inputs, kwargs);
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      return tf.tidy(() => {
        const y = tf.conv2d(x, conv.kernel.read() as tf.Tensor4D, conv.strides, conv.padding, 'NHWC');
        return conv.activation.apply(conv.bias ? tf.add(y, conv.bias.read()) : y);
      });
    };
  }
  return layers.length;
}
