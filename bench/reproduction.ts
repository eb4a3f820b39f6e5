// Generates docs/REPRODUCTION.md with the product itself: a `kerv sweep` of LeNet-5
// × kernel ∈ {linear, polynomial, gaussian} × 3 seeds on the real Fashion-MNIST,
// its `kerv export` table grouped by kernel, the same LeNet-5 recipe in PyTorch
// (bench/torch_lenet5.py), and the loss curve of a kervolutional ResNet-18 of
// reduced width drawn from the exported long-format CSV.
//
// Run it through bench/reproduction.sh (which bundles this file). Everything runs
// in its own data folder, so the user's runs are untouched.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { renderLossCurveSvg, seriesFromLongCsv, type CurveSeries } from './loss-curve-svg';
import { aggregate } from '../src-main/shared/table-format';

interface ReproductionOptions {
  epochs: number;
  seeds: number;
  trainSubset: number | null;
  resnetEpochs: number;
  resnetWidth: number;
  resnetKernel: string;
  /** ResNet-18 trains at ~10 s a step here: a subset keeps the curve to minutes. */
  resnetTrainSubset: number;
  dataDir: string;
  out: string;
  python: string;
  skipTorch: boolean;
  /** LeNet-5 runs trained at once: each is a single-threaded wasm engine, so one per core. */
  concurrency: number;
  fresh: boolean;
}

const USAGE = `Usage: bench/reproduction.sh [options]

  --epochs N          LeNet-5 epochs, engine and PyTorch (default 10: the run-config default)
  --seeds N           seeds 0..N-1 per kernel (default 3)
  --train-subset N    train on N images only (quick check of the pipeline; the numbers are then not a reproduction)
  --resnet-epochs N   epochs of the kervolutional ResNet-18 (default 3)
  --resnet-width F    its width multiplier (default 0.25)
  --resnet-kernel K   its kernel (default polynomial)
  --resnet-train-subset N  its training images (default 2000; about 10 s a step of 64 on 2 cores with wasm),
                      evaluated on 1000 test images and a 2% validation split
  --data-dir DIR      workbench data folder for these runs (default .kerv-data/reproduction)
  --out FILE          the page to write (default docs/REPRODUCTION.md)
  --python PATH       Python with torch (default /usr/bin/python3)
  --skip-torch        leave out the PyTorch baseline
  --concurrency N     LeNet-5 runs trained at once (default: the number of cores; wasm uses one each)
  --fresh             delete the data folder first (earlier runs there stay otherwise; only this run's groups are exported)`;

function parseOptions(argv: string[]): ReproductionOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      epochs: { type: 'string' },
      seeds: { type: 'string' },
      'train-subset': { type: 'string' },
      'resnet-epochs': { type: 'string' },
      'resnet-width': { type: 'string' },
      'resnet-kernel': { type: 'string' },
      'resnet-train-subset': { type: 'string' },
      'data-dir': { type: 'string' },
      out: { type: 'string' },
      python: { type: 'string' },
      'skip-torch': { type: 'boolean' },
      concurrency: { type: 'string' },
      fresh: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = (v: string | undefined, field: string, fallback: number) => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${field} must be a positive integer, got ${JSON.stringify(v)}`);
    return n;
  };
  const width = values['resnet-width'] === undefined ? 0.25 : Number(values['resnet-width']);
  if (!(width > 0 && width <= 8)) throw new Error(`--resnet-width must be in (0, 8], got ${values['resnet-width']}`);
  return {
    epochs: int(values.epochs, 'epochs', 10),
    seeds: int(values.seeds, 'seeds', 3),
    trainSubset: values['train-subset'] === undefined ? null : int(values['train-subset'], 'train-subset', 0),
    resnetEpochs: int(values['resnet-epochs'], 'resnet-epochs', 3),
    resnetWidth: width,
    resnetKernel: values['resnet-kernel'] ?? 'polynomial',
    resnetTrainSubset: int(values['resnet-train-subset'], 'resnet-train-subset', 2000),
    dataDir: resolve(values['data-dir'] ?? '.kerv-data/reproduction'),
    out: resolve(values.out ?? 'docs/REPRODUCTION.md'),
    python: values.python ?? '/usr/bin/python3',
    skipTorch: values['skip-torch'] ?? false,
    concurrency: int(values.concurrency, 'concurrency', os.cpus().length),
    fresh: values.fresh ?? false,
  };
}

const log = (message: string) => process.stderr.write(`[reproduction] ${message}\n`);

/**
 * Runs a command and returns its stdout; its stderr goes straight through, and
 * with `echo` its stdout too (to our stderr), so hours of training show progress.
 */
function run(command: string, args: string[], echo = false): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (echo) process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolvePromise(stdout);
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}\n${stdout.slice(-2000)}`));
    });
  });
}

function kerv(options: ReproductionOptions, args: string[], echo = false): Promise<string> {
  log(`kerv ${args.join(' ')}`);
  return run(process.execPath, [resolve('bin/kerv.js'), ...args, '--data-dir', options.dataDir], echo);
}

/** Runs `kerv sweep` (which trains the runs and waits) and returns the group id it printed. */
async function sweep(options: ReproductionOptions, args: string[]): Promise<number> {
  const stdout = await kerv(options, ['sweep', ...args], true);
  const match = /^Group (\d+): queued/m.exec(stdout);
  if (!match) throw new Error(`kerv sweep printed no group id:\n${stdout.slice(-1000)}`);
  return Number(match[1]);
}

function version(command: string, args: string[]): Promise<string> {
  return new Promise((res) => execFile(command, args, (error, stdout) => res(error ? 'not available' : stdout.trim())));
}

interface TorchSummary {
  framework: string;
  epochs: number;
  seeds: number[];
  testAccuracyPerEpoch: number[][];
  finalTestAccuracyMean: number;
  finalTestAccuracyStd: number;
  validationAccuracyPerEpoch: number[][];
}

const THRESHOLDS = [0.85, 0.9];

/** Per kernel: each run's validation accuracy per epoch, from `kerv export --series` (run names carry the kernel). */
function firstEpochsFromSeries(csv: string): Map<string, number[][]> {
  const byKernel = new Map<string, number[][]>();
  for (const run of seriesFromLongCsv(csv, 'val_accuracy')) {
    const kernel = /linear|polynomial|gaussian|sigmoid|manhattan|euclidean|cosine/.exec(run.label)?.[0] ?? run.label;
    byKernel.set(kernel, [...(byKernel.get(kernel) ?? []), run.y]);
  }
  return byKernel;
}

/** One row per label: the mean first epoch (1-based) reaching each threshold, and how many runs reached it. */
function thresholdTable(runsByLabel: Map<string, number[][]>): string {
  const rows = [...runsByLabel].map(([label, runs]) => {
    const cells = THRESHOLDS.map((threshold) => {
      const firsts = runs.map((acc) => acc.findIndex((a) => a >= threshold)).filter((i) => i >= 0).map((i) => i + 1);
      if (firsts.length === 0) return `— (0/${runs.length})`;
      return `${(firsts.reduce((a, b) => a + b, 0) / firsts.length).toFixed(1)} (${firsts.length}/${runs.length})`;
    });
    return `| ${label} | ${cells.join(' | ')} |`;
  });
  return ['| | epoch ≥ 85 % | epoch ≥ 90 % |', '| --- | ---: | ---: |', ...rows].join('\n');
}

/** Accuracy as a fraction with 4 decimals, the way `kerv export` prints it, so the tables compare directly. */
const acc = (v: number) => v.toFixed(4);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function torchTable(summary: TorchSummary): string {
  const rows = summary.testAccuracyPerEpoch[0].map((_, epoch) => {
    const { mean, std } = aggregate(summary.testAccuracyPerEpoch.map((run) => run[epoch])) ?? { mean: NaN, std: null };
    return `| ${epoch + 1} | ${acc(mean)} ± ${acc(std ?? 0)} | ${summary.testAccuracyPerEpoch.map((run) => acc(run[epoch])).join(' / ')} |`;
  });
  return ['| Epoch | Test acc (mean ± std) | Per seed |', '| ---: | ---: | --- |', ...rows].join('\n');
}

/** The sweep of the LeNet-5 comparison: flags of `kerv sweep`. */
function lenetSweepArgs(o: ReproductionOptions): string[] {
  const args = [
    '--arch', 'lenet5',
    '--dataset', 'fashion-mnist',
    '--epochs', String(o.epochs),
    '--grid', 'model.kernel.type=linear,polynomial,gaussian',
    '--repeats', String(o.seeds),
    '--sweep-name', 'reproduction-lenet5',
    '--concurrency', String(o.concurrency),
  ];
  if (o.trainSubset) args.push('--train-subset', String(o.trainSubset));
  return args;
}

function resnetSweepArgs(o: ReproductionOptions): string[] {
  const args = [
    '--arch', 'resnet18',
    '--width', String(o.resnetWidth),
    '--dataset', 'fashion-mnist',
    '--epochs', String(o.resnetEpochs),
    '--grid', `model.kernel.type=${o.resnetKernel}`,
    '--repeats', '1',
    '--sweep-name', 'reproduction-resnet18',
    '--train-subset', String(Math.min(o.resnetTrainSubset, o.trainSubset ?? Infinity)),
    '--test-subset', '1000',
    '--val-fraction', '0.02',
  ];
  return args;
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const started = performance.now();
  const timings: string[] = [];
  const timed = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const result = await fn();
    timings.push(`${what}: ${((performance.now() - t0) / 60000).toFixed(1)} min`);
    return result;
  };
  if (o.fresh) rmSync(o.dataDir, { recursive: true, force: true });
  mkdirSync(o.dataDir, { recursive: true });

  const lenetGroup = await timed(`kerv sweep (LeNet-5 × 3 kernels × ${plural(o.seeds, 'seed')}, ${plural(o.epochs, 'epoch')})`, () => sweep(o, lenetSweepArgs(o)));
  const lenetTable = await kerv(o, ['export', '--group', String(lenetGroup), '--format', 'md', '--group-by', 'model.kernel.type']);
  const lenetSeries = await kerv(o, ['export', '--group', String(lenetGroup), '--series']);
  const lenetThresholds = firstEpochsFromSeries(lenetSeries);

  let torchSection = '_PyTorch baseline skipped (--skip-torch)._';
  if (!o.skipTorch) {
    const args = [resolve('bench/torch_lenet5.py'), '--epochs', String(o.epochs), '--seeds', Array.from({ length: o.seeds }, (_, i) => i).join(',')];
    if (o.trainSubset) args.push('--train-subset', String(o.trainSubset));
    const stdout = await timed(`PyTorch LeNet-5 (${plural(o.seeds, 'seed')}, ${plural(o.epochs, 'epoch')})`, () => {
      log(`${o.python} ${args.join(' ')}`);
      return run(o.python, args, true);
    });
    const summary = (JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { summary: TorchSummary }).summary;
    torchSection = [
      `${summary.framework}, LeNet-5, the same recipe (bench/torch_lenet5.py: architecture, initialisation, Adam lr 0.002 with a per-step cosine schedule, batch 64, ${plural(summary.epochs, 'epoch')}, 10% held out, per-channel normalisation), seeds ${summary.seeds.join(', ')}:`,
      '',
      torchTable(summary),
      '',
      'First epoch at which validation accuracy reaches 85 % / 90 %:',
      '',
      thresholdTable(new Map([['PyTorch (linear)', summary.validationAccuracyPerEpoch]])),
      '',
      `Final test accuracy: **${acc(summary.finalTestAccuracyMean)} ± ${acc(summary.finalTestAccuracyStd)}** (compare with the \`linear\` row above).`,
    ].join('\n');
  }

  const resnetGroup = await timed(`kerv sweep (ResNet-18 ×${o.resnetWidth} width, ${o.resnetKernel}, ${plural(o.resnetEpochs, 'epoch')})`, () =>
    sweep(o, resnetSweepArgs(o)),
  );
  const seriesCsv = await kerv(o, ['export', '--group', String(resnetGroup), '--series']);
  const svgPath = join(dirname(o.out), 'reproduction-resnet18-loss.svg');
  mkdirSync(dirname(o.out), { recursive: true });
  const stepLoss = seriesFromLongCsv(seriesCsv, 'loss');
  const valLoss = seriesFromLongCsv(seriesCsv, 'val_loss');
  const curves: CurveSeries[] = [
    ...stepLoss.map((s) => ({ ...s, label: 'training loss (per step)' })),
    ...valLoss.map((s) => ({ ...s, label: 'validation loss (per epoch)' })),
  ];
  writeFileSync(
    svgPath,
    renderLossCurveSvg(curves, {
      title: `Kervolutional ResNet-18 (width ×${o.resnetWidth}, ${o.resnetKernel} kernel) on Fashion-MNIST`,
      xLabel: 'step',
      yLabel: 'cross-entropy loss',
    }),
  );

  const totalMin = ((performance.now() - started) / 60000).toFixed(1);
  const [nodeVersion, torchVersion] = [process.versions.node, await version(o.python, ['-c', 'import torch; print(torch.__version__)'])];
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const page = [
    '# Reproduction',
    '',
    `Generated by \`bench/reproduction.sh${process.argv.slice(2).length ? ' ' + process.argv.slice(2).join(' ') : ''}\` on ${new Date().toISOString()} ` +
      `(${cpu}, ${os.cpus().length} cores; node ${nodeVersion}, torch ${torchVersion}) in ${totalMin} min. Every number below comes from the product's own commands ` +
      '(`kerv sweep`, `kerv export`) on the real Fashion-MNIST (`/usr/share/datasets/fashion-mnist`), except the PyTorch baseline.',
    o.trainSubset ? `\n> **Pipeline check only**: trained on ${o.trainSubset} images (--train-subset), so the accuracies below are not a reproduction.\n` : '',
    '## LeNet-5 × kernel on Fashion-MNIST',
    '',
    `\`kerv sweep\`: LeNet-5, kernel ∈ {linear, polynomial, gaussian} in every convolution, ${o.seeds === 1 ? 'seed 0' : `seeds 0–${o.seeds - 1}`}, ${plural(o.epochs, 'epoch')}, the run-config defaults otherwise. ` +
      '`kerv export --group N --format md --group-by model.kernel.type` (mean ± std over seeds):',
    '',
    lenetTable.trim(),
    '',
    'The first epoch at which each run\'s validation accuracy reaches 85 % and 90 % (mean over the seeds that reached it; "—" = not within the epochs trained):',
    '',
    thresholdTable(lenetThresholds),
    '',
    '## The same LeNet-5 recipe in PyTorch',
    '',
    torchSection,
    '',
    `## Kervolutional ResNet-18 (width ×${o.resnetWidth})`,
    '',
    `${o.resnetKernel} kernel in every convolution, ${plural(o.resnetEpochs, 'epoch')} on ${Math.min(o.resnetTrainSubset, o.trainSubset ?? Infinity)} Fashion-MNIST training images ` +
      '(validation: 2% held out; test: 1000 images), to keep it to minutes on a CPU; drawn from `kerv export --group N --series` (long-format CSV).',
    '',
    `![ResNet-18 loss curve](${relative(dirname(o.out), svgPath)})`,
    '',
    '## Time taken',
    '',
    ...timings.map((t) => `- ${t}`),
    '',
  ].join('\n');
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, page);
  log(`wrote ${o.out} and ${svgPath} in ${totalMin} min`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
