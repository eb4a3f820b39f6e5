// What the reproduction scripts need from the product: run the `kerv` CLI, run a
// sweep and get its group, export it, and read the convergence of each run from
// the exported long-format series. Shared by bench/reproduction.ts and the
// investigation section, so every number comes from the same commands.
import { execFile, spawn } from 'node:child_process';
import { seriesFromLongCsv } from './loss-curve-svg';
import { KERNEL_TYPES } from '../src-main/shared/kernels';

export type Logger = (message: string) => void;

export const log: Logger = (message) => process.stderr.write(`[reproduction] ${message}\n`);

/**
 * Runs a command and returns its stdout; its stderr goes straight through, and
 * with `echo` its stdout too (to our stderr), so hours of training show progress.
 */
export function run(command: string, args: string[], echo = false, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
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

/** The product's CLI in one data folder: `kerv(args)` runs `kerv ARGS --data-dir DIR`. */
export function kervIn(kervScript: string, dataDir: string, logger: Logger = log) {
  return (args: string[], echo = false): Promise<string> => {
    logger(`kerv ${args.join(' ')}`);
    return run(process.execPath, [kervScript, ...args, '--data-dir', dataDir], echo);
  };
}

export type Kerv = ReturnType<typeof kervIn>;

/** Runs `kerv sweep` (which trains the runs and waits) and returns the group id it printed. */
export async function sweep(kerv: Kerv, args: string[]): Promise<number> {
  const stdout = await kerv(['sweep', ...args], true);
  const match = /^Group (\d+): queued/m.exec(stdout);
  if (!match) throw new Error(`kerv sweep printed no group id:\n${stdout.slice(-1000)}`);
  return Number(match[1]);
}

export function version(command: string, args: string[]): Promise<string> {
  return new Promise((res) => execFile(command, args, (error, stdout) => res(error ? 'not available' : stdout.trim())));
}

/** One run's validation accuracy after each epoch and the wall time (ms since its start) at which it was measured. */
export interface EpochCurve {
  accuracy: number[];
  wallTimeMs: number[];
}

/** The kernel a run's name mentions (sweep names carry the grid values), else the whole name. */
export function kernelOfRunName(name: string): string {
  const byLength = [...KERNEL_TYPES].sort((a, b) => b.length - a.length);
  return byLength.find((k) => name.includes(k)) ?? name;
}

/** Per label (default: the kernel in the run name): each run's validation accuracy per epoch, from `kerv export --series`. */
export function epochCurvesFromSeries(csv: string, labelOf: (runName: string) => string = kernelOfRunName): Map<string, EpochCurve[]> {
  const byLabel = new Map<string, EpochCurve[]>();
  const wallTimes = seriesFromLongCsv(csv, 'val_accuracy', 'wall_time_ms');
  seriesFromLongCsv(csv, 'val_accuracy', 'epoch').forEach((run, i) => {
    const label = labelOf(run.label);
    byLabel.set(label, [...(byLabel.get(label) ?? []), { accuracy: run.y, wallTimeMs: wallTimes[i].x }]);
  });
  return byLabel;
}

export const THRESHOLDS = [0.85, 0.9];

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/**
 * Convergence: per label and threshold, the first epoch (1-based) at which validation
 * accuracy reached it and the wall time of that epoch, averaged over the runs that
 * reached it, with how many did.
 */
export function thresholdTable(runsByLabel: Map<string, EpochCurve[]>, thresholds = THRESHOLDS): string {
  const pct = (t: number) => `${Math.round(t * 100)} %`;
  const header = `| | ${thresholds.map((t) => `epoch ≥ ${pct(t)} | time to ${pct(t)} (s)`).join(' | ')} |`;
  const rule = `| --- | ${thresholds.map(() => '---: | ---:').join(' | ')} |`;
  const rows = [...runsByLabel].map(([label, runs]) => {
    const cells = thresholds.flatMap((threshold) => {
      const reached = runs
        .map((run) => run.accuracy.findIndex((a) => a >= threshold))
        .map((i, r) => ({ i, run: runs[r] }))
        .filter(({ i }) => i >= 0);
      if (reached.length === 0) return [`— (0/${runs.length})`, '—'];
      const epochs = reached.map(({ i }) => i + 1);
      const seconds = reached.map(({ i, run }) => run.wallTimeMs[i] / 1000);
      return [`${mean(epochs).toFixed(1)} (${reached.length}/${runs.length})`, mean(seconds).toFixed(1)];
    });
    return `| ${label} | ${cells.join(' | ')} |`;
  });
  return [header, rule, ...rows].join('\n');
}

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
