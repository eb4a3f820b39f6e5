// Turns the measurements into the one markdown table, the target checks (MET /
// MISSED, computed from the numbers) and the per-op profile of what missed.
import type { BenchOptions, ConvVariant } from './options';
import type { EngineResult, KernelTime } from './engine-bench';
import type { TorchResult, TorchVariant } from './torch-bench';
import type { LenetResult } from './lenet5-bench';
import type { MachineInfo } from './machine';
import type { StoreRow } from './store-section';
import { MIB } from './stats';

export interface BenchResults {
  options: BenchOptions;
  machine: MachineInfo;
  engine: EngineResult[];
  torch: TorchResult[];
  /** One LeNet-5 epoch of Fashion-MNIST: ours (kerv train) and PyTorch's at each thread count. */
  lenet: LenetResult[];
  store: StoreRow[];
  /** Sections or measurements that could not run, with the reason. */
  failures: { what: string; reason: string }[];
}

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
  /** Our engine variants the check measured: profiled when it is missed. */
  variants: ConvVariant[];
}

/**
 * Kervolution step time ÷ ordinary convolution step time, at most (same backend).
 * A kernel without a target here (a newly registered one) is measured and shown, not checked.
 */
export const KERNEL_TIME_LIMITS: Partial<Record<Exclude<ConvVariant, 'conv'>, number>> = {
  linear: 1.15,
  polynomial: 1.15,
  sigmoid: 1.15,
  gaussian: 1.5,
  euclidean: 1.5,
  cosine: 1.5,
  manhattan: 4,
};
export const MIN_SPEEDUP_OVER_UNFOLD = 10;
/** Our reference CNN step ÷ PyTorch's (nn.Conv2d), at the same thread count, at most. */
export const MAX_TIME_VS_TORCH_CONV = 2;
/** Our LeNet-5 epoch ÷ PyTorch's at the same thread count, at most; and the test accuracies within this. */
export const MAX_TIME_VS_TORCH_LENET = 1.0;
export const MAX_LENET_ACCURACY_GAP = 0.005;

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '—');
const mib = (bytes: number) => fmt(bytes / MIB, 0);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const ratio = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '—');
const LAYOUT_NAMES = { data: 'data-parallel', xnnpack: 'XNNPACK threads', none: 'one thread' } as const;
const layoutName = (parallel: keyof typeof LAYOUT_NAMES | undefined) => LAYOUT_NAMES[parallel ?? 'none'];

function engineFor(results: BenchResults, variant: ConvVariant): EngineResult | undefined {
  return results.engine.find((e) => e.variant === variant);
}

function torchFor(results: BenchResults, variant: TorchVariant, threads: number): TorchResult | undefined {
  return results.torch.find((t) => t.variant === variant && t.threads === threads);
}

/** The engine variant a PyTorch row is compared with. */
function oursFor(results: BenchResults, variant: TorchVariant): EngineResult | undefined {
  return engineFor(results, variant === 'conv' ? 'conv' : variant === 'unfold-polynomial' ? 'polynomial' : 'gaussian');
}

export function buildTable(results: BenchResults): string {
  const { batch } = results.options;
  const header = [
    'Section', 'Implementation', 'Variant', 'Threads', 'Median ms (step / query)', 'Images/s (or throughput)',
    'Time ÷ our conv', 'Our speed ÷ this', 'Peak tensors (MiB)', 'Peak RSS (MiB)',
  ];
  const rows: string[][] = [];
  const conv = engineFor(results, 'conv');
  for (const e of results.engine) {
    rows.push([
      'a. engine', `tfjs ${e.backend} (ours), ${layoutName(e.parallel)}`, e.stepMs.length < results.options.steps ? `${e.variant} (${plural(e.stepMs.length, 'step')}: slow)` : e.variant, String(e.threads), fmt(e.medianStepMs),
      fmt((batch * 1000) / e.medianStepMs, 0), conv ? ratio(e.medianStepMs / conv.medianStepMs) : '—', '',
      mib(e.peakTensorBytes), mib(e.maxRssBytes),
    ]);
  }
  for (const t of results.torch) {
    const ours = oursFor(results, t.variant);
    const impl = t.variant === 'conv' ? `PyTorch ${t.torchVersion} nn.Conv2d` : `PyTorch ${t.torchVersion} F.unfold kervolution`;
    rows.push([
      'b. torch', impl, t.variant, String(t.threads), fmt(t.medianStepMs), fmt((batch * 1000) / t.medianStepMs, 0),
      '', ours ? `${ratio(t.medianStepMs / ours.medianStepMs)} (vs our ${ours.variant})` : '—', '—', mib(t.maxRssBytes),
    ]);
  }
  // The first of ours is the product's layout: every other row is compared with it.
  const oursLenet = results.lenet.find((l) => l.implementation === 'ours');
  for (const l of results.lenet) {
    const ours = l.implementation === 'ours';
    rows.push([
      'lenet5 epoch', ours ? `kerv train, ${l.version} (ours), ${layoutName(l.parallel)}` : `${l.version} bench/torch_lenet5.py`, `LeNet-5 Fashion-MNIST, test acc ${fmt(100 * l.testAccuracy, 2)}%`,
      String(l.threads), fmt(l.epochMs, 0), '', '', l !== oursLenet && oursLenet ? `${ratio(l.epochMs / oursLenet.epochMs)} (vs our ${layoutName(oursLenet.parallel)} epoch)` : '', '—', '—',
    ]);
  }
  for (const s of results.store) {
    rows.push(['c. store', 'SQLite store (ours)', s.what, '1', s.medianMs === null ? '' : fmt(s.medianMs, 2), '', '', '', '—', s.maxRssBytes ? mib(s.maxRssBytes) : '—']);
    if (s.throughput) rows[rows.length - 1][5] = s.throughput;
  }
  for (const f of results.failures) rows.push(['not measured', f.what, f.reason.replace(/\|/g, '/').split('\n')[0].slice(0, 160), '', '', '', '', '', '', '']);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function checkTargets(results: BenchResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const conv = engineFor(results, 'conv');
  if (conv) {
    for (const [kernel, limit] of Object.entries(KERNEL_TIME_LIMITS)) {
      const e = engineFor(results, kernel as ConvVariant);
      if (!e) continue;
      const r = e.medianStepMs / conv.medianStepMs;
      checks.push({ target: `${kernel} step ≤ ${limit}× ordinary conv (${e.backend})`, measured: ratio(r), met: r <= limit, variants: ['conv', e.variant] });
    }
  }
  const matched = results.engine[0]?.threads ?? 1;
  for (const variant of ['unfold-polynomial', 'unfold-gaussian'] as const) {
    const ours = oursFor(results, variant);
    const torchMatched = torchFor(results, variant, matched);
    if (!ours || !torchMatched) continue;
    const speedup = torchMatched.medianStepMs / ours.medianStepMs;
    const others = results.torch
      .filter((t) => t.variant === variant && t.threads !== matched)
      .map((t) => `${ratio(t.medianStepMs / ours.medianStepMs)} vs its ${t.threads} threads`);
    checks.push({
      target: `${ours.variant} ≥ ${MIN_SPEEDUP_OVER_UNFOLD}× faster than the unfold PyTorch kervolution (${matched} thread${matched > 1 ? 's' : ''} each)`,
      measured: `${ratio(speedup)}${others.length ? ` (${others.join(', ')})` : ''}`,
      met: speedup >= MIN_SPEEDUP_OVER_UNFOLD,
      variants: [ours.variant],
    });
  }
  const torchConv = torchFor(results, 'conv', matched);
  if (conv && torchConv) {
    const time = conv.medianStepMs / torchConv.medianStepMs;
    const others = results.torch
      .filter((t) => t.variant === 'conv' && t.threads !== matched)
      .map((t) => `${ratio(conv.medianStepMs / t.medianStepMs)} its ${t.threads}-thread step`);
    checks.push({
      target: `reference CNN step (our ${conv.backend} conv) ≤ ${MAX_TIME_VS_TORCH_CONV}× PyTorch nn.Conv2d's (${plural(matched, 'thread')} each)`,
      measured: `${ratio(time)}${others.length ? ` (${others.join(', ')})` : ''}`,
      met: time <= MAX_TIME_VS_TORCH_CONV,
      variants: ['conv'],
    });
  }
  const oursLenet = results.lenet.find((l) => l.implementation === 'ours');
  const torchLenet = oursLenet && results.lenet.find((l) => l.implementation === 'torch' && l.threads === oursLenet.threads);
  if (oursLenet && torchLenet) {
    const time = oursLenet.epochMs / torchLenet.epochMs;
    const gap = oursLenet.testAccuracy - torchLenet.testAccuracy;
    checks.push({
      target: `LeNet-5 Fashion-MNIST epoch ≤ ${MAX_TIME_VS_TORCH_LENET}× PyTorch's (${plural(oursLenet.threads, 'thread')} each), test accuracy within ±${fmt(100 * MAX_LENET_ACCURACY_GAP, 1)} point`,
      measured: `${ratio(time)}, accuracy ${gap >= 0 ? '+' : ''}${fmt(100 * gap, 2)} points`,
      met: time <= MAX_TIME_VS_TORCH_LENET && Math.abs(gap) <= MAX_LENET_ACCURACY_GAP,
      variants: [],
    });
  }
  return checks;
}

/** What each thread layout buys on the conv step and the LeNet-5 epoch, against one thread. */
export function describeLayouts(results: BenchResults): string[] {
  const lines: string[] = [];
  const convRows = results.engine.filter((e) => e.variant === 'conv');
  const lenetRows = results.lenet.filter((l) => l.implementation === 'ours');
  for (const [what, rows] of [
    ['reference CNN step', convRows.map((e) => ({ parallel: e.parallel, threads: e.threads, ms: e.medianStepMs }))],
    ['LeNet-5 epoch', lenetRows.map((l) => ({ parallel: l.parallel, threads: l.threads, ms: l.epochMs }))],
  ] as const) {
    const one = rows.find((r) => r.threads === 1);
    const multi = rows.filter((r) => r.threads > 1);
    if (!one || multi.length === 0) continue;
    const parts = multi.map((r) => `${layoutName(r.parallel)} ${ratio(one.ms / r.ms)}`);
    lines.push(`- ${what}, speed-up over one thread on ${plural(multi[0].threads, 'thread')}: ${parts.join(', ')}`);
  }
  return lines;
}

function kernelList(kernels: KernelTime[], totalMs: number, top = 8): string {
  return kernels
    .slice(0, top)
    .map((k) => `${k.name} ${fmt(k.ms, 0)} ms (${fmt((100 * k.ms) / Math.max(totalMs, 1e-9), 0)}%, ×${k.calls})`)
    .join(', ');
}

/** Per-op breakdown of one profiled step: the ordinary conv's (the reference CNN step), the variants that missed a target, or all. */
export function describeProfiles(results: BenchResults, checks: TargetCheck[]): string {
  const missed = new Set(checks.filter((c) => !c.met).flatMap((c) => c.variants));
  const shown = results.engine.filter((e, i) => results.options.profileAll || missed.has(e.variant) || (e.variant === 'conv' && results.engine.findIndex((f) => f.variant === 'conv') === i));
  if (shown.length === 0) return '';
  const lines = shown.map((e) => {
    const p = e.profile;
    const total = p.forwardMs + p.backwardMs;
    return [
      `- **${e.variant}**: profiled step ${fmt(total, 0)} ms of kernel time = forward ${fmt(p.forwardMs, 0)} ms + backward and update ${fmt(p.backwardMs, 0)} ms.`,
      `  - forward: ${kernelList(p.forwardKernels, total)}`,
      `  - backward: ${kernelList(p.backwardKernels, total)}`,
    ].join('\n');
  });
  return ['### Where the time goes (one step of the whole batch on one engine under tf.profile, kernel wall time by op)', '', ...lines].join('\n');
}

export function renderReport(results: BenchResults): string {
  const { options: o, machine: m } = results;
  const torchVersion = results.torch[0]?.torchVersion ?? 'not run';
  const e = results.engine[0];
  const load = (l: number[] | null) => (l ? l.map((v) => v.toFixed(2)).join(' / ') : '—');
  const checks = checkTargets(results);
  const parts = [
    `## ${m.date}${o.quick ? ' (quick: smoke run, not a measurement)' : ''}`,
    '',
    `- Machine: ${m.cpuModel}, ${m.cores} cores, ${fmt(m.ramBytes / 1024 ** 3, 1)} GiB RAM; ${m.os}`,
    `- Versions: node ${m.node}, tfjs ${m.tfjs}, torch ${torchVersion}; backend ${e ? `${e.backend} (${plural(e.threads, 'thread')}, ${layoutName(e.parallel)})` : 'not run'}`,
    `- Load average (1/5/15 min): ${load(m.loadAtStart)} at start, ${load(m.loadAtEnd)} at end`,
    `- Reference CNN: batch ${o.batch}, ${o.channels}×${o.imageSize}×${o.imageSize}, conv 3×3 32-64-128 + batch norm + ReLU + max-pool, dense ${o.classes}; SGD momentum 0.9.` +
      ` Median of ${plural(o.steps, 'step')} after ${o.warmupSteps} warm-up (unfold PyTorch kervolution: ${o.torchKervSteps} after ${o.torchKervWarmupSteps};` +
      ` a variant whose first step takes over ${o.slowStepMs / 1000} s: fewer, as its row says). One fixed random batch: data loading is not measured.`,
    `- LeNet-5 epoch: \`kerv train --arch lenet5\` (the product's default recipe: Adam 0.002, cosine, batch 64, 10% held out) against bench/torch_lenet5.py with the same recipe, one epoch${o.lenetTrainSubset ? ` of ${o.lenetTrainSubset} images` : ' of the real Fashion-MNIST'}, seed 0; each epoch's time includes its validation pass (PyTorch's also its test pass), not data loading or start-up.`,
    '',
    buildTable(results),
    '',
    '### Targets',
    '',
    ...(o.quick ? ['_Quick run: sizes too small for the targets to mean anything; listed to exercise the checks._', ''] : []),
    ...(checks.length ? checks.map((c) => `- ${c.met ? 'MET' : 'MISSED'}: ${c.target}: ${c.measured}`) : ['- none could be checked (sections missing)']),
  ];
  const layouts = describeLayouts(results);
  if (layouts.length) parts.push('', '### Thread layouts (shared/parallelism.ts)', '', ...layouts);
  const profile = describeProfiles(results, checks);
  if (profile) parts.push('', profile);
  return parts.join('\n') + '\n';
}
