// The layers of a model of one tfjs class, nested models included: the layers
// whose call() training replaces (fused-batch-norm.ts) or a data-parallel run
// makes shard-aware (parallel/sync-batch-norm.ts, parallel/shard-dropout.ts),
// typed as the internals those modules use.
import type * as tf from '@tensorflow/tfjs';

export function layersOfClass<T>(layers: tf.layers.Layer[], className: string): T[] {
  return layers.flatMap((layer) => {
    const nested = (layer as unknown as { layers?: tf.layers.Layer[] }).layers;
    if (nested) return layersOfClass<T>(nested, className);
    return layer.getClassName() === className ? [layer as unknown as T] : [];
  });
}
