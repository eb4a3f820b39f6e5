// The typed messages between the workbench service and one training worker
// process. The worker trains exactly one run, then exits; the service keeps the
// run's state in SQLite, so a worker that dies loses at most the batch in flight.
import type { RunConfig, WebGpuOptions } from '../../shared/run-config';
import type { TrainOutcome, TrainProgress } from '../../shared/progress';
import type { RungPlan, RungVerdict } from '../../shared/asha';
import type { LrFindOptions, LrFindPoint, LrFindResult } from '../../shared/lr-find';

/** Service → worker. */
export type ToWorker =
  | {
      type: 'start';
      runId: number;
      config: RunConfig;
      /** Where the engine writes this run's checkpoint (<dataDir>/runs/<id>/checkpoint). */
      checkpointDir: string;
      /** The checkpoint to continue from, or null for a fresh start. */
      resumeFrom: string | null;
      /** Dataset cache folder (<dataDir>/datasets). */
      cacheDir: string;
      appVersion: string;
      /** Backend for a config that says 'auto' (the settings' choice; 'auto' = best available). */
      defaultBackend: string;
      /** Dawn's adapter name and native API for the webgpu backend (the settings'); unset = Dawn's choice. */
      webgpu?: WebGpuOptions;
      /** The cores this run is given (the queue divides the machine among its simultaneous runs); a config's threads: 'auto' uses them. */
      coreShare?: number;
      /** In an ASHA sweep: the rung epochs, after each of which the run sends 'rung' and waits for a 'verdict'. */
      rungs?: RungPlan;
    }
  /** The learning-rate finder on the run's config (engine/train/lr-find.ts) instead of a run: the same set-up, nothing written. */
  | {
      type: 'lr-find';
      config: RunConfig;
      finder: LrFindOptions;
      cacheDir: string;
      appVersion: string;
      defaultBackend: string;
      webgpu?: WebGpuOptions;
      coreShare?: number;
    }
  | { type: 'cancel' }
  /** The answer to a 'rung' message. */
  | { type: 'verdict'; verdict: RungVerdict };

/** Worker → service. */
export type FromWorker =
  | { type: 'progress'; progress: TrainProgress }
  | { type: 'outcome'; outcome: TrainOutcome }
  /** train() threw: the run failed; the message is shown to the user. */
  | { type: 'error'; message: string; stack?: string }
  /** The learning-rate finder: each step as it is taken, then the whole result. */
  | { type: 'lr-point'; point: LrFindPoint }
  | { type: 'lr-result'; result: LrFindResult }
  /** The run finished an ASHA rung epoch with this value of the rung metric; it waits for a 'verdict'. */
  | { type: 'rung'; epoch: number; value: number | null };

export function isFromWorker(value: unknown): value is FromWorker {
  if (!value || typeof value !== 'object') return false;
  const type = (value as { type?: unknown }).type;
  return type === 'progress' || type === 'outcome' || type === 'error' || type === 'lr-point' || type === 'lr-result' || type === 'rung';
}
