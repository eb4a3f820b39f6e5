// `npm run bench:gpu` (bundled to out/node/gpu-bench.js; bench/gpu/device.sh runs
// each mode on the GPU machine). By default: prints the backend and adapter, checks
// one training step of the reference CNN on the chosen backend against wasm
// (parity), then times training steps of the reference CNN and of ResNet-18 (the
// engine's `resnet18`) on 32×32×3 inputs, through the engine's own step and
// optimiser (SGD with momentum, as bench/gpu/torch_gpu.py), and prints one JSON
// object on the last line. Other modes: --profile (profile.ts), --sweep (sweep.ts),
// --time (step times only, under the host settings given).
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { initBackend } from '../../src-main/engine/backend/select-backend';
import { gpuMemoryMb } from '../../src-main/engine/backend/webgpu';
import { BACKENDS, WEBGPU_SUBMIT_BATCH, type BackendChoice, type WebGpuOptions } from '../../src-main/shared/run-config';
import { dispatchSettings, uniformStats, webgpuBackend } from '../../src-main/engine/backend/webgpu-kernels/runtime';
import { hasTimestampQuery, isNullAdapter, profileMarkdown, profileStep } from './profile';
import { buildStep, parseStepCases, STEP_CASES, syntheticBatch, type StepCase } from './step-cases';
import { runSweep, sweepMarkdown, sweepWorker } from './sweep';

const USAGE = `Usage: npm run bench:gpu -- [options]
  --backend B         webgpu (default) or another tfjs backend
  --batch N           batch size (default 128)
  --size N            square input size (default 32)
  --steps N           timed steps after warm-up (default 20)
  --warmup N          warm-up steps (default 3)
  --resnet-width W    ResNet-18's width multiplier (default 1)
  --profile           per-kernel GPU times, dispatches per step, wall vs kernel time, for each of --models
  --models LIST       with --profile: ${STEP_CASES.join(', ')} (default all)
  --json FILE         with --profile: also write the profiles as JSON
  --submit-batch N    dispatches per queue submit (default ${WEBGPU_SUBMIT_BATCH.default}; tfjs's own: 15)
  --no-uniform-cache  a fresh uniform buffer per dispatch, as tfjs 4.22 writes
  --speed-toggles     Dawn's speed toggles (no validation, robustness, workgroup zeroing)
  --tfjs-gemm naive|mm  tfjs 4.22's own conv and matmul kernels instead of the GEMM core, with its
                      naive or its MM input gradient (to compare them on a GPU)
  --sweep LIST        k processes training --models' first model at once on the GPU, for each k
                      (e.g. 1,2,4,8): the summed images/s against one (a sweep's speed-up)
  --sweep-seconds S   the measured window of each --sweep count (default 15)
  --time              ms per step of each of --models only (no parity check), with the options above
  --label TEXT        with --time: the name its JSON line carries (device.sh's host-setting variants)
Environment: KERV_WEBGPU_BACKEND=null profiles on Dawn's null backend (no device work: the host's cost alone).`;

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'webgpu' },
    batch: { type: 'string', default: '128' },
    size: { type: 'string', default: '32' },
    steps: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    'resnet-width': { type: 'string', default: '1' },
    profile: { type: 'boolean', default: false },
    models: { type: 'string', default: STEP_CASES.join(',') },
    json: { type: 'string' },
    'submit-batch': { type: 'string' },
    'no-uniform-cache': { type: 'boolean', default: false },
    'speed-toggles': { type: 'boolean', default: false },
    'tfjs-gemm': { type: 'string' },
    sweep: { type: 'string' },
    'sweep-seconds': { type: 'string', default: '15' },
    'sweep-worker': { type: 'boolean', default: false },
    time: { type: 'boolean', default: false },
    label: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const backend = values.backend as BackendChoice;
if (!(BACKENDS as readonly string[]).includes(backend)) throw new Error(`--backend must be one of ${BACKENDS.join(', ')}`);
const positive = (name: string, text: string) => {
  const n = Number(text);
  if (!(n > 0)) throw new Error(`--${name} must be a positive number, got ${JSON.stringify(text)}`);
  return n;
};
const batch = positive('batch', values.batch);
const size = positive('size', values.size);
const steps = positive('steps', values.steps);
const warmup = Number(values.warmup);
const resnetWidth = positive('resnet-width', values['resnet-width']);
const caseOptions = { size, resnetWidth };
/** The host-overhead knobs under test (runtime.ts): they travel as the run's WebGPU options would. */
const dispatchOptions: WebGpuOptions = {
  ...(values['submit-batch'] ? { submitBatchSize: positive('submit-batch', values['submit-batch']) } : {}),
  ...(values['no-uniform-cache'] ? { uniformCache: false } : {}),
  ...(values['speed-toggles'] ? { speedToggles: true } : {}),
  ...(values['tfjs-gemm'] ? { tfjsGemm: tfjsGemmChoice(values['tfjs-gemm']) } : {}),
};

function tfjsGemmChoice(text: string): 'naive' | 'mm' {
  if (text !== 'naive' && text !== 'mm') throw new Error(`--tfjs-gemm must be naive or mm, got ${JSON.stringify(text)}`);
  return text;
}

/** ms per training step, after warm-up (shader compilation, buffer pools), waiting for the device at the end. */
async function timeSteps(name: StepCase): Promise<{ msPerStep: number; gpuMb: number | null }> {
  const built = buildStep(name, caseOptions);
  const { x, y } = syntheticBatch(batch, size);
  for (let i = 0; i < warmup; i++) {
    const metrics = built.step(x, y, 0.01);
    await metrics.data();
    metrics.dispose();
  }
  const start = performance.now();
  let last: tf.Tensor | null = null;
  for (let i = 0; i < steps; i++) {
    last?.dispose();
    last = built.step(x, y, 0.01);
  }
  await last?.data();
  const msPerStep = (performance.now() - start) / steps;
  const gpuMb = gpuMemoryMb();
  last?.dispose();
  tf.dispose([x, y]);
  built.dispose();
  return { msPerStep, gpuMb };
}

/** One step's loss and updated weights on `on`, from the same start: the parity check. */
async function oneStep(on: string): Promise<{ loss: number; weights: Float32Array[] }> {
  await tf.setBackend(on);
  const built = buildStep('reference-cnn', caseOptions);
  const { x, y } = syntheticBatch(Math.min(batch, 16), size);
  const metrics = built.step(x, y, 0.01);
  const loss = (await metrics.data())[0];
  const weights = (await Promise.all(built.model.getWeights().map((w) => w.data()))) as Float32Array[];
  tf.dispose([x, y, metrics]);
  built.dispose();
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

async function profile(): Promise<void> {
  const models = parseStepCases(values.models);
  const selection = await initBackend(backend, { webgpu: { profiling: true, ...dispatchOptions } });
  console.log(`Backend: ${selection.backend} on ${selection.device}`);
  if (selection.backend !== 'webgpu') throw new Error('--profile measures the webgpu backend');
  const settings = dispatchSettings(webgpuBackend());
  console.log(`Dispatch: ${settings.submitBatchSize} per submit, uniforms ${settings.cacheUniforms ? 'cached' : 'written per dispatch (tfjs 4.22)'}, Dawn speed toggles ${dispatchOptions.speedToggles ? 'on' : 'off'}`);
  const timed = hasTimestampQuery() && !isNullAdapter(selection.device);
  if (isNullAdapter(selection.device)) console.log("GPU times: none — Dawn's null backend runs nothing; the wall time is the host's cost of recording each step");
  else if (!timed) console.log("GPU times: none — this adapter does not offer 'timestamp-query', so only dispatches and wall times are measured");
  else console.log('GPU times: timestamp queries (Dawn timestamp quantisation off)');
  const profiles = [];
  for (const model of models) {
    const p = await profileStep(model, batch, { ...caseOptions, warmup: Math.max(1, warmup), steps, timed });
    profiles.push(p);
    console.log(`\n${profileMarkdown(p)}`);
  }
  if (values.json) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(values.json, JSON.stringify({ device: selection.device, timestampQuery: timed, dispatch: settings, speedToggles: dispatchOptions.speedToggles === true, batch, size, resnetWidth, profiles }, null, 2));
  }
  console.log(`\n${JSON.stringify({ device: selection.device, batch, dispatches: Object.fromEntries(profiles.map((p) => [p.model, p.dispatches.total])) })}`);
}

async function timeAgainstWasm(): Promise<boolean> {
  await initBackend('wasm');
  const selection = await initBackend(backend, { webgpu: dispatchOptions });
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
  return parityOk;
}

if (values['sweep-worker']) {
  await initBackend(backend, { webgpu: dispatchOptions });
  await sweepWorker({ ...caseOptions, model: parseStepCases(values.models)[0], batch, warmup: Math.max(1, warmup), seconds: positive('sweep-seconds', values['sweep-seconds']) });
} else if (values.sweep) {
  const counts = values.sweep.split(',').map((n) => positive('sweep', n));
  const model = parseStepCases(values.models)[0];
  const seconds = positive('sweep-seconds', values['sweep-seconds']);
  const forwarded = process.argv.slice(2).filter((arg, i, all) => arg !== '--sweep' && all[i - 1] !== '--sweep');
  const rows = await runSweep(counts, process.argv[1], forwarded, seconds, batch);
  console.log(`\n${sweepMarkdown(rows, model, batch, seconds)}`);
  console.log(JSON.stringify({ sweep: rows, model, batch, seconds }));
  process.exit(0);
} else if (values.profile) {
  await profile();
  process.exit(0);
} else if (values.time) {
  const selection = await initBackend(backend, { webgpu: dispatchOptions });
  const times: Record<string, number> = {};
  for (const model of parseStepCases(values.models)) {
    times[model] = (await timeSteps(model)).msPerStep;
    console.log(`${model}, batch ${batch}: ${times[model].toFixed(1)} ms/step`);
  }
  console.log(`uniform cache: ${JSON.stringify(uniformStats(webgpuBackend()))}`);
  console.log(JSON.stringify({ name: values.label ?? JSON.stringify(dispatchOptions), device: selection.device, batch, options: dispatchOptions, msPerStep: times }));
  process.exit(0);
}
if (!values['sweep-worker']) process.exit((await timeAgainstWasm()) ? 0 : 1);
