// A run trained outside the queue, in the caller's own process (`kerv train`),
// recorded like any other: the same store writes as a worker's progress (config,
// environment, steps, epochs, samples, logs, checkpoints), batched per
// event-loop turn, and the same statuses. The run is created already 'running'
// and owned by this process, so another workbench on the folder never starts it,
// and one that opens the folder after this process died marks it interrupted.
import type { RunStatus } from '../shared/api';
import type { TrainOutcome, TrainProgress } from '../shared/progress';
import type { Store } from '../store/store';
import { emitProgressEvents, outcomeStatus, type Emit } from './scheduler';

export class RunRecording {
  private pending: TrainProgress[] = [];
  private flushQueued = false;
  private ended = false;
  /** Why progress stopped being recorded (the database refused a write), if it did. */
  writeError: string | null = null;

  constructor(
    private readonly store: Store,
    private readonly emit: Emit,
    readonly id: number,
    /** Where the run's checkpoints go, so `kerv runs resume` finds them like any run's. */
    readonly checkpointDir: string,
  ) {}

  /** Takes one progress message (call it from the engine's onProgress). */
  readonly progress = (p: TrainProgress): void => {
    if (this.ended || this.writeError) return;
    this.pending.push(p);
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => this.flush());
    }
  };

  /** Writes the run's end from the engine's outcome. */
  complete(outcome: TrainOutcome): void {
    if (outcome.status === 'cancelled') {
      // Stopped by Ctrl+C: resumable from its last checkpoint, like a run the workbench stopped.
      this.end('interrupted', `kerv train was interrupted at step ${outcome.step} (epoch ${outcome.epoch})`);
      return;
    }
    const { status, error } = outcomeStatus(outcome);
    this.end(status, error);
  }

  /** The training threw (bad dataset path, out of memory): the run fails with the message. */
  fail(message: string): void {
    this.end('failed', message);
  }

  private end(status: RunStatus, error: string | null): void {
    if (this.ended) return;
    this.flush();
    this.ended = true;
    this.store.endRun(this.id, status, error);
    this.emit('run:status', { id: this.id, status, error });
  }

  private flush(): void {
    this.flushQueued = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0 || this.writeError) return;
    try {
      this.store.writeProgress(this.id, batch);
    } catch (error) {
      // Disk full, read-only folder: training goes on (the terminal and --summary-json still get everything).
      this.writeError = (error as Error).message;
      return;
    }
    emitProgressEvents(this.emit, this.id, batch);
  }
}
