// ASHA's bookkeeping (shared/asha.ts, service/asha.ts): a sweep group's options,
// and every value a run recorded at a rung with the verdict it got. Kept in
// SQLite so a restarted workbench judges later runs against the same values, and
// a run that asks again about a rung (resumed, or retried on another cluster
// worker) gets the verdict it got the first time.
import { parseAshaOptions, type AshaOptions, type RungRecord } from '../shared/asha';
import type { Db } from './database';
import { nowIso } from './run-store';

interface RungRow {
  run_id: number;
  epoch: number;
  value: number | null;
  cutoff: number | null;
  compared: number;
  verdict: 'continue' | 'stop';
  decided_at: string;
}

const toRecord = (r: RungRow): RungRecord => ({ runId: r.run_id, epoch: r.epoch, value: r.value, cutoff: r.cutoff, compared: r.compared, verdict: r.verdict, decidedAt: r.decided_at });

export class AshaStore {
  constructor(private readonly db: Db) {}

  setOptions(groupId: number, options: AshaOptions): void {
    this.db.prepare('UPDATE groups SET asha_json = ? WHERE id = ?').run(JSON.stringify(options), groupId);
  }

  /** The group's ASHA options; null for a group without. */
  options(groupId: number): AshaOptions | null {
    const row = this.db.prepare('SELECT asha_json FROM groups WHERE id = ?').get(groupId) as { asha_json: string | null } | undefined;
    return parseAshaOptions(row?.asha_json ?? null);
  }

  /** The verdict a run already got at a rung, if any. */
  record(runId: number, epoch: number): RungRecord | null {
    const row = this.db.prepare('SELECT * FROM asha_rungs WHERE run_id = ? AND epoch = ?').get(runId, epoch) as RungRow | undefined;
    return row ? toRecord(row) : null;
  }

  /** The values the group's other runs recorded at the rung (not-a-number values as null). */
  valuesAt(groupId: number, epoch: number, exceptRunId: number): (number | null)[] {
    const rows = this.db.prepare('SELECT value FROM asha_rungs WHERE group_id = ? AND epoch = ? AND run_id != ?').all(groupId, epoch, exceptRunId) as { value: number | null }[];
    return rows.map((r) => r.value);
  }

  add(groupId: number, record: Omit<RungRecord, 'decidedAt'>): RungRecord {
    const decidedAt = nowIso();
    this.db
      .prepare('INSERT INTO asha_rungs (run_id, group_id, epoch, value, cutoff, compared, verdict, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(record.runId, groupId, record.epoch, record.value, record.cutoff, record.compared, record.verdict, decidedAt);
    return { ...record, decidedAt };
  }

  /** Every rung record of the group, by rung epoch, then in the order they were decided. */
  records(groupId: number): RungRecord[] {
    return (this.db.prepare('SELECT * FROM asha_rungs WHERE group_id = ? ORDER BY epoch, rowid').all(groupId) as RungRow[]).map(toRecord);
  }
}
