// What the `kerv` commands over the workbench share: opening the data folder,
// parsing run ids, and waiting for runs with one progress line per run and epoch.
// The queue runs in this process: `kerv sweep` and `kerv runs resume` train
// their runs here and return when they are done (Ctrl+C stops them; they become
// interrupted and `kerv runs resume` continues them). With --detach they only
// enqueue, and whatever workbench next opens the folder (the app, `kerv serve`,
// or a waiting `kerv` command) trains them.
import type { RunStatus } from '../shared/api';
import { ConfigError } from '../shared/run-config';
import { resolveDataDir } from '../service/paths';
import { Workbench } from '../service/workbench';
import { CliError, EXIT } from './command';
import packageJson from '../../package.json';
import { formatPercent } from '../shared/format';

export const DATA_DIR_HELP = `  --data-dir DIR     the data folder (default $KERV_DATA_DIR, else ~/.local/share/kerv)`;

export async function openWorkbench(dataDirFlag: string | undefined, options: { startQueue?: boolean; concurrency?: number; redisUrl?: string | null } = {}): Promise<Workbench> {
  try {
    return await Workbench.open({
      dataDir: resolveDataDir(dataDirFlag),
      appVersion: packageJson.version,
      startQueue: options.startQueue ?? false,
      concurrency: options.concurrency,
      redisUrl: options.redisUrl !== undefined ? options.redisUrl : process.env.KERV_REDIS_URL || undefined,
    });
  } catch (error) {
    throw new CliError((error as Error).message, EXIT.failed);
  }
}

/** Runs a request, turning service errors (unknown run, bad field) into usage errors with their message. */
export async function request<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof CliError) throw error;
    const message = (error as Error).message;
    const isUsage = error instanceof ConfigError || /does not exist|Unknown|not a run config|Invalid|only (failed|queued)|cannot|needs at least/i.test(message);
    throw new CliError(message, isUsage ? EXIT.usage : EXIT.failed);
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
 * Trains the queue in this process until it is empty, printing a line when each
 * run starts, finishes an epoch and ends. Returns the exit code: 0 when
 * all completed, 1 when any failed, 130 on Ctrl+C (runs become interrupted).
 */
export async function trainAndWait(workbench: Workbench, ids: number[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const watched = new Set(ids);
  const label = (id: number) => `run ${id}`;
  let interrupted = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const offStatus = workbench.on('run:status', ({ id, status, error }) => {
    // Runs queued earlier by someone else train here too (the queue is shared): report them as well.
    if (status === 'running') {
      watched.add(id);
      out.write(`${label(id)}: running\n`);
    }
    if (!watched.has(id)) return;
    if (FINAL.includes(status)) {
      const run = workbench.store.runs.get(id);
      const extra = status === 'completed' ? ` best val ${formatPercent(run?.bestValidationAccuracy)}, test ${formatPercent(run?.testAccuracy)}` : error ? ` (${error})` : '';
      out.write(`${label(id)}: ${status}${extra}\n`);
    }
  });
  const offProgress = workbench.on('run:progress', ({ id, epoch }) => {
    if (!watched.has(id) || !epoch) return;
    const total = workbench.store.runs.get(id)?.config.epochs ?? '?';
    out.write(`${label(id)}: epoch ${epoch.epoch}/${total}  train loss ${epoch.trainLoss.toFixed(4)}  val acc ${formatPercent(epoch.validationAccuracy)}\n`);
  });
  const onSigint = () => {
    interrupted = true;
    out.write('\nstopping: running runs become interrupted (resume them with kerv runs resume)\n');
    void workbench.close().then(resolveDone);
  };
  process.once('SIGINT', onSigint);
  try {
    workbench.startQueue();
    // The command returns when the queue is drained (its own runs and any queued before them).
    await Promise.race([workbench.whenIdle(), done]);
  } finally {
    process.off('SIGINT', onSigint);
    offStatus();
    offProgress();
  }
  if (interrupted) return EXIT.interrupted;
  return ids.every((id) => workbench.store.runs.get(id)?.status === 'completed') ? EXIT.ok : EXIT.failed;
}
