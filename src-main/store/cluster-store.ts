// The coordinator's bookkeeping of runs it handed to the cluster (service/cluster):
// which runs the cluster holds, the attempt whose messages are accepted (fencing
// out a worker that lost its run), where each run trains, and the last progress
// stream entry written — stored in the same transaction as the progress itself,
// so an entry re-read after a crash between commit and acknowledge is skipped.
import type { Db } from './database';

export interface ClusterRun {
  runId: number;
  dispatch: number;
  open: boolean;
  attempt: number;
  worker: string | null;
}

interface ClusterRunRow {
  run_id: number;
  dispatch: number;
  open: number;
  attempt: number;
  worker: string | null;
}

const toClusterRun = (r: ClusterRunRow): ClusterRun => ({ runId: r.run_id, dispatch: r.dispatch, open: r.open === 1, attempt: r.attempt, worker: r.worker });

export class ClusterStore {
  constructor(private readonly db: Db) {}

  get(runId: number): ClusterRun | null {
    const row = this.db.prepare('SELECT * FROM cluster_runs WHERE run_id = ?').get(runId) as ClusterRunRow | undefined;
    return row ? toClusterRun(row) : null;
  }

  /** Runs the cluster holds (queued there or training). */
  openRuns(): ClusterRun[] {
    return (this.db.prepare('SELECT * FROM cluster_runs WHERE open = 1 ORDER BY run_id').all() as ClusterRunRow[]).map(toClusterRun);
  }

  /** Hands the run to the cluster: a run not held yet gets the next dispatch number. Returns it. */
  open(runId: number): ClusterRun {
    const current = this.get(runId);
    if (current?.open) return current;
    this.db
      .prepare(
        `INSERT INTO cluster_runs (run_id, dispatch, open, attempt) VALUES (?, 1, 1, 0)
         ON CONFLICT (run_id) DO UPDATE SET dispatch = dispatch + 1, open = 1`,
      )
      .run(runId);
    return this.get(runId)!;
  }

  close(runId: number): void {
    this.db.prepare('UPDATE cluster_runs SET open = 0 WHERE run_id = ?').run(runId);
  }

  setAttempt(runId: number, attempt: number, worker: string): void {
    this.db.prepare('UPDATE cluster_runs SET attempt = ?, worker = ? WHERE run_id = ?').run(attempt, worker, runId);
  }

  /** The machine a run trained on, when the cluster trained it. */
  worker(runId: number): string | null {
    return this.get(runId)?.worker ?? null;
  }

  state(key: string): string | null {
    const row = this.db.prepare('SELECT value FROM cluster_state WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  setState(key: string, value: string): void {
    this.db.prepare('INSERT OR REPLACE INTO cluster_state (key, value) VALUES (?, ?)').run(key, value);
  }
}
