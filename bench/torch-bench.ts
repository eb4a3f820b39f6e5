// Section b: the same network in PyTorch (bench/torch_baseline.py), one Python
// process per measurement so each peak RSS is its own.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import type { BenchOptions } from './options';

export const TORCH_VARIANTS = ['conv', 'unfold-polynomial', 'unfold-gaussian'] as const;
export type TorchVariant = (typeof TORCH_VARIANTS)[number];

export interface TorchResult {
  variant: TorchVariant;
  threads: number;
  torchVersion: string;
  stepMs: number[];
  medianStepMs: number;
  maxRssBytes: number;
  finalLoss: number;
}

/** bench/torch_baseline.py, found from the source tree or from the bundle in out/node. */
export function torchScriptPath(): string {
  const candidates = [join(process.cwd(), 'bench', 'torch_baseline.py')];
  try {
    const here = dirname(fileURLToPath(import.meta.url));
    candidates.push(join(here, 'torch_baseline.py'), join(here, '..', '..', 'bench', 'torch_baseline.py'));
  } catch {
    // import.meta.url is always a file URL in Node; the cwd candidate covers the rest.
  }
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`bench/torch_baseline.py not found (looked in ${candidates.join(', ')})`);
  return found;
}

export function runTorch(options: BenchOptions, variant: TorchVariant, threads: number): Promise<TorchResult> {
  const kerv = variant !== 'conv';
  const args = [
    torchScriptPath(),
    '--variant', variant,
    '--batch', String(options.batch),
    '--size', String(options.imageSize),
    '--channels', String(options.channels),
    '--classes', String(options.classes),
    '--steps', String(kerv ? options.torchKervSteps : options.steps),
    '--warmup', String(kerv ? options.torchKervWarmupSteps : options.warmupSteps),
    '--threads', String(threads),
  ];
  return new Promise((resolve, reject) => {
    // OMP_NUM_THREADS too: set_num_threads alone leaves OpenMP's pool size to its default.
    const env = { ...process.env, OMP_NUM_THREADS: String(threads) };
    execFile(options.python, args, { env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`${options.python} ${args.slice(0, 3).join(' ')} failed: ${stderr.trim() || error.message}`));
        return;
      }
      const last = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as TorchResult);
      } catch {
        reject(new Error(`torch_baseline.py printed no JSON result; stdout: ${stdout.slice(-500)}`));
      }
    });
  });
}
