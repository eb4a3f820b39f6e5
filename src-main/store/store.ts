// The workbench store: one SQLite file, repositories over it, and the one
// operation the hot path needs — writing a batch of training progress in a
// single transaction.
import type { TrainProgress } from '../shared/progress';
import { describeStorageError, openDatabase, StoreError, type Db, type OpenDatabaseOptions } from './database';
import { AshaStore } from './asha-store';
import { ClusterStore } from './cluster-store';
import { LrFindStore } from './lr-find-store';
import { MetricStore } from './metric-store';
import type { RunStatus } from '../shared/api';
import { epochLine, endLine, summaryLine } from '../shared/format';
import { nowIso, RunStore, type UnsavedEnds } from './run-store';

export class Store {
  readonly runs: RunStore;
  readonly metrics: MetricStore;
  /** Ends of runs the database refused to write (disk full): shown by every read, written at the first chance. */
  private readonly unsavedEnds: UnsavedEnds = new Map();
  readonly cluster: ClusterStore;
  readonly lrFinds: LrFindStore;
  readonly asha: AshaStore;

  private constructor(
    private readonly db: Db,
    readonly file: string,
  ) {
    this.runs = new RunStore(db, this.unsavedEnds);
    this.metrics = new MetricStore(db);
    this.cluster = new ClusterStore(db);
    this.lrFinds = new LrFindStore(db);
    this.asha = new AshaStore(db);
  }

  /**
   * Ends a running run (completed, failed, cancelled, interrupted) with its reason.
   * A run must never stay 'running' without a worker: when the database refuses
   * the write (a full disk), the end is kept in memory — every read shows it — and
   * written by retryUnsavedEnds (the scheduler retries; every later transaction
   * tries first). The error is still thrown so the caller can report it.
   */
  endRun(id: number, status: RunStatus, error: string | null): void {
    try {
      this.transaction(() => {
        this.runs.transition(id, status, { error });
        // A completion's log line came with its summary; any other end says here what happened.
        if (status === 'cancelled' || status === 'interrupted' || status === 'failed') this.runs.log(id, status === 'failed' ? 'error' : 'warn', endLine(status, error));
      }, 'record the end of a run in');
      this.unsavedEnds.delete(id);
    } catch (failure) {
      if (failure instanceof StoreError) this.unsavedEnds.set(id, { status, error, finishedAt: nowIso() });
      throw failure;
    }
  }

  /**
   * Moves a run to `to`. A run leaving 'running' ends through endRun, so whoever
   * moves it (the local queue, the cluster coordinator) gets the same guarantee:
   * an end the database refuses still shows at once and is written when it can.
   */
  setRunStatus(id: number, to: RunStatus, error: string | null): void {
    if (this.runs.get(id)?.status === 'running' && to !== 'running') this.endRun(id, to, error);
    else this.runs.transition(id, to, { error });
  }

  /** How many run ends still wait to be written. */
  unsavedEndCount(): number {
    return this.unsavedEnds.size;
  }

  /** Writes the ends the database refused earlier; keeps those it still refuses. */
  retryUnsavedEnds(): number {
    for (const [id, end] of [...this.unsavedEnds]) {
      try {
        this.db.transaction(() => {
          const row = this.db.prepare('SELECT status FROM runs WHERE id = ?').get(id) as { status: RunStatus } | undefined;
          // Gone, or already moved on (another process ended it): nothing left to write.
          if (row && row.status === 'running') {
            this.runs.transition(id, end.status, { error: end.error });
            if (end.status === 'cancelled' || end.status === 'interrupted' || end.status === 'failed') this.runs.log(id, end.status === 'failed' ? 'error' : 'warn', endLine(end.status, end.error));
          }
        })();
        this.unsavedEnds.delete(id);
      } catch {
        // Still refused; the next retry tries again.
      }
    }
    return this.unsavedEnds.size;
  }

  static open(options: OpenDatabaseOptions): Store {
    return new Store(openDatabase(options), options.file);
  }

  /** Runs fn in one transaction; storage errors come back as StoreError naming the file and the cause. */
  transaction<T>(fn: () => T, action = 'write to'): T {
    if (this.unsavedEnds.size > 0) this.retryUnsavedEnds();
    try {
      return this.db.transaction(fn)();
    } catch (error) {
      throw describeStorageError(error, this.file, action);
    }
  }

  /** Reads outside a transaction, with the same error translation. */
  read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw describeStorageError(error, this.file, 'read');
    }
  }

  /**
   * Persists what a worker reported since the last flush, in ONE transaction:
   * a kill -9 between batches loses at most the batch in flight, never half of one.
   */
  writeProgress(runId: number, batch: TrainProgress[]): void {
    if (batch.length === 0) return;
    this.transaction(() => {
      for (const p of batch) this.applyOne(runId, p);
    });
  }

  private applyOne(runId: number, p: TrainProgress): void {
    switch (p.type) {
      case 'started': {
        const run = this.runs.get(runId);
        this.runs.setEnvironment(runId, run?.config.seed ?? 0, p.environment, p.dataset);
        this.runs.setProgressFields(runId, { totalSteps: p.totalSteps, parameterCount: p.parameterCount });
        this.metrics.putSamples(runId, p.samples);
        const how = p.startStep > 0 ? `resumed at step ${p.startStep}` : 'started';
        this.runs.log(runId, 'info', `${how} on ${p.environment.backend} (${p.environment.device}), ${p.totalSteps} steps`);
        break;
      }
      case 'steps': {
        if (p.steps.length === 0) break;
        this.metrics.appendSteps(runId, p.steps);
        const last = p.steps[p.steps.length - 1];
        this.runs.setProgressFields(runId, { step: last.step, durationMs: last.wallTimeMs });
        break;
      }
      case 'scalars':
        this.metrics.appendScalars(runId, p.samples);
        break;
      case 'epoch': {
        this.metrics.putEpoch(runId, p.metrics);
        this.runs.log(runId, 'info', epochLine(p.metrics, this.runs.get(runId)?.config.epochs ?? null));
        const best = this.metrics.bestValidationAccuracy(runId);
        if (best !== null) this.runs.setProgressFields(runId, { bestValidationAccuracy: best });
        break;
      }
      case 'checkpoint':
        break; // its folder is the record: resume and bundles read checkpoints from disk
      case 'log':
        this.runs.log(runId, p.level, p.message);
        break;
      case 'completed': {
        const s = p.summary;
        this.runs.log(runId, 'info', `Finished: ${summaryLine(s)}`);
        this.runs.setProgressFields(runId, {
          summary: s,
          testAccuracy: s.testAccuracy,
          parameterCount: s.parameterCount,
          durationMs: s.trainingTimeMs,
          step: s.steps,
          ...(s.bestValidationAccuracy !== null ? { bestValidationAccuracy: s.bestValidationAccuracy } : {}),
        });
        break;
      }
    }
  }

  settings(): Record<string, unknown> {
    const rows = this.db.prepare('SELECT key, value_json FROM settings').all() as { key: string; value_json: string }[];
    return Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value_json)]));
  }

  setSettings(values: Record<string, unknown>): void {
    const stmt = this.db.prepare('INSERT OR REPLACE INTO settings (key, value_json) VALUES (?, ?)');
    this.transaction(() => {
      for (const [key, value] of Object.entries(values)) if (value !== undefined) stmt.run(key, JSON.stringify(value));
    });
  }

  /** PRAGMA integrity_check: 'ok' for a sound file. */
  integrityCheck(): string {
    const rows = this.db.pragma('integrity_check') as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join('; ');
  }

  schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  close(): void {
    if (this.db.open && this.unsavedEnds.size > 0) this.retryUnsavedEnds();
    if (this.db.open) this.db.close();
  }
}

export { StoreError } from './database';
export type { OpenDatabaseOptions } from './database';
export type { ClusterRun } from './cluster-store';
export { TransitionError, canTransition, toRunRow, type StoredRun, type Group } from './run-store';
