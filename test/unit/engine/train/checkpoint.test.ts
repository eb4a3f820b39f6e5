import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src-main/engine/backend/select-backend';
import { buildModel } from '../../../../src-main/engine/models/build-model';
import { parseRunConfig } from '../../../../src-main/shared/run-config';
import { findCheckpoint, loadCheckpoint, restoreModelWeights, saveCheckpoint } from '../../../../src-main/engine/train/checkpoint';

const tmp = mkdtempSync(join(os.tmpdir(), 'kerv-ckpt-test-'));
beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const config = parseRunConfig({ model: { arch: 'lenet5', kernel: { type: 'polynomial', learnable: true } } });
const build = () => buildModel(config.model, { inputShape: [28, 28, 1], numClasses: 10 });
const state = (step: number, batchInEpoch = 0) => ({
  epoch: Math.floor(step / 10),
  step,
  batchInEpoch,
  dataRng: [1, 2, 3, 4] as [number, number, number, number],
  opsRng: [5, 6, 7, 8] as [number, number, number, number],
  wallTimeMs: 1234,
  bestValidationAccuracy: 0.5,
  lastTrainLoss: 1,
  lastTrainAccuracy: 0.4,
  lastValidationAccuracy: 0.5,
  partialEpoch: null,
  config,
});

describe('checkpoints', () => {
  it('save the model in the standard tfjs layers format, readable by tf.loadLayersModel', async () => {
    const model = build();
    const dir = join(tmp, 'standard');
    const path = await saveCheckpoint(dir, model, [{ name: 'iterations', tensor: tf.scalar(3, 'int32') }], state(10));
    expect(readdirSync(path).sort()).toEqual(['manifest.json', 'model.json', 'optimizer.bin', 'optimizer.json', 'state.json', 'weights.bin']);
    const json = JSON.parse(readFileSync(join(path, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    const bytes = readFileSync(join(path, 'weights.bin'));
    const loaded = await tf.loadLayersModel({
      load: async () => ({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      }),
    });
    const x = tf.randomNormal([2, 28, 28, 1], 0, 1, 'float32', 5);
    const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    tf.dispose([x, a, b]);
    loaded.dispose();
    model.dispose();
  });

  it('restore weights by position into a freshly built model, and keep only the newest checkpoints', async () => {
    const dir = join(tmp, 'rotate');
    const original = build();
    await saveCheckpoint(dir, original, [], state(10));
    await saveCheckpoint(dir, original, [], state(14, 4));
    expect(readdirSync(dir).sort()).toEqual(['step-00000010', 'step-00000014-partial']);
    await saveCheckpoint(dir, original, [], state(20));
    expect(readdirSync(dir).sort()).toEqual(['step-00000020']);
    expect(await findCheckpoint(dir)).toBe(join(dir, 'step-00000020'));

    const loaded = await loadCheckpoint(dir);
    expect(loaded.state).toMatchObject({ step: 20, epoch: 2, dataRng: [1, 2, 3, 4], config });
    const fresh = build();
    restoreModelWeights(fresh, loaded.weights);
    const same = original.weights.every((w, i) => tf.util.arraysEqual(Array.from(w.read().dataSync()), Array.from(fresh.weights[i].read().dataSync())));
    expect(same).toBe(true);
    tf.dispose(loaded.weights);
    original.dispose();
    fresh.dispose();
  });

  it('carry a manifest of sha256 sums: random bytes or a truncation in weights.bin are named as such, not a shape error', async () => {
    const dir = join(tmp, 'corrupt');
    const model = build();
    const saved = await saveCheckpoint(dir, model, [], state(10));
    model.dispose();
    const manifest = JSON.parse(readFileSync(join(saved, 'manifest.json'), 'utf8')) as { files: Record<string, { bytes: number; sha256: string }> };
    expect(Object.keys(manifest.files).sort()).toEqual(['model.json', 'optimizer.bin', 'optimizer.json', 'state.json', 'weights.bin']);
    const weights = readFileSync(join(saved, 'weights.bin'));
    const garbled = Buffer.from(weights);
    garbled.fill(0x7f, 0, Math.min(64, garbled.length));
    writeFileSync(join(saved, 'weights.bin'), garbled);
    await expect(loadCheckpoint(dir)).rejects.toThrow(/is corrupt: .*weights\.bin does not match its sha256/);
    writeFileSync(join(saved, 'weights.bin'), weights.subarray(0, weights.length - 100));
    await expect(loadCheckpoint(dir)).rejects.toThrow(/weights\.bin has \d+ bytes, the manifest says \d+ \(truncated or replaced\)/);
    writeFileSync(join(saved, 'weights.bin'), weights);
    const loaded = await loadCheckpoint(dir);
    tf.dispose(loaded.weights);
  });

  it('explain what is wrong with a folder that is no checkpoint', async () => {
    await expect(loadCheckpoint(join(tmp, 'nope'))).rejects.toThrow(/checkpoint folder .*nope.* does not exist/);
    await expect(loadCheckpoint(tmp)).rejects.toThrow(/holds no checkpoint/);
  });
});
