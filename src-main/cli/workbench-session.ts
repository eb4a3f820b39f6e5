// What the `kerv` commands over the workbench share: opening the data folder,
// parsing run ids, and waiting for runs with one progress line per run and epoch.
// The queue runs in this process: `kerv sweep` and `kerv runs resume` train
// their runs here and return when they are done (Ctrl+C stops them; they become
// interrupted and `kerv runs resume` continues them). With --detach they only
// enqueue, and whatever workbench next opens the folder (the app, `kerv serve`,
// or a waiting `kerv` command) trains them.
import { describeAshaStop } from '../shared/asha';
import type { RunStatus } from '../shared/api';
import { resolveDataDir } from '../service/paths';
import { Workbench } from '../service/workbench';
import { CliError, EXIT, exitCodeOf } from './command';
import packageJson from '../../package.json';
import { formatPercent } from '../shared/format';

export const DATA_DIR_HELP = `  --data-dir DIR     the data folder (default $KERV_DATA_DIR, else ~/.local/share/kerv)`;

export async function openWorkbench(dataDirFlag: string | undefined, options: { startQueue?: boolean; concurrency?: number; gpuSlots?: number | 'auto'; redisUrl?: string | null } = {}): Promise<Workbench> {
  try {
    return await Workbench.open({
      dataDir: resolveDataDir(dataDirFlag),
      appVersion: packageJson.version,
      startQueue: options.startQueue ?? false,
      concurrency: options.concurrency,
      ...(options.gpuSlots !== undefined ? { gpuSlots: options.gpuSlots } : {}),
      redisUrl: options.redisUrl !== undefined ? options.redisUrl : process.env.KERV_REDIS_URL || undefined,
    });
  } catch (error) {
    throw new CliError((error as Error).message, EXIT.failed);
  }
}

/**
 * Runs a request; a typed service error (shared/errors.ts) becomes a CliError with
 * its message and exit code: invalid input exits 2, a missing run or a conflict 1.
 */
export async function request<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError((error as Error).message, exitCodeOf(error));
  }
}

/** "1,2,5-7" → [1, 2, 5, 6, 7]; anything else is a usage error naming the flag. */
export function parseIds(text: string, flag: string): number[] {
  const ids: number[] = [];
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range) {
      const [from, to] = [Number(range[1]), Number(range[2])];
      if (to < from || to - from > 100_000) throw new CliError(`${flag}: bad range '${part}'`);
      for (let i = from; i <= to; i++) ids.push(i);
    } else if (/^\d+$/.test(part) && Number(part) > 0) {
      ids.push(Number(part));
    } else {
      throw new CliError(`${flag}: '${part}' is not a run id (expected positive integers like 3 or 1,2,5-7)`);
    }
  }
  if (ids.length === 0) throw new CliError(`${flag}: no run ids given`);
  return ids;
}

const FINAL: RunStatus[] = ['completed', 'failed', 'cancelled', 'interrupted'];

/**
 * Prints a line when a watched run starts (any run that starts here is watched:
 * the queue is shared), finishes an epoch and ends, in event order. Lines that
 * need a run's details read them through the contract; `printed` resolves once
 * every line so far is written.
 */
function reportRuns(workbench: Workbench, watched: Set<number>, out: NodeJS.WritableStream): { printed: () => Promise<void>; stop: () => void } {
  const epochsOf = new Map<number, number | '?'>();
  let printing = Promise.resolve();
  const print = (line: () => Promise<string>) => {
    printing = printing.then(line).then(
      (text) => void out.write(`${text}\n`),
      (error: unknown) => void out.write(`(${(error as Error).message})\n`),
    );
  };
  const offStatus = workbench.on('run:status', ({ id, status, error }) => {
    if (status === 'running') {
      watched.add(id);
      print(async () => `run ${id}: running`);
    }
    if (!watched.has(id) || !FINAL.includes(status)) return;
    print(async () => {
      if (status !== 'completed') return `run ${id}: ${status}${error ? ` (${error})` : ''}`;
      const run = await workbench.invoke('runs:get', { id });
      const stopped = run.summary?.asha ? `. ${describeAshaStop(run.summary.asha, run.config.epochs)}.` : '';
      return `run ${id}: completed best val ${formatPercent(run.bestValidationAccuracy)}, test ${formatPercent(run.testAccuracy)}${stopped}`;
    });
  });
  const offProgress = workbench.on('run:progress', ({ id, epoch }) => {
    if (!watched.has(id) || !epoch) return;
    print(async () => {
      // '?' when the run cannot be read any more (Ctrl+C closed the workbench as the epoch ended).
      if (!epochsOf.has(id)) epochsOf.set(id, await workbench.invoke('runs:get', { id }).then((run) => run.config.epochs, () => '?' as const));
      return `run ${id}: epoch ${epoch.epoch}/${epochsOf.get(id)}  train loss ${epoch.trainLoss.toFixed(4)}  val acc ${formatPercent(epoch.validationAccuracy)}`;
    });
  });
  return {
    printed: () => printing,
    stop: () => {
      offStatus();
      offProgress();
    },
  };
}

/**
 * Trains the queue in this process until it is empty, one line per run start,
 * epoch and end (reportRuns). Returns the exit code: 0 when all completed, 1 when
 * any failed, 130 on Ctrl+C (runs become interrupted).
 */
export async function trainAndWait(workbench: Workbench, ids: number[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const report = reportRuns(workbench, new Set(ids), out);
  let interrupted = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const onSigint = () => {
    interrupted = true;
    out.write('\nstopping: running runs become interrupted (resume them with kerv runs resume)\n');
    // Lines still to print read the database: let them finish before it closes.
    void report.printed().then(() => workbench.close()).then(resolveDone);
  };
  process.once('SIGINT', onSigint);
  try {
    workbench.startQueue();
    // The command returns when the queue is drained (its own runs and any queued before them).
    await Promise.race([workbench.whenIdle(), done]);
    await report.printed();
  } finally {
    process.off('SIGINT', onSigint);
    report.stop();
  }
  if (interrupted) return EXIT.interrupted;
  const runs = await Promise.all(ids.map((id) => workbench.invoke('runs:get', { id })));
  return runs.every((run) => run.status === 'completed') ? EXIT.ok : EXIT.failed;
}
