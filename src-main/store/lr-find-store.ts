// The learning-rate finder's history (service/lr-find-service.ts): one row per
// finder run, its config, status and result (the curve and the suggestions) as
// JSON, checked against the schema when read back.
import { lrFindResultSchema, type LrFindRecord, type LrFindResult, type LrFindStatus, type LrFindSummary } from '../shared/lr-find';
import { parseRunConfig, type RunConfig } from '../shared/run-config';
import type { Db } from './database';
import { nowIso } from './run-store';

interface LrFindRow {
  id: number;
  status: LrFindStatus;
  config_json: string;
  result_json: string | null;
  error: string | null;
  created_at: string;
  finished_at: string | null;
  owner_pid: number | null;
}

/** A stored result, or null when it no longer reads as one (a hand-edited file): the record still shows. */
function readResult(json: string | null): LrFindResult | null {
  if (!json) return null;
  const parsed = lrFindResultSchema.safeParse(JSON.parse(json));
  if (!parsed.success) return null;
  // JSON keeps NaN as null: a diverged loss reads back as NaN.
  return { ...parsed.data, points: parsed.data.points.map((p) => ({ ...p, loss: p.loss ?? NaN, smoothed: p.smoothed ?? NaN })) };
}

function toRecord(row: LrFindRow): LrFindRecord {
  return { id: row.id, status: row.status, config: parseRunConfig(JSON.parse(row.config_json)), createdAt: row.created_at, finishedAt: row.finished_at, result: readResult(row.result_json), error: row.error };
}

export class LrFindStore {
  constructor(private readonly db: Db) {}

  insert(config: RunConfig): number {
    const info = this.db.prepare(`INSERT INTO lr_finds (status, config_json, created_at, owner_pid) VALUES ('running', ?, ?, ?)`).run(JSON.stringify(config), nowIso(), process.pid);
    return Number(info.lastInsertRowid);
  }

  /** Ends a finder run with its result (kept for a cancelled one too: the curve so far) or its error. */
  finish(id: number, status: Exclude<LrFindStatus, 'running'>, result: LrFindResult | null, error: string | null): void {
    this.db.prepare('UPDATE lr_finds SET status = ?, result_json = ?, error = ?, finished_at = ? WHERE id = ?').run(status, result ? JSON.stringify(result) : null, error, nowIso(), id);
  }

  get(id: number): LrFindRecord | null {
    const row = this.db.prepare('SELECT * FROM lr_finds WHERE id = ?').get(id) as LrFindRow | undefined;
    return row ? toRecord(row) : null;
  }

  /** Newest first, without the curves. */
  list(limit = 200): LrFindSummary[] {
    const rows = this.db.prepare('SELECT * FROM lr_finds ORDER BY id DESC LIMIT ?').all(limit) as LrFindRow[];
    return rows.map((row) => {
      const { config, result } = toRecord(row);
      return {
        id: row.id,
        status: row.status,
        createdAt: row.created_at,
        arch: config.model.arch,
        kernel: config.model.kernel.type,
        dataset: config.dataset.name,
        optimizer: config.optimizer.type,
        batchSize: config.batchSize,
        suggestions: result?.suggestions ?? null,
      };
    });
  }

  /** Finder runs left running by a workbench process that is gone: they died with it. */
  failOrphans(reason: string, isAlive: (pid: number) => boolean): number {
    const running = this.db.prepare(`SELECT id, owner_pid FROM lr_finds WHERE status = 'running'`).all() as { id: number; owner_pid: number | null }[];
    const orphans = running.filter((r) => r.owner_pid === null || !isAlive(r.owner_pid));
    const fail = this.db.prepare(`UPDATE lr_finds SET status = 'failed', error = ?, finished_at = ? WHERE id = ?`);
    for (const r of orphans) fail.run(reason, nowIso(), r.id);
    return orphans.length;
  }
}
