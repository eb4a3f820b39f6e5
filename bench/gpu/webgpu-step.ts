// The engine side of bench/gpu/run.sh (bundled to out/node/gpu-bench.js): prints the
// backend and adapter, checks one training step of the reference CNN on the chosen
// backend against wasm (parity), then times training steps of the reference CNN and
// of ResNet-18 (the engine's `resnet18`, width 1) on 32×32×3 inputs, through the
// engine's own step and optimiser (SGD with momentum, as bench/gpu/torch_gpu.py).
// Prints one JSON object on the last line.
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { initBackend } from '../../src-main/engine/backend/select-backend';
import { gpuMemoryMb } from '../../src-main/engine/backend/webgpu';
import { buildModel } from '../../src-main/engine/models/build-model';
import { Rng } from '../../src-main/engine/random';
import { TrainOptimizer } from '../../src-main/engine/train/optimizer';
import { withSeededMathRandom } from '../../src-main/engine/train/seeded-random';
import { makeTrainStep, trainableVariables } from '../../src-main/engine/train/step';
import { BACKENDS, modelConfigSchema, optimizerConfigSchema, type BackendChoice } from '../../src-main/shared/run-config';
import { buildReferenceCnn } from '../reference-cnn';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'webgpu' },
    batch: { type: 'string', default: '128' },
    size: { type: 'string', default: '32' },
    steps: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    'resnet-width': { type: 'string', default: '1' },
  },
});
const backend = values.backend as BackendChoice;
if (!(BACKENDS as readonly string[]).includes(backend)) throw new Error(`--backend must be one of ${BACKENDS.join(', ')}`);
const batch = Number(values.batch);
const size = Number(values.size);
const steps = Number(values.steps);
const warmup = Number(values.warmup);
const resnetWidth = Number(values['resnet-width']);

type ModelName = 'reference-cnn' | 'resnet18';

function build(name: ModelName): tf.LayersModel {
  return withSeededMathRandom(new Rng(0), () =>
    name === 'reference-cnn'
      ? buildReferenceCnn('conv', { imageSize: size, channels: 3, classes: 10 })
      : buildModel(modelConfigSchema.parse({ arch: 'resnet18', widthMultiplier: resnetWidth }), { inputShape: [size, size, 3], numClasses: 10 }),
  );
}

function inputs(n: number): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const rng = new Rng(1);
  const x = tf.tensor4d(Float32Array.from({ length: n * size * size * 3 }, () => rng.next() * 2 - 1), [n, size, size, 3]);
  const y = tf.tensor1d(Int32Array.from({ length: n }, () => Math.floor(rng.next() * 10)), 'int32');
  return { x, y };
}

/** ms per training step, after warm-up (shader compilation, buffer pools), waiting for the device at the end. */
async function timeSteps(name: ModelName): Promise<{ msPerStep: number; gpuMb: number | null }> {
  const model = build(name);
  const optimizer = new TrainOptimizer(optimizerConfigSchema.parse({ type: 'sgd', lr: 0.01, momentum: 0.9 }), trainableVariables(model));
  const step = makeTrainStep(model, optimizer, { labelSmoothing: 0, gradClipNorm: null });
  const { x, y } = inputs(batch);
  for (let i = 0; i < warmup; i++) {
    const metrics = step(x, y, 0.01);
    await metrics.data();
    metrics.dispose();
  }
  const start = performance.now();
  let last: tf.Tensor | null = null;
  for (let i = 0; i < steps; i++) {
    last?.dispose();
    last = step(x, y, 0.01);
  }
  await last?.data();
  const msPerStep = (performance.now() - start) / steps;
  const gpuMb = gpuMemoryMb();
  last?.dispose();
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
  return { msPerStep, gpuMb };
}

/** One step's loss and updated weights on `on`, from the same start: the parity check. */
async function oneStep(on: string): Promise<{ loss: number; weights: Float32Array[] }> {
  await tf.setBackend(on);
  const model = build('reference-cnn');
  const optimizer = new TrainOptimizer(optimizerConfigSchema.parse({ type: 'sgd', lr: 0.01, momentum: 0.9 }), trainableVariables(model));
  const { x, y } = inputs(Math.min(batch, 16));
  const metrics = makeTrainStep(model, optimizer, { labelSmoothing: 0, gradClipNorm: null })(x, y, 0.01);
  const loss = (await metrics.data())[0];
  const weights = (await Promise.all(model.getWeights().map((w) => w.data()))) as Float32Array[];
  tf.dispose([x, y, metrics]);
  optimizer.dispose();
  model.dispose();
  return { loss, weights };
}

function relativeL2(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  return n > 0 ? Math.sqrt(d / n) : Math.sqrt(d);
}

await initBackend('wasm');
const selection = await initBackend(backend);
console.log(`Backend: ${selection.backend} on ${selection.device}`);
for (const note of selection.notes) console.log(`note: ${note}`);
const wasm = await oneStep('wasm');
const here = await oneStep(selection.backend);
const parity = {
  lossRelativeError: Math.abs(here.loss - wasm.loss) / Math.abs(wasm.loss),
  worstWeightRelativeL2: Math.max(...here.weights.map((w, i) => relativeL2(w, wasm.weights[i]))),
};
const parityOk = parity.lossRelativeError < 1e-3 && parity.worstWeightRelativeL2 < 1e-3;
console.log(`Parity with wasm (reference CNN, one step): loss ${parity.lossRelativeError.toExponential(1)}, weights ${parity.worstWeightRelativeL2.toExponential(1)} — ${parityOk ? 'ok' : 'MISMATCH'}`);
await tf.setBackend(selection.backend);
const referenceCnn = await timeSteps('reference-cnn');
console.log(`reference CNN, batch ${batch}: ${referenceCnn.msPerStep.toFixed(1)} ms/step`);
const resnet18 = await timeSteps('resnet18');
console.log(`ResNet-18 ×${resnetWidth}, batch ${batch}: ${resnet18.msPerStep.toFixed(1)} ms/step`);
console.log(JSON.stringify({ backend: selection.backend, device: selection.device, batch, size, steps, parity, parityOk, referenceCnnMsPerStep: referenceCnn.msPerStep, resnet18MsPerStep: resnet18.msPerStep, gpuMb: resnet18.gpuMb }));
process.exit(parityOk ? 0 : 1);
