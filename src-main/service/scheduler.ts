// The run queue and the worker processes. Queued runs start in queue order, up to
// `concurrency` at a time, each in its own process. Everything a worker reports
// is buffered for the current event-loop turn and written in one transaction,
// then pushed to subscribers. A worker that dies without an outcome fails its run
// with the reason (signal or exit code) and the last step written; the other runs
// go on.
import { mkdirSync } from 'node:fs';
import type { ApiEventName, ApiEvents, RunStatus } from '../shared/api';
import type { EpochMetrics, ScalarSample, StepMetrics, TrainOutcome, TrainProgress } from '../shared/progress';
import type { BackendChoice, RunConfig, WebGpuOptions } from '../shared/run-config';
import type { GpuSlotPlanner } from './gpu-slots';
import { TransitionError, type Store } from '../store/store';
import type { RungVerdict } from '../shared/asha';
import { judgeRung, rungPlan } from './asha';
import { resumeCheckpoint, runCheckpointDir } from './checkpoints';
import { availableCores, coreShare } from '../engine/backend/cores';
import type { DataPaths } from './paths';
import type { FromWorker } from './worker/messages';
import type { WorkerHandle, WorkerLauncher } from './worker/launcher';

export type Emit = <E extends ApiEventName>(event: E, payload: ApiEvents[E]) => void;

/**
 * Where queued runs train when not in this process: the cluster (service/cluster).
 * With one, the scheduler hands every queued run over instead of launching it.
 */
export interface RunPlacement {
  /** Hands queued runs over (idempotent: a run already handed over is skipped). */
  dispatch(queuedIds: number[]): void;
  /** Stops a run wherever it is. True when it trains elsewhere (its outcome arrives later); false for a queued run. */
  cancel(id: number): boolean;
  /** Runs handed over and not finished. */
  activeIds(): number[];
}

/** Tells subscribers what a batch of progress added: a start, steps, diagnostic scalars, an epoch. */
export function emitProgressEvents(emit: Emit, id: number, batch: TrainProgress[]): void {
  const steps: StepMetrics[] = [];
  const scalars: ScalarSample[] = [];
  let epoch: EpochMetrics | null = null;
  for (const p of batch) {
    if (p.type === 'started') emit('run:started', { id, totalSteps: p.totalSteps, environment: p.environment });
    else if (p.type === 'steps') steps.push(...p.steps);
    else if (p.type === 'scalars') scalars.push(...p.samples);
    else if (p.type === 'epoch') epoch = p.metrics;
  }
  if (steps.length > 0 || epoch) emit('run:progress', { id, steps, epoch });
  if (scalars.length > 0) emit('run:scalars', { id, samples: scalars });
}

/** The status a training outcome gives its run, and the error shown with it. */
export function outcomeStatus(outcome: TrainOutcome): { status: RunStatus; error: string | null } {
  if (outcome.status === 'completed') return { status: 'completed', error: null };
  if (outcome.status === 'cancelled') return { status: 'cancelled', error: null };
  return { status: 'failed', error: `training diverged at step ${outcome.step} (epoch ${outcome.epoch}): ${outcome.reason}` };
}

export interface SchedulerOptions {
  store: Store;
  paths: DataPaths;
  launcher: WorkerLauncher;
  appVersion: string;
  emit: Emit;
  concurrency: number;
  /** Backend for runs whose config says 'auto', and Dawn's options (the settings' choices). */
  backendSettings: () => { defaultBackend: BackendChoice; webgpu: WebGpuOptions };
  /** How long a cancelled worker may take to stop on its own before it is killed. */
  cancelGraceMs?: number;
  /** On close, how long workers get to checkpoint and stop before they are killed (default 5 s). */
  stopGraceMs?: number;
  /** Set when a cluster trains the queue (see RunPlacement); none: everything trains here. */
  placement?: RunPlacement;
  /**
   * Runs that train on the GPU take GPU slots (gpu-slots.ts) instead of the
   * `concurrency` CPU places: several share the GPU. Without this, every run is a CPU run.
   */
  gpu?: { planner: GpuSlotPlanner; trainsOnGpu: (config: RunConfig) => boolean };
}

interface ActiveRun {
  id: number;
  /** Holds a GPU slot rather than a CPU place. */
  onGpu: boolean;
  /** The error it was settled with. */
  error: string | null;
  handle: WorkerHandle;
  pending: TrainProgress[];
  flushQueued: boolean;
  /** Set once the run's final state is written; later exits and messages are ignored. */
  settled: boolean;
  cancelRequested: boolean;
  /** Set when the service itself stops the worker (close): the run becomes interrupted. */
  stopping: boolean;
  timers: NodeJS.Timeout[];
  exited: Promise<void>;
}

export class RunScheduler {
  private readonly active = new Map<number, ActiveRun>();
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Off until start(): a CLI command that only reads or enqueues never spawns a worker. */
  private enabled = false;
  concurrency: number;

  constructor(private readonly o: SchedulerOptions) {
    this.concurrency = o.concurrency;
  }

  /** The GPU slots of this machine's runs (null: every run counts as a CPU run). */
  get gpuPlanner(): GpuSlotPlanner | null {
    return this.o.gpu?.planner ?? null;
  }

  /** The cluster takes over the queue (or, with undefined, hands it back to this process). */
  setPlacement(placement: RunPlacement | undefined): void {
    this.o.placement = placement;
    this.pump();
  }

  runningIds(): number[] {
    return [...this.active.keys()];
  }

  isActive(id: number): boolean {
    return this.active.has(id);
  }

  /** Lets the queue run from now on, and starts what fits. */
  start(): void {
    this.enabled = true;
    this.pump();
  }

  /** Starts queued runs while there is room (once the queue is started). */
  pump(): void {
    if (this.closed || !this.enabled) return;
    if (this.o.placement) {
      this.o.placement.dispatch(this.o.store.runs.queuedIds());
      this.notifyIfIdle();
      return;
    }
    // Two pools, each in queue order: a run waiting for a GPU slot does not hold back a CPU run behind it.
    for (const id of this.o.store.runs.queuedIds()) {
      if (this.active.has(id)) continue;
      const onGpu = this.trainsOnGpu(id);
      const busy = [...this.active.values()].filter((run) => run.onGpu === onGpu).length;
      if (busy < (onGpu ? (this.o.gpu as NonNullable<SchedulerOptions['gpu']>).planner.slots() : this.concurrency)) this.launchRun(id, onGpu);
    }
    this.notifyIfIdle();
  }

  private trainsOnGpu(id: number): boolean {
    const run = this.o.store.runs.get(id);
    return !!run && this.o.gpu !== undefined && this.o.gpu.trainsOnGpu(run.config);
  }

  /** Resolves when nothing is queued or running (the CLI waits on this). */
  whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.notifyIfIdle();
    });
  }

  private notifyIfIdle(): void {
    if (this.active.size > 0) return;
    if (!this.closed && this.o.placement && this.o.placement.activeIds().length > 0) return;
    if (!this.closed && this.o.store.runs.queuedIds().length > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    waiters.forEach((w) => w());
  }

  private setStatus(id: number, to: RunStatus, error: string | null = null): void {
    const { store, emit } = this.o;
    const run = store.runs.get(id);
    if (!run || run.status === to) return;
    store.setRunStatus(id, to, error);
    emit('run:status', { id, status: to, error });
  }

  /** While the database refuses to record a run's end (disk full), try again every few seconds. */
  private retryUnsavedEnds(): void {
    if (this.retryTimer || this.o.store.unsavedEndCount() === 0) return;
    this.retryTimer = setInterval(() => {
      if (this.o.store.retryUnsavedEnds() === 0 || this.closed) {
        clearInterval(this.retryTimer!);
        this.retryTimer = null;
      }
    }, 2000).unref();
  }

  private launchRun(id: number, onGpu: boolean): void {
    const { store, paths, launcher } = this.o;
    const run = store.runs.get(id)!;
    const checkpointDir = runCheckpointDir(store, paths, id);
    let handle: WorkerHandle;
    try {
      // Claim the run first: another workbench on the same folder may have started it a moment ago.
      this.setStatus(id, 'running');
    } catch (error) {
      if (error instanceof TransitionError) return;
      throw error;
    }
    try {
      mkdirSync(checkpointDir, { recursive: true });
      mkdirSync(paths.datasetsDir, { recursive: true });
      // A resumed run's step was set to its checkpoint's; a fresh run's is 0 and finds none.
      const resumeFrom = resumeCheckpoint(checkpointDir, run.step)?.path ?? null;
      handle = launcher.launch();
      handle.send({
        type: 'start',
        runId: id,
        config: run.config,
        checkpointDir,
        resumeFrom,
        cacheDir: paths.datasetsDir,
        appVersion: this.o.appVersion,
        ...this.o.backendSettings(),
        coreShare: coreShare(availableCores(), this.concurrency),
        rungs: rungPlan(store, id) ?? undefined,
      });
    } catch (error) {
      // Could not even start (no worker bundle, unwritable folder): the run fails, the queue goes on.
      this.setStatus(id, 'failed', `could not start the training process: ${(error as Error).message}`);
      return;
    }
    let onExited!: () => void;
    const active: ActiveRun = {
      id,
      onGpu,
      error: null,
      handle,
      pending: [],
      flushQueued: false,
      settled: false,
      cancelRequested: false,
      stopping: false,
      timers: [],
      exited: new Promise((resolve) => (onExited = resolve)),
    };
    this.active.set(id, active);
    if (onGpu) this.o.gpu?.planner.runStarted(id);
    handle.onMessage((msg) => this.onMessage(active, msg));
    handle.onExit((code, signal) => {
      this.onExit(active, code, signal);
      onExited();
    });
  }

  private onMessage(run: ActiveRun, msg: FromWorker): void {
    if (run.settled) return;
    if (msg.type === 'progress') {
      run.pending.push(msg.progress);
      if (!run.flushQueued) {
        run.flushQueued = true;
        setImmediate(() => this.flush(run));
      }
    } else if (msg.type === 'outcome') {
      this.flush(run);
      this.settleWithOutcome(run, msg.outcome);
    } else if (msg.type === 'error') {
      this.flush(run);
      this.settle(run, 'failed', msg.message);
    } else if (msg.type === 'rung') {
      this.answerRung(run, msg.epoch, msg.value);
    }
    // 'lr-point' / 'lr-result' come only from a learning-rate finder (lr-find-service.ts), never from a run.
  }

  /** Writes the buffered progress in one transaction, then tells subscribers. */
  private flush(run: ActiveRun): void {
    run.flushQueued = false;
    const batch = run.pending;
    if (batch.length === 0) return;
    run.pending = [];
    try {
      this.o.store.writeProgress(run.id, batch);
    } catch (error) {
      // The database refused the write (disk full, read-only): stop this run rather than train on unrecorded.
      run.handle.kill();
      this.settle(run, 'failed', `could not record progress: ${(error as Error).message}`);
      return;
    }
    emitProgressEvents(this.o.emit, run.id, batch);
    if (run.onGpu) this.reportToGpuPlanner(run.id, batch);
  }

  /** A GPU run's throughput and memory, for the slot planner; a slot it opens starts the next queued GPU run. */
  private reportToGpuPlanner(id: number, batch: TrainProgress[]): void {
    const planner = this.o.gpu?.planner;
    if (!planner) return;
    const before = planner.slots();
    for (const p of batch) {
      if (p.type === 'steps' && p.steps.length > 0) planner.observe(id, { imagesPerSecond: p.steps[p.steps.length - 1].imagesPerSecond });
      if (p.type === 'scalars') {
        for (const sample of p.samples) {
          const gpuMb = sample.values['system/gpu_mb'];
          if (gpuMb !== undefined) planner.observe(id, { gpuMb });
        }
      }
    }
    if (planner.slots() > before) this.pump();
  }

  /** An ASHA rung: the epoch's progress is recorded first, then the verdict decided, stored and sent back. */
  private answerRung(run: ActiveRun, epoch: number, value: number | null): void {
    this.flush(run);
    if (run.settled) return;
    let verdict: RungVerdict;
    try {
      verdict = judgeRung(this.o.store, run.id, epoch, value);
    } catch (error) {
      run.handle.kill();
      this.settle(run, 'failed', `could not record the ASHA verdict at epoch ${epoch}: ${(error as Error).message}`);
      return;
    }
    run.handle.send({ type: 'verdict', verdict });
  }

  private settleWithOutcome(run: ActiveRun, outcome: TrainOutcome): void {
    if (outcome.status === 'cancelled' && run.stopping && !run.cancelRequested) {
      // Stopped because the workbench closed, not by the user: resumable, and it says why.
      this.settle(run, 'interrupted', `the workbench stopped while the run was training, at step ${outcome.step}`);
    } else {
      const { status, error } = outcomeStatus(outcome);
      this.settle(run, status, error);
    }
  }

  /** Writes the run's final state once, and makes sure its process goes away. */
  private settle(run: ActiveRun, status: RunStatus, error: string | null): void {
    if (run.settled) return;
    run.settled = true;
    run.error = error;
    try {
      this.setStatus(run.id, status, error);
    } catch (writeError) {
      // Even the status could not be written (disk full): the store shows the end at once and
      // writes it as soon as it can (retried here, and before any later write).
      this.o.emit('run:status', { id: run.id, status, error: `${error ?? ''} (not saved yet: ${(writeError as Error).message})`.trim() });
      this.retryUnsavedEnds();
    }
    // A worker that reported its outcome exits by itself; one that does not within 5 s is killed.
    run.timers.push(setTimeout(() => run.handle.kill(), 5000).unref());
  }

  private onExit(run: ActiveRun, code: number | null, signal: string | null): void {
    run.timers.forEach(clearTimeout);
    this.active.delete(run.id);
    if (!run.settled) {
      this.flush(run);
      const step = this.o.store.runs.get(run.id)?.step ?? 0;
      if (run.stopping) {
        this.settle(run, 'interrupted', `the workbench stopped while the run was training, at step ${step}`);
      } else if (run.cancelRequested) {
        this.settle(run, 'cancelled', null);
      } else {
        const how = signal ? `was killed (${signal})` : code === 0 ? 'exited without reporting an outcome' : `exited with code ${code}`;
        this.settle(run, 'failed', `worker process ${how} at step ${step}`);
      }
    }
    if (run.onGpu) this.o.gpu?.planner.runEnded(run.id, /GPU out of memory/.test(run.error ?? ''));
    this.pump();
  }

  /** Cancels a queued run at once, or asks a running one to stop (killed after the grace period). */
  cancel(id: number): void {
    const run = this.active.get(id);
    if (!run || run.settled) {
      // Training on another machine: the cluster asks its worker to stop, and the outcome settles the run.
      if (!run && this.o.placement?.cancel(id)) return;
      // Queued (or already finished: then the transition check explains why it cannot be cancelled).
      this.setStatus(id, 'cancelled');
      this.pump();
      return;
    }
    if (run.cancelRequested) return;
    run.cancelRequested = true;
    run.handle.send({ type: 'cancel' });
    run.timers.push(setTimeout(() => run.handle.kill(), this.o.cancelGraceMs ?? 10_000).unref());
  }

  /**
   * Stops every worker and starts nothing more. Each is asked to stop first (the
   * engine then checkpoints where it is, so little is trained twice) and killed
   * after the grace period; their runs become interrupted and resumable.
   */
  async close(): Promise<void> {
    this.closed = true;
    const runs = [...this.active.values()];
    for (const run of runs) {
      run.stopping = true;
      if (run.settled) continue;
      run.handle.send({ type: 'cancel' });
      run.timers.push(setTimeout(() => run.handle.kill(), this.o.stopGraceMs ?? 5000));
    }
    await Promise.all(runs.map((r) => r.exited));
    this.notifyIfIdle();
  }
}
