// `npm run bench:asha`: what ASHA saves on a 27-point grid, and whether it finds
// the same best configuration. The same sweep (3 kernels × 3 learning rates × 3
// widths of LeNet-5 on a Fashion-MNIST subset, R = 9 epochs) trained twice by the
// product's own queue (a Workbench, real training processes, concurrency 1): once
// in full, once with ASHA (r = 1, η = 3: rungs at epochs 1 and 3). One markdown
// table printed and appended to bench/RESULTS.md with the machine and its load.
// Not a test: nothing here asserts a time.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { RunRow, SweepRequest } from '../src-main/shared/api';
import { ashaEpochBudget, type AshaOptions } from '../src-main/shared/asha';
import { formatDuration, formatPercent } from '../src-main/shared/format';
import { Workbench } from '../src-main/service/workbench';
import { describeMachine, runBenchmark } from './machine';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');
const RESULTS = join(ROOT, 'bench/RESULTS.md');
const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');

if (args.has('--help') || args.has('-h')) {
  console.log(`Usage: npm run bench:asha -- [--quick] [--no-results]

  --quick       R = 3 epochs on 300 images (a smoke run: sizes too small to mean anything)
  --no-results  print the table only (default: also append it to bench/RESULTS.md)`);
  process.exit(0);
}

const MAX_EPOCHS = quick ? 3 : 9;
const ASHA: AshaOptions = { minEpochs: 1, eta: 3, metric: 'validationAccuracy' };
const GRID = {
  'model.kernel.type': ['linear', 'polynomial', 'gaussian'],
  'optimizer.lr': [0.01, 0.002, 0.0002],
  'model.widthMultiplier': [0.25, 0.5, 1],
};
const BASE = {
  backend: 'wasm',
  dataset: { name: 'fashion-mnist', trainSubset: quick ? 300 : 800, testSubset: quick ? 200 : 500 },
  model: { arch: 'lenet5' },
  optimizer: { type: 'adam' },
  epochs: MAX_EPOCHS,
  batchSize: 64,
  sampleCount: 0,
  seed: 0,
} as const;

const log = (message: string) => process.stderr.write(`[bench:asha] ${message}\n`);

interface SweepResult {
  variant: string;
  /** The runs' validation split, in images. */
  validationSize: number;
  wallMs: number;
  rows: RunRow[];
  epochs: number;
  best: RunRow;
}

/** A point's grid values, as the table shows them. */
function describePoint(row: RunRow): string {
  const c = row.config!;
  return `${c.model.kernel.type}, lr ${c.optimizer.lr}, width ${c.model.widthMultiplier}`;
}

/** The best run of a sweep: the highest best validation accuracy (what a researcher picks on; the test set stays untouched). */
function bestOf(rows: readonly RunRow[]): RunRow {
  return rows.reduce((a, b) => ((b.bestValidationAccuracy ?? -1) > (a.bestValidationAccuracy ?? -1) ? b : a));
}

async function trainSweep(wb: Workbench, variant: string, asha: AshaOptions | undefined): Promise<SweepResult> {
  log(`${variant}: 27 runs of up to ${MAX_EPOCHS} epochs`);
  const request: SweepRequest = { base: BASE as never, grid: GRID, name: variant, ...(asha ? { asha } : {}) };
  const start = performance.now();
  const { groupId, runIds } = await wb.invoke('sweeps:start', request);
  const done = new Set<number>();
  const off = wb.on('run:status', ({ id, status }) => {
    if (!runIds.includes(id) || status === 'running' || status === 'queued' || done.has(id)) return;
    done.add(id);
    log(`${variant}: ${done.size}/${runIds.length} (run ${id} ${status}, ${formatDuration(performance.now() - start)})`);
  });
  await wb.whenIdle();
  off();
  const wallMs = performance.now() - start;
  const { rows } = await wb.invoke('runs:list', { groupId, withConfig: true, limit: 100, sortBy: 'id', sortDir: 'asc' });
  const failed = rows.filter((r) => r.status !== 'completed');
  if (failed.length > 0) throw new Error(`${variant}: ${failed.length} runs did not complete (${failed.map((r) => `#${r.id} ${r.status}: ${r.error}`).join('; ')})`);
  const epochs = rows.reduce((n, r) => n + (r.summary?.epochs ?? 0), 0);
  const validationSize = (await wb.invoke('runs:get', { id: runIds[0] })).dataset_info?.validationSize ?? 0;
  return { variant, validationSize, wallMs, rows, epochs, best: bestOf(rows) };
}

/** "12 at epoch 1, 5 at epoch 3, 10 trained 9": where the ASHA sweep's runs ended. */
function whereRunsEnded(rows: readonly RunRow[]): string {
  const ended = new Map<string, number>();
  for (const r of rows) {
    const key = r.summary?.asha ? `stopped at epoch ${r.summary.asha.stoppedAtEpoch}` : `trained all ${r.summary?.epochs}`;
    ended.set(key, (ended.get(key) ?? 0) + 1);
  }
  return [...ended.entries()].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })).map(([k, n]) => `${n} ${k}`).join(', ');
}

async function main(): Promise<string> {
  const machine = describeMachine();
  const dataDir = mkdtempSync(join(os.tmpdir(), 'kerv-bench-asha-'));
  const wb = await Workbench.open({ dataDir, appVersion: 'bench', concurrency: 1, redisUrl: null });
  let full: SweepResult;
  let asha: SweepResult;
  try {
    full = await trainSweep(wb, 'full grid', undefined);
    asha = await trainSweep(wb, `ASHA (r = ${ASHA.minEpochs}, η = ${ASHA.eta})`, ASHA);
  } finally {
    await wb.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const loadAtEnd = os.loadavg();
  const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' / ');

  // Where ASHA's pick ranks in the full grid (the same point: the same config but for the name).
  const ranking = [...full.rows].sort((a, b) => (b.bestValidationAccuracy ?? -1) - (a.bestValidationAccuracy ?? -1));
  const rankInFull = ranking.findIndex((r) => describePoint(r) === describePoint(asha.best)) + 1;
  const fullOfAshaPick = ranking[rankInFull - 1];
  const budget = ashaEpochBudget(27, MAX_EPOCHS, ASHA);
  const row = (s: SweepResult) =>
    `| ${s.variant} | ${s.rows.length} | ${s.epochs} | ${formatDuration(s.wallMs)} (${(s.wallMs / 1000).toFixed(1)} s) | ${describePoint(s.best)} | ${formatPercent(s.best.bestValidationAccuracy)} | ${formatPercent(s.best.testAccuracy)} |`;
  return [
    '',
    `## ${machine.date} — ASHA on a 27-point grid (bench/asha-bench.ts${quick ? ', --quick: sizes too small to mean anything' : ''})`,
    '',
    `- Machine: ${machine.cpuModel}, ${machine.cores} cores, ${(machine.ramBytes / 2 ** 30).toFixed(1)} GiB RAM; ${machine.os}; node ${machine.node}`,
    `- Load average (1/5/15 min): ${load(machine.loadAtStart)} at start, ${load(loadAtEnd)} at end`,
    `- The grid: kernel {linear, polynomial, gaussian} × Adam lr {${GRID['optimizer.lr'].join(', ')}} × width {${GRID['model.widthMultiplier'].join(', ')}}; LeNet-5 on ${BASE.dataset.trainSubset} Fashion-MNIST training images, ${full.validationSize} validation and ${BASE.dataset.testSubset} test images, ${MAX_EPOCHS} epochs (cosine schedule over them), batch 64, seed 0, wasm. Trained by the product's queue, one run at a time, each in its own process; wall time from sweeps:start to the last run's end (process start-up included). Best configuration: the highest best validation accuracy.`,
    '',
    '| Sweep | Runs | Epochs trained | Wall time | Best configuration | Its best val acc | Its test acc |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    row(full),
    row(asha),
    '',
    `- ASHA took ${formatPercent(asha.wallMs / full.wallMs, 0)} of the full grid's wall time and trained ${formatPercent(asha.epochs / full.epochs, 0)} of its epochs (synchronous successive halving would train ${budget.epochs} of ${budget.fullEpochs}). Its runs: ${whereRunsEnded(asha.rows)}.`,
    `- Its best configuration ${rankInFull === 1 ? 'is the full grid’s best' : `ranks ${rankInFull} of 27 in the full grid (where it reached ${formatPercent(fullOfAshaPick?.bestValidationAccuracy)} validation, ${formatPercent(fullOfAshaPick?.testAccuracy)} test)`}. The full grid’s top 3: ${ranking
      .slice(0, 3)
      .map((r) => `${describePoint(r)} (${formatPercent(r.bestValidationAccuracy)})`)
      .join('; ')}.`,
    '',
  ].join('\n');
}

runBenchmark(main, args.has('--no-results') ? null : RESULTS);
