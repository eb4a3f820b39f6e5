// What the coordinator and the workers exchange through Redis, in one place.
//
// Several workbenches may share one Redis and one pool of workers: each
// coordinator has an id (made once per data folder), and everything about its
// runs lives under 'kerv:<coordinator>:…', so run 7 of one workbench never meets
// run 7 of another.
//
//   BullMQ queue 'kerv-runs'        one job per run hand-over: {coordinator, runId, config, ...}.
//                                   A job is data only: the worker parses the config with
//                                   the run schema and never evaluates anything in it.
//   stream '…:progress'             everything a worker reports (claimed, every
//                                   TrainProgress message, the outcome), in order, read by
//                                   the coordinator in a consumer group and acknowledged
//                                   only after its SQLite transaction committed.
//   '…:run:<id>:attempt'            incremented by each worker that takes the run; its
//                                   messages carry it, so a worker that lost the run
//                                   (stalled, then taken over) is fenced out.
//   '…:run:<id>:fingerprint'        the dataset fingerprint the run trains on.
//   '…:run:<id>:cancel'             set by the coordinator; also published on 'kerv:cancel'.
//   '…:run:<id>:verdict:<epoch>'    an ASHA rung's verdict (shared/asha.ts RungVerdict, JSON), set by
//                                   the coordinator once it ingested the run's 'rung' entry; also
//                                   published on 'kerv:verdict'. A verdict never changes once given.
//   '…:ckpt:<id>'                   manifest of the run's newest checkpoint; its files are
//                                   chunked under '…:ckpt:<id>:<step>:<file>:<n>'.
//   'kerv:worker:<name>'            a worker's heartbeat (expires), listed in 'kerv:workers'.
import { z } from 'zod';
import type { ClusterWorkerInfo } from '../../shared/api';
import { ASHA_METRICS, type RungVerdict } from '../../shared/asha';
import type { TrainOutcome, TrainProgress } from '../../shared/progress';

export const QUEUE_NAME = 'kerv-runs';
export const COORDINATOR_GROUP = 'coordinator';
export const CANCEL_CHANNEL = 'kerv:cancel';
export const VERDICT_CHANNEL = 'kerv:verdict';
export const WORKERS_SET = 'kerv:workers';

/** A coordinator's id: letters and digits, so it is safe in keys and job ids. */
export const COORDINATOR_ID = /^[a-z0-9]{8,32}$/;

/** The keys of one coordinator's runs. */
export function runKeys(coordinator: string) {
  const ns = `kerv:${coordinator}`;
  return {
    progress: `${ns}:progress`,
    attempt: (runId: number) => `${ns}:run:${runId}:attempt`,
    fingerprint: (runId: number) => `${ns}:run:${runId}:fingerprint`,
    cancel: (runId: number) => `${ns}:run:${runId}:cancel`,
    verdict: (runId: number, epoch: number) => `${ns}:run:${runId}:verdict:${epoch}`,
    checkpoint: (runId: number) => `${ns}:ckpt:${runId}`,
    checkpointChunk: (runId: number, step: number, file: string, index: number) => `${ns}:ckpt:${runId}:${step}:${file}:${index}`,
  };
}
export type RunKeys = ReturnType<typeof runKeys>;

export const workerKey = (name: string) => `kerv:worker:${name}`;

/** BullMQ job ids may not contain ':'; one job per hand-over of a run. */
export function jobId(coordinator: string, runId: number, dispatch: number): string {
  return `${coordinator}-run-${runId}-d${dispatch}`;
}

/** What the cancel and verdict channels carry: which coordinator's run. */
export const cancelMessage = (coordinator: string, runId: number) => `${coordinator}:${runId}`;

/** A job's data. The config is checked again by the worker (parseRunConfig), never trusted. */
export const runJobSchema = z
  .object({
    coordinator: z.string().regex(COORDINATOR_ID),
    runId: z.number().int().positive(),
    config: z.record(z.string(), z.unknown()),
    appVersion: z.string().max(100),
    /** Backend for a config that says 'auto' when the worker was not started with --backend. */
    defaultBackend: z.string().max(40),
    /** In an ASHA sweep: the rung epochs, after each of which the run waits for the coordinator's verdict. */
    rungs: z.strictObject({ epochs: z.array(z.number().int().min(1)).min(1).max(64), metric: z.enum(ASHA_METRICS) }).optional(),
  })
  .strict();
export type RunJob = z.infer<typeof runJobSchema>;

/** One entry of the progress stream: what a worker reports about a run, in order. */
export type StreamMessage =
  /** The worker took the run (and from which checkpoint step it continues). */
  | { kind: 'claimed'; fromStep: number }
  | { kind: 'progress'; progress: TrainProgress }
  | { kind: 'outcome'; outcome: TrainOutcome }
  | { kind: 'error'; message: string }
  /** The worker stopped (Ctrl+C) after checkpointing; the run goes back to the queue. */
  | { kind: 'released'; step: number; reason: string }
  /** The run finished an ASHA rung epoch with this value and waits for the coordinator's verdict. */
  | { kind: 'rung'; epoch: number; value: number | null };

export interface StreamEntry {
  runId: number;
  attempt: number;
  worker: string;
  message: StreamMessage;
}

const KINDS = new Set(['claimed', 'progress', 'outcome', 'error', 'released', 'rung']);

/** Stream fields (flat string pairs) for XADD. */
export function encodeEntry(entry: StreamEntry): string[] {
  return ['run', String(entry.runId), 'attempt', String(entry.attempt), 'worker', entry.worker, 'body', JSON.stringify(entry.message)];
}

/**
 * Reads a stream entry back; null for anything malformed (written by something
 * else): the coordinator acknowledges and skips it rather than stall on it.
 * Progress messages are carried generically: any object with a string `type`
 * (the store applies the types it knows, so a new TrainProgress type needs no
 * change here).
 */
export function decodeEntry(fields: string[]): StreamEntry | null {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i], fields[i + 1]);
  const runId = Number(map.get('run'));
  const attempt = Number(map.get('attempt'));
  const worker = map.get('worker');
  if (!Number.isInteger(runId) || runId <= 0 || !Number.isInteger(attempt) || attempt < 0 || !worker) return null;
  let message: unknown;
  try {
    message = JSON.parse(map.get('body') ?? '');
  } catch {
    return null;
  }
  if (!message || typeof message !== 'object' || !KINDS.has((message as { kind?: string }).kind ?? '')) return null;
  const m = message as StreamMessage;
  if (m.kind === 'progress' && (!m.progress || typeof m.progress !== 'object' || typeof m.progress.type !== 'string')) return null;
  if (m.kind === 'outcome' && (!m.outcome || typeof m.outcome !== 'object' || typeof m.outcome.status !== 'string')) return null;
  if (m.kind === 'rung' && (!Number.isInteger(m.epoch) || m.epoch < 1 || (m.value !== null && typeof m.value !== 'number'))) return null;
  return { runId, attempt, worker, message: m };
}

const rungVerdictSchema = z.strictObject({
  epoch: z.number().int().min(1),
  stop: z.boolean(),
  value: z.number().nullable(),
  cutoff: z.number().nullable(),
  eta: z.number().int().min(0),
});

/** A verdict key's value, read back by a worker; null for anything else. */
export function decodeVerdict(text: string | null): RungVerdict | null {
  if (text === null) return null;
  try {
    const parsed = rungVerdictSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** What a worker's heartbeat says about its machine (the shape the UI shows). */
export type WorkerHeartbeat = ClusterWorkerInfo;
