// What the Hyperparameters screen shows of an ASHA sweep (the rule: shared/asha.ts):
// per rung, how many runs recorded a value there, how many went on and how many
// stopped, and the cutoff a run arriving now would face; per stopped run, where
// and on what value; and the epochs the sweep trained against a full grid's.
import type { RunRow } from '../../../src-main/shared/api';
import { ashaRungs, decideRung, type AshaOptions, type RungRecord } from '../../../src-main/shared/asha';

export interface RungRow {
  epoch: number;
  /** Runs that recorded a value at this rung. */
  reached: number;
  /** Runs that went on: a 'continue' verdict, or a 'stop' that came too late (below). */
  continued: number;
  stopped: number;
  /**
   * 'stop' verdicts the run never obeyed: it stopped waiting for one (a cluster
   * worker waits 5 minutes) and trained past the rung before the verdict came.
   */
  stoppedTooLate: number;
  /** The line a run arriving at the rung now must reach; null before any value. */
  cutoffNow: number | null;
  /** The best value recorded at the rung (highest accuracy, lowest loss). */
  best: number | null;
}

export interface StoppedRun {
  id: number;
  name: string;
  epoch: number;
  value: number | null;
  cutoff: number | null;
}

export interface AshaOverview {
  /** The rung epochs below R (the runs' epochs). */
  rungs: number[];
  maxEpochs: number;
  rows: RungRow[];
  stopped: StoppedRun[];
  /** Runs that trained all R epochs. */
  trainedFully: number;
  /** Runs still queued or training, or that ended otherwise (failed, cancelled). */
  unfinished: number;
  /** Epochs the finished runs trained, and what the same runs would have trained without ASHA. */
  epochsTrained: number;
  fullEpochs: number;
}

/** The screen's ASHA panel, from the sweep's runs and its rung records. */
/** Whether the run trained beyond epoch `epoch`: its summary's epochs once it ended, else its steps so far. */
function trainedPast(row: RunRow | undefined, epoch: number): boolean {
  if (!row) return false;
  if (row.summary) return row.summary.epochs > epoch;
  const epochs = row.config?.epochs;
  return epochs !== undefined && row.totalSteps !== null && row.step > (epoch * row.totalSteps) / epochs;
}

export function ashaOverview(rows: readonly RunRow[], records: readonly RungRecord[], options: AshaOptions): AshaOverview {
  const maxEpochs = Math.max(0, ...rows.map((r) => r.config?.epochs ?? 0));
  const rungs = ashaRungs(options, maxEpochs);
  const rowById = new Map(rows.map((r) => [r.id, r]));
  const byRung = rungs.map((epoch): RungRow => {
    const here = records.filter((r) => r.epoch === epoch);
    const values = here.flatMap((r) => (r.value === null ? [] : [r.value]));
    const best = values.length === 0 ? null : options.metric === 'validationLoss' ? Math.min(...values) : Math.max(...values);
    const stops = here.filter((r) => r.verdict === 'stop');
    const stoppedTooLate = stops.filter((r) => trainedPast(rowById.get(r.runId), epoch)).length;
    return {
      epoch,
      reached: here.length,
      continued: here.length - stops.length + stoppedTooLate,
      stopped: stops.length - stoppedTooLate,
      stoppedTooLate,
      cutoffNow: decideRung(null, values, options).cutoff,
      best,
    };
  });
  const stopped: StoppedRun[] = [];
  let trainedFully = 0;
  let unfinished = 0;
  let epochsTrained = 0;
  let fullEpochs = 0;
  for (const row of rows) {
    const summary = row.status === 'completed' ? row.summary : null;
    if (!summary) {
      unfinished++;
      continue;
    }
    epochsTrained += summary.epochs;
    fullEpochs += row.config?.epochs ?? summary.epochs;
    if (summary.asha) stopped.push({ id: row.id, name: row.name, epoch: summary.asha.stoppedAtEpoch, value: summary.asha.value, cutoff: summary.asha.cutoff });
    else if (summary.epochs >= (row.config?.epochs ?? Infinity)) trainedFully++;
  }
  stopped.sort((a, b) => a.epoch - b.epoch || a.id - b.id);
  return { rungs, maxEpochs, rows: byRung, stopped, trainedFully, unfinished, epochsTrained, fullEpochs };
}
