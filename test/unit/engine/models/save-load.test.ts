// A kernelized model goes through the standard tfjs save format and comes back
// computing exactly the same function.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src-main/engine/backend/select-backend';
import { buildModel } from '../../../../src-main/engine/models/build-model';
import { modelConfigSchema } from '../../../../src-main/shared/run-config';

beforeAll(async () => {
  await initBackend('wasm');
});

/** Random weights everywhere (BN variances positive), so the output depends on every saved value. */
function randomizeWeights(model: tf.LayersModel): void {
  const weights = model.weights.map((w, i) =>
    w.name.includes('moving_variance') ? tf.randomUniform(w.shape as number[], 0.5, 1.5, 'float32', i) : tf.randomNormal(w.shape as number[], 0, 0.3, 'float32', i),
  );
  model.setWeights(weights);
  tf.dispose(weights);
}

async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  let saved: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  // Through JSON, as on disk: nothing may survive only as a live object.
  const copy = JSON.parse(JSON.stringify({ ...saved!, weightData: undefined })) as tf.io.ModelArtifacts;
  return tf.loadLayersModel(tf.io.fromMemory({ ...copy, weightData: saved!.weightData }));
}

describe('save and load', () => {
  it.each([
    ['resnet-small, polynomial in every conv', { arch: 'resnet-small', kernel: { type: 'polynomial', c: 1, d: 3 } }],
    ['convbn, learnable gaussian in convs 0 and 2', { arch: 'convbn', kernel: { type: 'gaussian', gamma: 0.5, learnable: true }, kervLayers: [0, 2] }],
    ['lenet5, learnable polynomial in the stem', { arch: 'lenet5', kernel: { type: 'polynomial', c: 0.5, d: 2, learnable: true }, kervLayers: 'stem' }],
  ])('%s computes identical outputs after a round trip', async (_label, model) => {
    const original = buildModel(modelConfigSchema.parse(model), { inputShape: [28, 28, 1], numClasses: 10 });
    randomizeWeights(original);
    const loaded = await roundTrip(original);

    expect(loaded.layers.map((l) => [l.name, l.getClassName()])).toEqual(original.layers.map((l) => [l.name, l.getClassName()]));
    const kerv = loaded.layers.find((l) => l.getClassName() === 'KervConv2D')!;
    expect((kerv.getConfig() as { kernel: unknown }).kernel).toEqual(modelConfigSchema.parse(model).kernel);

    const x = tf.randomNormal([4, 28, 28, 1], 0, 1, 'float32', 3);
    const a = original.predict(x) as tf.Tensor;
    const b = loaded.predict(x) as tf.Tensor;
    const [before, after] = [a.dataSync(), b.dataSync()];
    expect(Array.from(after)).toEqual(Array.from(before));
    expect(new Set(Array.from(before)).size).toBeGreaterThan(1);
    tf.dispose([x, a, b]);
    original.dispose();
    loaded.dispose();
  });
});
