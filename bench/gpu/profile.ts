// `npm run bench:gpu -- --profile`: where one training step's GPU time goes.
// For each model (bench/gpu/step-cases.ts) it measures, on the webgpu backend:
//   - dispatches per step, by program family (exact on any adapter);
//   - wall time per step, timed over several steps in the normal (batched) mode;
//   - GPU time per tfjs kernel, from timestamp queries, in a separate profiled step
//     (tf.profile gives every program its own pass and submit, so the wall time of
//     that step means nothing; its timestamps do);
//   - wall time against the summed kernel time: far above it, the host is the bottleneck.
// Without the adapter feature 'timestamp-query' there are no GPU times, and the
// report says so. On Dawn's null backend (KERV_WEBGPU_BACKEND=null) nothing runs on
// a device, so the wall time is the host's own cost of recording the step.
import * as tf from '@tensorflow/tfjs';
import { performance } from 'node:perf_hooks';
import { countDispatches, startCountingDispatches, type DispatchCount } from '../../src-main/engine/backend/webgpu-dispatches';
import { buildStep, syntheticBatch, type StepCase, type StepCaseOptions } from './step-cases';

export interface KernelRow {
  /** The tfjs kernel (Conv2D, FusedBatchNorm, Sum, ...). */
  name: string;
  calls: number;
  dispatches: number;
  /** Summed GPU time of its programs; null without timestamp queries. */
  gpuMs: number | null;
}

export interface StepProfile {
  model: StepCase;
  batch: number;
  dispatches: DispatchCount;
  wallMsPerStep: number;
  /** Σ of every kernel's GPU time in the profiled step; null without timestamp queries. */
  gpuMsPerStep: number | null;
  kernels: KernelRow[];
}

interface EngineInternals {
  profiler: {
    profileKernel: (name: string, inputs: unknown, f: () => tf.Tensor[]) => { timeMs: Promise<number | { error: string }> };
  };
  state: { kernelDepth: number };
}

/** Whether the webgpu device can time programs (its adapter offers 'timestamp-query', and tfjs asks for it when it does). */
export function hasTimestampQuery(): boolean {
  return (tf.backend() as unknown as { supportTimestampQuery?: boolean }).supportTimestampQuery === true;
}

/** Dawn's null backend offers timestamp queries but runs nothing: its timestamps are noise. */
export function isNullAdapter(device: string): boolean {
  return device === 'null-backend';
}

/** One call of fn under tf.profile: its outermost kernels, with their dispatches and GPU time. */
export async function profileKernels(fn: () => tf.Tensor, timed: boolean): Promise<KernelRow[]> {
  const engine = tf.engine() as unknown as EngineInternals;
  const profiler = engine.profiler;
  const original = profiler.profileKernel;
  const records: { name: string; depth: number; dispatches: number; time: Promise<number | { error: string }> }[] = [];
  const counter = startCountingDispatches();
  profiler.profileKernel = function (name, inputs, f) {
    const depth = engine.state.kernelDepth;
    const before = counter.total;
    const profile = original.call(profiler, name, inputs, f);
    records.push({ name, depth, dispatches: counter.total - before, time: profile.timeMs });
    return profile;
  };
  let result: tf.Tensor | null = null;
  try {
    await tf.profile(() => (result = fn()));
  } finally {
    profiler.profileKernel = original;
    counter.stop();
  }
  const out = result as tf.Tensor | null;
  await out?.data();
  out?.dispose();
  // A kernel written over tf ops records its inner kernels too (deeper): only the outermost add up.
  const top = records.length ? Math.min(...records.map((r) => r.depth)) : 0;
  const rows = new Map<string, KernelRow>();
  for (const record of records.filter((r) => r.depth === top)) {
    const time = await record.time;
    const row = rows.get(record.name) ?? { name: record.name, calls: 0, dispatches: 0, gpuMs: timed ? 0 : null };
    row.calls += 1;
    row.dispatches += record.dispatches;
    if (row.gpuMs !== null && typeof time === 'number') row.gpuMs += time;
    rows.set(record.name, row);
  }
  return [...rows.values()];
}

/** Counts, times and profiles one model's training step at this batch size. */
export async function profileStep(name: StepCase, batch: number, options: StepCaseOptions & { warmup: number; steps: number; timed: boolean }): Promise<StepProfile> {
  const built = buildStep(name, options);
  const { x, y } = syntheticBatch(batch, options.size);
  const run = () => built.step(x, y, 0.01);
  try {
    for (let i = 0; i < options.warmup; i++) {
      const metrics = run();
      await metrics.data();
      metrics.dispose();
    }
    const counted = countDispatches(run);
    await counted.result.data();
    counted.result.dispose();

    const start = performance.now();
    let last: tf.Tensor | null = null;
    for (let i = 0; i < options.steps; i++) {
      last?.dispose();
      last = run();
    }
    await last?.data();
    last?.dispose();
    const wallMsPerStep = (performance.now() - start) / options.steps;

    const kernels = await profileKernels(run, options.timed);
    kernels.sort((a, b) => (b.gpuMs ?? 0) - (a.gpuMs ?? 0) || b.dispatches - a.dispatches);
    const gpuMsPerStep = options.timed ? kernels.reduce((s, k) => s + (k.gpuMs ?? 0), 0) : null;
    return { model: name, batch, dispatches: counted.count, wallMsPerStep, gpuMsPerStep, kernels };
  } finally {
    tf.dispose([x, y]);
    built.dispose();
  }
}

const fmt = (ms: number | null, digits = 2) => (ms === null ? '—' : ms.toFixed(digits));

/** The profile as Markdown: the summary line, dispatches by program family, then the kernels by GPU time. */
export function profileMarkdown(p: StepProfile, topKernels = 25): string {
  const families = Object.entries(p.dispatches.byProgram).sort((a, b) => b[1] - a[1]);
  const lines = [
    `### ${p.model}, batch ${p.batch}`,
    '',
    `Dispatches per step: **${p.dispatches.total}** (${families.map(([f, n]) => `${f} ${n}`).join(', ')}).`,
    `Wall time per step: ${fmt(p.wallMsPerStep)} ms; summed GPU kernel time: ${fmt(p.gpuMsPerStep)} ms` +
      (p.gpuMsPerStep !== null && p.gpuMsPerStep > 0 ? ` (the GPU is busy ${((100 * p.gpuMsPerStep) / p.wallMsPerStep).toFixed(0)} % of the wall time)` : '') +
      `; wall time per dispatch: ${((1000 * p.wallMsPerStep) / p.dispatches.total).toFixed(1)} µs.`,
    '',
    '| tfjs kernel | calls | dispatches | GPU ms | % of GPU |',
    '| --- | ---: | ---: | ---: | ---: |',
  ];
  for (const k of p.kernels.slice(0, topKernels)) {
    const share = p.gpuMsPerStep && k.gpuMs !== null ? `${((100 * k.gpuMs) / p.gpuMsPerStep).toFixed(1)}` : '—';
    lines.push(`| ${k.name} | ${k.calls} | ${k.dispatches} | ${fmt(k.gpuMs, 3)} | ${share} |`);
  }
  if (p.kernels.length > topKernels) {
    const rest = p.kernels.slice(topKernels);
    lines.push(`| (${rest.length} more) | ${rest.reduce((s, k) => s + k.calls, 0)} | ${rest.reduce((s, k) => s + k.dispatches, 0)} | | |`);
  }
  return lines.join('\n');
}
