// The workbench store: one SQLite file, repositories over it, and the one
// operation the hot path needs — writing a batch of training progress in a
// single transaction.
import type { TrainProgress } from '../shared/progress';
import { describeStorageError, openDatabase, type Db, type OpenDatabaseOptions } from './database';
import { ClusterStore } from './cluster-store';
import { MetricStore } from './metric-store';
import { RunStore } from './run-store';

export class Store {
  readonly runs: RunStore;
  readonly metrics: MetricStore;
  readonly cluster: ClusterStore;

  private constructor(
    private readonly db: Db,
    readonly file: string,
  ) {
    this.runs = new RunStore(db);
    this.metrics = new MetricStore(db);
    this.cluster = new ClusterStore(db);
  }

  static open(options: OpenDatabaseOptions): Store {
    return new Store(openDatabase(options), options.file);
  }

  /** Runs fn in one transaction; storage errors come back as StoreError naming the file and the cause. */
  transaction<T>(fn: () => T, action = 'write to'): T {
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
      case 'epoch': {
        this.metrics.putEpoch(runId, p.metrics);
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
    if (this.db.open) this.db.close();
  }
}

export { StoreError } from './database';
export type { OpenDatabaseOptions } from './database';
export type { ClusterRun } from './cluster-store';
export { TransitionError, canTransition, toRunRow, type StoredRun, type Group } from './run-store';
