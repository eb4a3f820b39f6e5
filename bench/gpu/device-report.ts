// The GPU machine's results as one Markdown section (bench/gpu/device.sh writes the
// JSON files this reads; each part is optional: a section that ran out of time is
// left out, and the page says so). Every number is set beside its issue-20 target.
//   node out/node/gpu-report.js OUT_DIR > gpu-results.md
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StepProfile } from './profile';
import type { SweepRow } from './sweep';

interface Steps {
  device: string;
  batch: number;
  steps: number;
  parity: { lossRelativeError: number; worstWeightRelativeL2: number };
  parityOk: boolean;
  referenceCnnMsPerStep: number;
  resnet18MsPerStep: number;
}
interface Torch {
  framework: string;
  device: string;
  referenceCnnMsPerStep: number;
  resnet18MsPerStep: number;
  referenceCnnMsPerStepTf32?: number;
  resnet18MsPerStepTf32?: number;
}
interface Profiles {
  device: string;
  timestampQuery: boolean;
  dispatch: { submitBatchSize: number; cacheUniforms: boolean };
  batch: number;
  profiles: StepProfile[];
}
interface Variant {
  name: string;
  msPerStep: Record<string, number>;
}
interface Lenet {
  summary: { trainingTimeMs?: number; testAccuracy?: number };
  environment?: { backend: string; device: string; threads: number };
}

/** Issue 20's targets. */
export const TARGETS = { resnet18: 0.25, resnet18Goal: 0.5, referenceCnn: 0.2, lenetSpeedup: 10, lenetAccuracyPoints: 1, sweep8: 3, dispatches: 455 } as const;

function read<T>(dir: string, name: string): T | null {
  const file = join(dir, name);
  if (!existsSync(file)) return null;
  const text = readFileSync(file, 'utf8').trim();
  if (!text) return null;
  try {
    return JSON.parse(text) as T; // a JSON file (--json)
  } catch {
    // A tool's output: its JSON is its last line.
    return JSON.parse(text.split('\n').filter((l) => l.startsWith('{')).pop() ?? 'null') as T | null;
  }
}

function readLines<T>(dir: string, name: string): T[] {
  const file = join(dir, name);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as T);
}

const ms = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(1));
const met = (ok: boolean) => (ok ? 'met' : '**not met**');
const missing = (what: string) => `_${what}: not measured (the section did not run or ran out of time; see logs/)._\n`;

function stepTable(steps: Steps | null, torch: Torch | null): string {
  if (!steps || !torch) return missing('Training steps against PyTorch');
  const row = (name: string, ours: number, strict: number, tf32: number | undefined, target: number) => {
    const speed = strict / ours;
    return `| ${name} | ${ms(ours)} | ${ms(strict)} | ${ms(tf32)} | ${speed.toFixed(3)} | ≥ ${target} (${met(speed >= target)}) |`;
  };
  return [
    `| training step (32×32×3, batch ${steps.batch}) | webgpu (ms) | PyTorch strict fp32 (ms) | PyTorch default, TF32 convs (ms) | webgpu speed ÷ strict fp32 | target |`,
    '| --- | ---: | ---: | ---: | ---: | --- |',
    row('reference CNN', steps.referenceCnnMsPerStep, torch.referenceCnnMsPerStep, torch.referenceCnnMsPerStepTf32, TARGETS.referenceCnn),
    row('ResNet-18', steps.resnet18MsPerStep, torch.resnet18MsPerStep, torch.resnet18MsPerStepTf32, TARGETS.resnet18),
    '',
    `${torch.framework} on ${torch.device}; ${steps.steps} timed steps after warm-up, SGD with momentum on both sides. ResNet-18's goal after the target: ≥ ${TARGETS.resnet18Goal}×.`,
    `Parity with wasm (reference CNN, one step): loss ${steps.parity.lossRelativeError.toExponential(1)}, weights ${steps.parity.worstWeightRelativeL2.toExponential(1)} — ${steps.parityOk ? 'ok' : '**MISMATCH**'}.`,
    '',
  ].join('\n');
}

function profileTables(p: Profiles | null): string {
  if (!p) return missing('The profile');
  const lines = [
    `Profile (\`npm run bench:gpu -- --profile\`, batch ${p.batch}; ${p.dispatch.submitBatchSize} dispatches per submit, uniforms ${p.dispatch.cacheUniforms ? 'cached' : 'not cached'}; GPU times ${p.timestampQuery ? 'from timestamp queries, Dawn quantisation off' : 'unavailable: no timestamp-query on this adapter'}):`,
    '',
    '| model | dispatches per step | wall ms per step | Σ GPU kernel ms | GPU busy | host µs per dispatch (wall − GPU) |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const x of p.profiles) {
    const gpu = x.gpuMsPerStep;
    const host = gpu === null ? null : ((x.wallMsPerStep - gpu) * 1000) / x.dispatches.total;
    const dispatchNote = x.model === 'resnet18' ? ` (target ≤ ${TARGETS.dispatches}: ${met(x.dispatches.total <= TARGETS.dispatches)})` : '';
    lines.push(`| ${x.model} | ${x.dispatches.total}${dispatchNote} | ${ms(x.wallMsPerStep)} | ${gpu === null ? '—' : gpu.toFixed(1)} | ${gpu === null ? '—' : `${Math.round((100 * gpu) / x.wallMsPerStep)} %`} | ${host === null ? '—' : host.toFixed(0)} |`);
  }
  const resnet = p.profiles.find((x) => x.model === 'resnet18');
  if (resnet && p.timestampQuery) {
    lines.push('', 'ResNet-18 (SGD), where the GPU time goes:', '', '| tfjs kernel | calls | dispatches | GPU ms | % |', '| --- | ---: | ---: | ---: | ---: |');
    for (const k of resnet.kernels.slice(0, 12)) {
      lines.push(`| ${k.name} | ${k.calls} | ${k.dispatches} | ${k.gpuMs === null ? '—' : k.gpuMs.toFixed(2)} | ${resnet.gpuMsPerStep && k.gpuMs !== null ? ((100 * k.gpuMs) / resnet.gpuMsPerStep).toFixed(1) : '—'} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function variantTable(variants: Variant[]): string {
  if (variants.length === 0) return missing('Host-overhead variants');
  const base = variants[0].msPerStep.resnet18;
  return [
    '| ResNet-18 step, host settings | ms per step | vs the default |',
    '| --- | ---: | ---: |',
    ...variants.map((v) => `| ${v.name} | ${ms(v.msPerStep.resnet18)} | ${(base / v.msPerStep.resnet18).toFixed(2)}× |`),
    '',
  ].join('\n');
}

function sweepTable(sweep: { sweep: SweepRow[]; model: string; batch: number; seconds: number } | null): string {
  if (!sweep) return missing('The sweep');
  const eight = sweep.sweep.find((r) => r.runs === 8);
  return [
    `| ${sweep.model}, batch ${sweep.batch}: runs at once | images/s, all runs | × one run |`,
    '| ---: | ---: | ---: |',
    ...sweep.sweep.map((r) => `| ${r.runs} | ${r.imagesPerSecond.toFixed(0)} | ${r.speedup.toFixed(2)} |`),
    '',
    `Each count: that many processes training at once, counted over the same ${sweep.seconds} s window once all had warmed up. Target: 8 runs end ≥ ${TARGETS.sweep8}× sooner than in sequence${eight ? ` (${eight.speedup.toFixed(2)}×: ${met(eight.speedup >= TARGETS.sweep8)})` : ''}.`,
    '',
  ].join('\n');
}

function lenetTable(gpu: Lenet | null, wasm: Lenet | null): string {
  if (!gpu?.summary.trainingTimeMs || !wasm?.summary.trainingTimeMs) return missing('The LeNet-5 epoch');
  const speedup = wasm.summary.trainingTimeMs / gpu.summary.trainingTimeMs;
  const points = 100 * Math.abs((gpu.summary.testAccuracy ?? 0) - (wasm.summary.testAccuracy ?? 0));
  const pct = (v: number | undefined) => (v === undefined ? '—' : `${(100 * v).toFixed(2)} %`);
  return [
    '| LeNet-5, one Fashion-MNIST epoch (`kerv train`) | time (s) | test accuracy |',
    '| --- | ---: | ---: |',
    `| webgpu (${gpu.environment?.device ?? '?'}) | ${(gpu.summary.trainingTimeMs / 1000).toFixed(1)} | ${pct(gpu.summary.testAccuracy)} |`,
    `| wasm, ${wasm.environment?.threads ?? 2} threads | ${(wasm.summary.trainingTimeMs / 1000).toFixed(1)} | ${pct(wasm.summary.testAccuracy)} |`,
    '',
    `webgpu is ${speedup.toFixed(1)}× faster; target ≥ ${TARGETS.lenetSpeedup}× at the same accuracy ±${TARGETS.lenetAccuracyPoints} point (${met(speedup >= TARGETS.lenetSpeedup && points <= TARGETS.lenetAccuracyPoints)}; ${points.toFixed(2)} points apart).`,
    '',
  ].join('\n');
}

export function deviceReport(dir: string, date = new Date().toISOString().slice(0, 10)): string {
  const steps = read<Steps>(dir, 'steps.json');
  const gpu = existsSync(join(dir, 'gpu.txt')) ? readFileSync(join(dir, 'gpu.txt'), 'utf8').trim() : 'unknown';
  return [
    `## GPU: webgpu (Dawn) with this project's kernels vs PyTorch on the same device — ${date}`,
    '',
    `GPU: ${gpu}; WebGPU adapter: ${steps?.device ?? '?'}. Written by \`bench/gpu/device.sh\` (\`bench/gpu/device-report.ts\`).`,
    '',
    stepTable(steps, read<Torch>(dir, 'torch.json')),
    profileTables(read<Profiles>(dir, 'profile.json')),
    variantTable(readLines<Variant>(dir, 'variants.jsonl')),
    sweepTable(read(dir, 'sweep.json')),
    lenetTable(read<Lenet>(dir, 'lenet-webgpu.json'), read<Lenet>(dir, 'lenet-wasm.json')),
  ].join('\n');
}

if (process.argv[1]?.endsWith('gpu-report.js')) {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: node gpu-report.js OUT_DIR');
  process.stdout.write(deviceReport(dir));
}
