// Generates docs/REPRODUCTION.md with the product itself (issue 14): the paper's
// claims — final accuracy and convergence (the epoch and the wall time at which
// validation accuracy first reaches 85 % / 90 %) of kervolution vs convolution —
// for LeNet-5 and a kervolutional ResNet-18 on the real Fashion-MNIST, each a
// `kerv sweep` over kernels × seeds read back through `kerv export`; the same
// LeNet-5 recipe in PyTorch as the independent check; and the Gaussian
// investigation's sweeps (bench/reproduction-investigation.ts).
//
// Each section writes its own fragment (docs/reproduction/<section>.md, with the
// machine and command that produced it), and the page is assembled from all
// fragments present. So `bench/reproduction.sh` regenerates everything at once,
// and `--sections resnet18` on a GPU machine regenerates one part without
// discarding the others. Every section runs in its own data folder, so the
// user's runs are untouched and sections can run at the same time (--parallel).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderLossCurveSvg, seriesFromLongCsv, type CurveSeries } from './loss-curve-svg';
import { gaussianInvestigation } from './reproduction-investigation';
import { epochCurvesFromSeries, kernelOfRunName, kervIn, log, plural, run, sweep, thresholdTable, version, type EpochCurve } from './reproduction-kerv';
import { aggregate } from '../src-main/shared/table-format';
import { MAX_GPU_SLOTS } from '../src-main/shared/run-config';

const SECTIONS = ['lenet5', 'torch-lenet5', 'resnet18', 'investigation'] as const;
type Section = (typeof SECTIONS)[number];

interface ReproductionOptions {
  sections: Section[];
  epochs: number;
  seeds: number;
  kernels: string[];
  trainSubset: number | null;
  testSubset: number | null;
  backend: string;
  concurrency: number;
  resnetEpochs: number;
  resnetWidth: number;
  resnetKernels: string[];
  resnetTrainSubset: number | null;
  resnetBatch: number;
  resnetBackend: string;
  resnetConcurrency: number;
  torchDevice: string;
  dataDir: string;
  out: string;
  python: string;
  kervScript: string;
  parallel: boolean;
  fresh: boolean;
  reuse: boolean;
}

const USAGE = `Usage: bench/reproduction.sh [options]

  --sections LIST        which sections to (re)generate: ${SECTIONS.join(',')} (default: all);
                         the page is assembled from every fragment in docs/reproduction/
  --epochs N             LeNet-5 epochs, engine and PyTorch (default 5)
  --seeds N              seeds 0..N-1 per kernel, LeNet-5 and ResNet-18 (default 3)
  --kernels LIST         LeNet-5 kernels (default linear,polynomial,gaussian)
  --train-subset N       LeNet-5 (and PyTorch) on N training images only (a pipeline check, not a reproduction)
  --test-subset N        evaluate every engine run on N test images only (a pipeline check)
  --backend B            LeNet-5 backend (default auto)
  --concurrency N        LeNet-5 runs trained at once (default: the number of cores, one thread each)
  --resnet-epochs N      ResNet-18 epochs (default 5)
  --resnet-width F       its width multiplier (default 1)
  --resnet-kernels LIST  its kernels (default linear,polynomial)
  --resnet-train-subset N  its training images (default: all)
  --resnet-batch N       its batch size (default 128)
  --resnet-backend B     its backend (default auto: a GPU where there is one)
  --resnet-concurrency N ResNet-18 runs trained at once (default: all of them)
  --torch-device D       cpu or cuda for the PyTorch LeNet-5 (default cpu)
  --parallel             run the sections at the same time (each has its own data folder)
  --data-dir DIR         the folder of the sections' data folders (default .kerv-data/reproduction)
  --out FILE             the page (default docs/REPRODUCTION.md; fragments beside it in reproduction/)
  --python PATH          Python with torch (default /usr/bin/python3)
  --kerv FILE            the bundled CLI (default kerv.js beside this script)
  --fresh                delete the sections' data folders first
  --assemble-only        train nothing: rebuild the page from the fragments (e.g. ones a GPU machine made)
  --reuse                investigation: export a complete earlier sweep of the same settings in its data folder instead of training it again

Takes hours on 2 CPU cores at the defaults; ResNet-18 wants a GPU (--resnet-backend webgpu).`;

const STRING_OPTIONS = [
  'sections', 'epochs', 'seeds', 'kernels', 'train-subset', 'test-subset', 'backend', 'concurrency', 'resnet-epochs', 'resnet-width', 'resnet-kernels',
  'resnet-train-subset', 'resnet-batch', 'resnet-backend', 'resnet-concurrency', 'torch-device', 'data-dir', 'out', 'python', 'kerv',
];

function parseOptions(argv: string[]): ReproductionOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      ...Object.fromEntries(STRING_OPTIONS.map((name) => [name, { type: 'string' as const }])),
      help: { type: 'boolean' },
      parallel: { type: 'boolean' },
      fresh: { type: 'boolean' },
      'assemble-only': { type: 'boolean' },
      reuse: { type: 'boolean' },
    },
  });
  const v = values as Record<string, string | boolean | undefined>;
  if (v.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const str = (name: string) => (typeof v[name] === 'string' ? (v[name] as string) : undefined);
  const int = (name: string, fallback: number) => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(raw)}`);
    return n;
  };
  const optionalInt = (name: string) => (str(name) === undefined ? null : int(name, 0));
  const list = (name: string, fallback: string) => (str(name) ?? fallback).split(',').map((s) => s.trim()).filter(Boolean);
  const sections = v['assemble-only'] ? [] : list('sections', SECTIONS.join(','));
  const unknown = sections.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (unknown.length) throw new Error(`--sections: unknown ${unknown.join(', ')} (allowed: ${SECTIONS.join(', ')})`);
  const width = str('resnet-width') === undefined ? 1 : Number(str('resnet-width'));
  if (!(width > 0 && width <= 8)) throw new Error(`--resnet-width must be in (0, 8], got ${str('resnet-width')}`);
  const seeds = int('seeds', 3);
  const resnetKernels = list('resnet-kernels', 'linear,polynomial');
  return {
    sections: sections as Section[],
    epochs: int('epochs', 5),
    seeds,
    kernels: list('kernels', 'linear,polynomial,gaussian'),
    trainSubset: optionalInt('train-subset'),
    testSubset: optionalInt('test-subset'),
    backend: str('backend') ?? 'auto',
    concurrency: int('concurrency', os.cpus().length),
    resnetEpochs: int('resnet-epochs', 5),
    resnetWidth: width,
    resnetKernels,
    resnetTrainSubset: optionalInt('resnet-train-subset'),
    resnetBatch: int('resnet-batch', 128),
    resnetBackend: str('resnet-backend') ?? 'auto',
    resnetConcurrency: int('resnet-concurrency', seeds * resnetKernels.length),
    torchDevice: str('torch-device') ?? 'cpu',
    dataDir: resolve(str('data-dir') ?? '.kerv-data/reproduction'),
    out: resolve(str('out') ?? 'docs/REPRODUCTION.md'),
    python: str('python') ?? '/usr/bin/python3',
    kervScript: resolve(str('kerv') ?? join(dirname(fileURLToPath(import.meta.url)), 'kerv.js')),
    parallel: v.parallel === true,
    fresh: v.fresh === true,
    reuse: v.reuse === true,
  };
}

/** Accuracy as a fraction with 4 decimals, the way `kerv export` prints it, so the tables compare directly. */
const acc = (v: number) => v.toFixed(4);
const cpuModel = () => `${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${os.cpus().length} cores`;
const minutes = (ms: number) => `${(ms / 60000).toFixed(1)} min`;

/** The line under each section's title: what produced it, where, when, how long. */
function provenance(o: ReproductionOptions, startedMs: number, extra = ''): string {
  const args = process.argv.slice(2).join(' ');
  return (
    `_Generated by \`bench/reproduction.sh${args ? ' ' + args : ''}\` on ${new Date().toISOString()} (${cpuModel()}; node ${process.versions.node}${extra}) ` +
    `in ${minutes(performance.now() - startedMs)}._`
  );
}

const seedList = (n: number) => (n === 1 ? 'seed 0' : `seeds 0–${n - 1}`);

/** Validation accuracy per epoch, one curve per kernel: the mean over its seeds. */
function epochCurveSvg(curves: Map<string, EpochCurve[]>, title: string): string {
  const series: CurveSeries[] = [...curves].map(([label, runs]) => {
    const epochs = Math.min(...runs.map((r) => r.accuracy.length));
    const x = Array.from({ length: epochs }, (_, e) => e + 1);
    return { label: `${label} (${plural(runs.length, 'seed')})`, x, y: x.map((_, e) => (100 * runs.reduce((sum, r) => sum + r.accuracy[e], 0)) / runs.length) };
  });
  return renderLossCurveSvg(series, { title, xLabel: 'epoch', yLabel: 'validation accuracy (%)' });
}

/** The `kerv sweep` flags of one architecture × kernels × seeds on Fashion-MNIST. */
function comparisonArgs(o: ReproductionOptions, arch: 'lenet5' | 'resnet18', kernels: string[], concurrency: number, trainSubset: number | null, recipe: string[]): string[] {
  return [
    '--arch', arch, '--dataset', 'fashion-mnist', ...recipe,
    '--grid', `model.kernel.type=${kernels.join(',')}`, '--repeats', String(o.seeds),
    // ResNet-18 trains on the GPU (webgpu): there the runs at once are GPU slots.
    '--name', `reproduction-${arch}`, '--concurrency', String(concurrency), ...(arch === 'resnet18' ? ['--gpu-slots', String(Math.min(concurrency, MAX_GPU_SLOTS))] : []),
    ...(trainSubset ? ['--train-subset', String(trainSubset)] : []),
    ...(o.testSubset ? ['--test-subset', String(o.testSubset)] : []),
  ];
}

/** A sweep of one architecture over kernels × seeds, its export table and its convergence. */
async function kernelComparison(
  o: ReproductionOptions,
  name: 'lenet5' | 'resnet18',
  sweepArgs: string[],
): Promise<{ table: string; convergence: string; curves: Map<string, EpochCurve[]>; seriesCsv: string }> {
  const dataDir = join(o.dataDir, name);
  if (o.fresh) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const kerv = kervIn(o.kervScript, dataDir, (m) => log(`${name}: ${m}`));
  const group = await sweep(kerv, sweepArgs);
  const table = await kerv(['export', '--group', String(group), '--format', 'md', '--group-by', 'model.kernel.type']);
  const seriesCsv = await kerv(['export', '--group', String(group), '--series']);
  const curves = epochCurvesFromSeries(seriesCsv);
  return { table: table.trim(), convergence: thresholdTable(curves), curves, seriesCsv };
}

async function lenetSection(o: ReproductionOptions): Promise<string> {
  const started = performance.now();
  const args = comparisonArgs(o, 'lenet5', o.kernels, o.concurrency, o.trainSubset, ['--epochs', String(o.epochs), '--backend', o.backend]);
  const result = await kernelComparison(o, 'lenet5', args);
  const svg = join(dirname(o.out), 'reproduction', 'lenet5-val-accuracy.svg');
  writeFileSync(svg, epochCurveSvg(result.curves, 'LeNet-5 on Fashion-MNIST: validation accuracy per epoch, mean over seeds'));
  return [
    '## LeNet-5 × kernel on Fashion-MNIST',
    '',
    provenance(o, started),
    o.trainSubset ? `\n> **Pipeline check only**: trained on ${o.trainSubset} images (--train-subset), so these accuracies are not a reproduction.\n` : '',
    `\`kerv sweep\`: LeNet-5, kernel ∈ {${o.kernels.join(', ')}} in every convolution (each kernel's registry defaults), ${seedList(o.seeds)}, ` +
      `${plural(o.epochs, 'epoch')}, backend ${o.backend}, ${plural(o.concurrency, 'run')} at a time, the run-config defaults otherwise ` +
      '(Adam 0.002, cosine schedule, batch 64, 10 % held out for validation, the 10,000 test images). `kerv export --format md --group-by model.kernel.type` (mean ± std over seeds):',
    '',
    result.table,
    '',
    'Convergence: the first epoch at which validation accuracy reached 85 % / 90 %, and the wall time since the run started at the end of that epoch ' +
      `(mean over the runs that reached it; "—" = not within ${plural(o.epochs, 'epoch')}). Runs trained ${o.concurrency > 1 ? 'side by side, so wall times compare between kernels of this table, not with other machines' : 'one at a time'}:`,
    '',
    result.convergence,
    '',
    `![LeNet-5 validation accuracy](${relative(dirname(o.out), svg)})`,
  ].join('\n');
}

interface TorchSummary {
  framework: string;
  device: string;
  epochs: number;
  seeds: number[];
  testAccuracyPerEpoch: number[][];
  validationAccuracyPerEpoch: number[][];
  finalTestAccuracyMean: number;
  finalTestAccuracyStd: number;
}

interface TorchEpoch {
  seed: number;
  epoch: number;
  durationMs: number;
}

async function torchSection(o: ReproductionOptions): Promise<string> {
  const started = performance.now();
  const args = [resolve('bench/torch_lenet5.py'), '--epochs', String(o.epochs), '--seeds', Array.from({ length: o.seeds }, (_, i) => i).join(','), '--device', o.torchDevice];
  if (o.trainSubset) args.push('--train-subset', String(o.trainSubset));
  log(`${o.python} ${args.join(' ')}`);
  const lines = (await run(o.python, args, true)).trim().split('\n').map((l) => JSON.parse(l) as { summary?: TorchSummary } & Partial<TorchEpoch>);
  const summary = lines.at(-1)?.summary;
  if (!summary) throw new Error('bench/torch_lenet5.py printed no summary');
  // Cumulative wall time per seed and epoch, from each epoch's duration.
  const wallTimes = summary.seeds.map((seed) => {
    let total = 0;
    return lines.filter((l) => l.seed === seed && l.durationMs !== undefined).map((l) => (total += l.durationMs ?? 0));
  });
  const curves = new Map([
    [`PyTorch (linear), ${summary.device}`, summary.validationAccuracyPerEpoch.map((accuracy, i) => ({ accuracy, wallTimeMs: wallTimes[i] }))],
  ]);
  const rows = summary.testAccuracyPerEpoch[0].map((_, epoch) => {
    const { mean, std } = aggregate(summary.testAccuracyPerEpoch.map((r) => r[epoch])) ?? { mean: NaN, std: null };
    return `| ${epoch + 1} | ${acc(mean)} ± ${acc(std ?? 0)} | ${summary.testAccuracyPerEpoch.map((r) => acc(r[epoch])).join(' / ')} |`;
  });
  return [
    '## The same LeNet-5 recipe in PyTorch',
    '',
    provenance(o, started, `, ${summary.framework} on ${summary.device}`),
    '',
    `bench/torch_lenet5.py: the engine's LeNet-5 (architecture, initialisation, Adam lr 0.002 with a per-step cosine schedule, batch 64, 10 % held out, ` +
      `per-channel normalisation), ${plural(summary.epochs, 'epoch')}, seeds ${summary.seeds.join(', ')}${o.trainSubset ? `, ${o.trainSubset} training images` : ''}:`,
    '',
    '| Epoch | Test acc (mean ± std) | Per seed |',
    '| ---: | ---: | --- |',
    ...rows,
    '',
    'Convergence, as above:',
    '',
    thresholdTable(curves),
    '',
    `Final test accuracy: **${acc(summary.finalTestAccuracyMean)} ± ${acc(summary.finalTestAccuracyStd)}** (compare with the \`linear\` row of the LeNet-5 table).`,
  ].join('\n');
}

async function resnetSection(o: ReproductionOptions): Promise<string> {
  const started = performance.now();
  const args = comparisonArgs(o, 'resnet18', o.resnetKernels, o.resnetConcurrency, o.resnetTrainSubset, [
    '--width', String(o.resnetWidth), '--epochs', String(o.resnetEpochs), '--batch-size', String(o.resnetBatch), '--backend', o.resnetBackend,
  ]);
  const result = await kernelComparison(o, 'resnet18', args);
  const svg = join(dirname(o.out), 'reproduction', 'resnet18-loss.svg');
  const stepLoss = seriesFromLongCsv(result.seriesCsv, 'loss').map((s) => ({ ...s, label: kernelOfRunName(s.label) }));
  // One training-loss curve per kernel (seed 0's), so the plot stays readable.
  const firstPerKernel = stepLoss.filter((s, i) => stepLoss.findIndex((t) => t.label === s.label) === i);
  writeFileSync(svg, renderLossCurveSvg(firstPerKernel, { title: `ResNet-18 (width ×${o.resnetWidth}) on Fashion-MNIST: training loss, seed 0`, xLabel: 'step', yLabel: 'cross-entropy loss' }));
  const images = o.resnetTrainSubset ? `${o.resnetTrainSubset.toLocaleString('en-US')} of the training images` : 'all training images';
  return [
    `## Kervolutional ResNet-18 on Fashion-MNIST`,
    '',
    provenance(o, started),
    '',
    `\`kerv sweep\`: ResNet-18 (width ×${o.resnetWidth}), kernel ∈ {${o.resnetKernels.join(', ')}} in every convolution, ${seedList(o.seeds)}, ` +
      `${plural(o.resnetEpochs, 'epoch')} on ${images} (10 % held out for validation), batch ${o.resnetBatch}, backend ${o.resnetBackend}, ` +
      `${plural(o.resnetConcurrency, 'run')} at a time, the run-config defaults otherwise. \`kerv export --format md --group-by model.kernel.type\`:`,
    '',
    result.table,
    '',
    'Convergence, as for LeNet-5:',
    '',
    result.convergence,
    '',
    `![ResNet-18 training loss](${relative(dirname(o.out), svg)})`,
  ].join('\n');
}

/** The Gaussian screen (bench/reproduction-investigation.ts): LeNet-5 on 5,000 training / 2,000 test images, 2 epochs, one sweep per hypothesis. */
async function investigation(o: ReproductionOptions): Promise<string> {
  const started = performance.now();
  const dataDir = join(o.dataDir, 'investigation');
  if (o.fresh) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const body = await gaussianInvestigation({
    dataDir,
    kervCli: o.kervScript,
    seeds: o.seeds,
    trainSubset: 5000,
    testSubset: 2000,
    epochs: 2,
    log: (m) => log(`investigation: ${m}`),
    reuse: o.reuse,
  });
  const reused = o.reuse ? ' _(--reuse: sweeps already complete in its data folder, trained by this same function, were exported instead of trained again.)_' : '';
  return ['## Why Gaussian kervolution lagged: the investigation', '', provenance(o, started) + reused, '', body.trim()].join('\n');
}

const GENERATORS: Record<Section, (o: ReproductionOptions) => Promise<string>> = {
  lenet5: lenetSection,
  'torch-lenet5': torchSection,
  resnet18: resnetSection,
  investigation,
};

/**
 * The page: a short header, conclusions.md (the one fragment written by hand, from
 * the tables below it), then every generated fragment present, in section order.
 */
function assemblePage(o: ReproductionOptions): string {
  const fragments = ['conclusions', ...SECTIONS].map((s) => join(dirname(o.out), 'reproduction', `${s}.md`))
    .filter((f) => existsSync(f))
    .map((f) => readFileSync(f, 'utf8').trim());
  return [
    '# Reproduction',
    '',
    "The paper's claims (Wang et al., *Kervolutional Neural Networks*, CVPR 2019) tested with the workbench itself: every number below comes from " +
      "the product's own commands (`kerv sweep`, `kerv export`) on the real Fashion-MNIST, except the PyTorch check. `bench/reproduction.sh` regenerates " +
      'all of it (`--help` for the sizes); each section says which machine and command produced it (on a GPU machine, `bench/gpu/device.sh` runs this script ' +
      'with the arguments shown). MNIST and CIFAR-10 are not on the build machines; ' +
      'with their files in the dataset cache, `--grid dataset.name=...` sweeps them the same way.',
    '',
    ...fragments.flatMap((f) => [f, '']),
  ].join('\n');
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  if (!existsSync(o.kervScript)) throw new Error(`${o.kervScript} not found: build it with bench/reproduction.sh or pass --kerv`);
  mkdirSync(join(dirname(o.out), 'reproduction'), { recursive: true });
  if (o.sections.includes('torch-lenet5')) log(`PyTorch: ${await version(o.python, ['-c', 'import torch; print(torch.__version__)'])}`);
  const generate = async (section: Section) => {
    const fragment = await GENERATORS[section](o);
    writeFileSync(join(dirname(o.out), 'reproduction', `${section}.md`), fragment.trim() + '\n');
    writeFileSync(o.out, assemblePage(o));
    log(`${section}: written`);
  };
  if (o.sections.length === 0) writeFileSync(o.out, assemblePage(o));
  if (o.parallel) {
    const results = await Promise.allSettled(o.sections.map(generate));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length) throw new Error(failed.map((f) => String(f.reason instanceof Error ? f.reason.message : f.reason)).join('\n'));
  } else {
    for (const section of o.sections) await generate(section);
  }
  log(`wrote ${o.out}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
