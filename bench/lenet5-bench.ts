// The LeNet-5 rows: one epoch of the real Fashion-MNIST, as a user trains it —
// `kerv train` (the product's CLI, its default recipe; every core data-parallel,
// every core on threaded XNNPACK, one thread) against
// bench/torch_lenet5.py (the same network, recipe, batch and split sizes) at 1
// thread and at all cores. Both epochs include the validation pass that ends
// them; the test accuracy after the epoch is compared too.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ParallelMode } from '../src-main/shared/parallelism';
import type { BenchOptions } from './options';

export interface LenetResult {
  implementation: 'ours' | 'torch';
  threads: number;
  /** Ours: how the threads shared the work. */
  parallel?: ParallelMode;
  epochMs: number;
  testAccuracy: number;
  version: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.slice(0, 2).join(' ')} failed: ${(stderr.trim() || error.message).split('\n').slice(-3).join(' ')}`));
      else resolve(stdout);
    });
  });
}

/** A file of this repository, from the source tree or from the bundle in out/node. */
function repoFile(...parts: string[]): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(process.cwd(), ...parts), join(here, '..', '..', ...parts)];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`${parts.join('/')} not found (looked in ${candidates.join(', ')})`);
  return found;
}

interface KervSummary {
  environment: { threads: number; parallel?: ParallelMode; tfjsVersion: string } | null;
  summary: { testAccuracy: number | null } | null;
  epochs: { durationMs: number }[];
}

/** One epoch with `kerv train` (built CLI bundle beside this one), in its own process, with this thread layout. */
export async function lenetOurs(options: BenchOptions, layout: { threads: number; parallel: 'data' | 'xnnpack' }): Promise<LenetResult> {
  const kerv = join(dirname(fileURLToPath(import.meta.url)), 'kerv.js');
  if (!existsSync(kerv)) throw new Error(`${kerv} not found: run 'npm run build:node'`);
  const dir = mkdtempSync(join(os.tmpdir(), 'kerv-bench-lenet-'));
  try {
    const summaryFile = join(dir, 'summary.json');
    const args = [
      kerv, 'train', '--arch', 'lenet5', '--dataset', 'fashion-mnist', '--data-path', options.fashionMnistDir,
      '--epochs', '1', '--seed', '0', '--threads', String(layout.threads), '--parallel', layout.parallel, '--cache-dir', join(dir, 'cache'), '--summary-json', summaryFile,
      ...(options.lenetTrainSubset ? ['--train-subset', String(options.lenetTrainSubset)] : []),
    ];
    // The run is recorded in a private workbench folder, never the user's.
    await run(process.execPath, args, { ...process.env, KERV_DATA_DIR: join(dir, 'data'), KERV_BACKEND: options.backend === 'auto' ? '' : options.backend });
    const s = JSON.parse(readFileSync(summaryFile, 'utf8')) as KervSummary;
    if (!s.summary || s.summary.testAccuracy === null || s.epochs.length !== 1) throw new Error('kerv train finished without a test accuracy and one epoch');
    return { implementation: 'ours', threads: s.environment?.threads ?? layout.threads, parallel: s.environment?.parallel, epochMs: s.epochs[0].durationMs, testAccuracy: s.summary.testAccuracy, version: `tfjs ${s.environment?.tfjsVersion ?? '?'}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface TorchEpochRow {
  epoch: number;
  testAccuracy: number;
  durationMs: number;
}

/** One epoch of bench/torch_lenet5.py at `threads` threads. */
export async function lenetTorch(options: BenchOptions, threads: number): Promise<LenetResult> {
  const args = [
    repoFile('bench', 'torch_lenet5.py'), '--data', options.fashionMnistDir, '--seeds', '0', '--epochs', '1', '--threads', String(threads),
    ...(options.lenetTrainSubset ? ['--train-subset', String(options.lenetTrainSubset)] : []),
  ];
  // OMP_NUM_THREADS too: set_num_threads alone leaves OpenMP's pool size to its default.
  const stdout = await run(options.python, args, { ...process.env, OMP_NUM_THREADS: String(threads) });
  const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as Partial<TorchEpochRow> & { summary?: { framework: string } });
  const epoch = lines.find((l) => l.epoch === 1) as TorchEpochRow | undefined;
  const framework = lines.find((l) => l.summary)?.summary?.framework ?? 'PyTorch';
  if (!epoch) throw new Error('torch_lenet5.py printed no epoch row');
  return { implementation: 'torch', threads, epochMs: epoch.durationMs, testAccuracy: epoch.testAccuracy, version: framework };
}
