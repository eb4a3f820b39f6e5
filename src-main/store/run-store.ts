// Runs, their lifecycle and queue order, sweep groups and logs. (Checkpoints are
// found on disk, service/checkpoints.ts: the folder is their one record.)
import { parseAshaOptions } from '../shared/asha';
import type { RunFilter, RunGroup, RunListQuery, RunRow, RunStatus } from '../shared/api';
import { conflict, invalidInput, runNotFound, WorkbenchError } from '../shared/errors';
import { isFieldName } from '../shared/run-fields';
import type { DatasetInfo, RunEnvironment, TrainSummary } from '../shared/progress';
import type { RunConfig } from '../shared/run-config';
import type { ParallelMode } from '../shared/parallelism';
import type { Db } from './database';
import { configHash, experimentHash } from './experiment-hash';
import { readStoredConfig } from './stored-config';

/** The transitions a run may take; anything else is a bug or a stale request. */
const TRANSITIONS: Record<RunStatus, readonly RunStatus[]> = {
  queued: ['running', 'cancelled'],
  running: ['completed', 'failed', 'cancelled', 'interrupted'],
  completed: [],
  failed: ['queued'],
  cancelled: ['queued'],
  interrupted: ['queued'],
};

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** A status change the run's current status forbids: a conflict with the state, not a bad request. */
export class TransitionError extends WorkbenchError {
  constructor(
    readonly runId: number,
    readonly from: RunStatus,
    readonly to: RunStatus,
  ) {
    super('conflict', `Run ${runId} is ${from}; it cannot become ${to}.`);
    this.name = 'TransitionError';
  }
}

export interface NewRun {
  name: string;
  config: RunConfig;
  configHash: string;
  groupId?: number | null;
  tags?: string[];
  notes?: string;
  origin?: string | null;
  status?: RunStatus;
  /** Where the run writes its checkpoints when not in the workbench's run folder (`kerv train --checkpoint-dir`): absolute. */
  checkpointDir?: string | null;
}

interface RunDbRow {
  id: number;
  name: string;
  status: RunStatus;
  config_json: string;
  config_hash: string;
  experiment_hash: string;
  dataset: string;
  arch: string;
  kernel: string;
  seed: number;
  group_id: number | null;
  tags_json: string;
  notes: string;
  queue_position: number | null;
  step: number;
  total_steps: number | null;
  best_val_acc: number | null;
  test_acc: number | null;
  parameter_count: number | null;
  summary_json: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  error: string | null;
  origin: string | null;
}

/** A run as stored: the list row plus what the detail view and the service need. */
export interface StoredRun extends RunRow {
  config: RunConfig;
  notes: string;
  parameterCount: number | null;
  summary: TrainSummary | null;
  origin: string | null;
}

export interface StoredEnvironment {
  environment: RunEnvironment;
  seed: number;
  dataset: DatasetInfo | null;
  recordedAt: string;
}

export interface Group {
  id: number;
  name: string;
  kind: string;
  spec: unknown;
  createdAt: string;
}

/** Run fields stored as columns (indexed where the list sorts on them). */
const FIELD_COLUMNS: Record<string, string> = {
  id: 'id',
  name: 'name',
  status: 'status',
  dataset: 'dataset',
  arch: 'arch',
  kernel: 'kernel',
  seed: 'seed',
  bestValidationAccuracy: 'best_val_acc',
  testAccuracy: 'test_acc',
  durationMs: 'duration_ms',
  step: 'step',
  createdAt: 'created_at',
  experimentHash: 'experiment_hash',
};

/** Columns that are never NULL: sorting on them needs no "missing values last" term and walks their index. */
const NOT_NULL_COLUMNS = new Set(['id', 'name', 'status', 'dataset', 'arch', 'kernel', 'seed', 'step', 'createdAt', 'experimentHash']);

/**
 * A run field (shared/run-fields.ts) as an SQL expression: a column, or a JSON
 * path into the stored config or summary. Paths travel as bound parameters.
 */
function fieldSql(field: string): { sql: string; params: unknown[] } {
  if (!isFieldName(field) || field === 'tag') throw invalidInput(`Unknown run field '${field}'; expected a run column, summary.<metric> or config.<path>.`);
  const column = FIELD_COLUMNS[field];
  if (column) return { sql: column, params: [] };
  const [source, ...path] = field.split('.');
  return { sql: `json_extract(${source === 'config' ? 'config_json' : 'summary_json'}, ?)`, params: [`$.${path.join('.')}`] };
}

function filterSql(filter: RunFilter): { sql: string; params: unknown[] } {
  if (filter.field === 'tag') {
    if (filter.op !== '=' && filter.op !== '!=') throw invalidInput(`A tag filter is 'tag = name' or 'tag != name' (got '${filter.op}').`);
    return { sql: `${filter.op === '=' ? '' : 'NOT '}EXISTS (SELECT 1 FROM json_each(runs.tags_json) WHERE value = ?)`, params: [String(filter.value)] };
  }
  const { sql, params } = fieldSql(filter.field);
  // JSON booleans read back as 1/0: 'true'/'false' in a filter mean those.
  const value = filter.value === 'true' ? 1 : filter.value === 'false' ? 0 : filter.value;
  return { sql: `${sql} ${filter.op === '!=' ? 'IS NOT' : filter.op} ?`, params: [...params, value] };
}

export function nowIso(): string {
  return new Date().toISOString();
}

function searchText(name: string, config: RunConfig, tags: string[]): string {
  return [name, config.dataset.name, config.model.arch, config.model.kernel.type, ...tags].join(' ').toLowerCase();
}

function toStoredRun(row: RunDbRow): StoredRun {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    dataset: row.dataset,
    arch: row.arch,
    kernel: row.kernel,
    seed: row.seed,
    configHash: row.config_hash,
    experimentHash: row.experiment_hash,
    groupId: row.group_id,
    tags: JSON.parse(row.tags_json) as string[],
    bestValidationAccuracy: row.best_val_acc,
    testAccuracy: row.test_acc,
    step: row.step,
    totalSteps: row.total_steps,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    durationMs: row.duration_ms,
    error: row.error,
    config: readStoredConfig(row.config_json),
    notes: row.notes,
    parameterCount: row.parameter_count,
    summary: row.summary_json ? (JSON.parse(row.summary_json) as TrainSummary) : null,
    origin: row.origin,
  };
}

/** The list row only: what crosses to the UI for every row of the runs table. */
export function toRunRow(run: StoredRun): RunRow {
  const { config: _c, notes: _n, parameterCount: _p, summary: _s, origin: _o, ...row } = run;
  return row;
}

const LIST_COLUMNS = `id, name, status, config_json, config_hash, experiment_hash, dataset, arch, kernel, seed, group_id, tags_json, notes,
  queue_position, step, total_steps, best_val_acc, test_acc, parameter_count, summary_json, created_at, started_at,
  finished_at, duration_ms, error, origin`;

/** A run's end that the database refused to record (disk full): reads show it until it is written. */
export type UnsavedEnds = Map<number, { status: RunStatus; error: string | null; finishedAt: string }>;

export class RunStore {
  constructor(
    private readonly db: Db,
    private readonly unsavedEnds: UnsavedEnds = new Map(),
  ) {}

  /** A row as the rest of the product must see it: a run whose end is not yet written has ended all the same. */
  private present(row: RunDbRow): StoredRun {
    const run = toStoredRun(row);
    const end = this.unsavedEnds.get(run.id);
    if (!end || run.status !== 'running') return run;
    return { ...run, status: end.status, error: end.error, finishedAt: end.finishedAt };
  }

  insert(run: NewRun): number {
    const tags = run.tags ?? [];
    const status = run.status ?? 'queued';
    // A number never handed out before, even when the newest run was deleted (migration 3).
    const { id } = this.db
      .prepare(
        `UPDATE id_sequence SET last_id = max(last_id, (SELECT coalesce(max(id), 0) FROM runs)) + 1 WHERE name = 'runs' RETURNING last_id AS id`,
      )
      .get() as { id: number };
    const info = this.db
      .prepare(
        `INSERT INTO runs (id, name, status, config_json, config_hash, experiment_hash, dataset, arch, kernel, seed, group_id, tags_json, notes,
           search_text, queue_position, created_at, origin, checkpoint_dir)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        run.name,
        status,
        JSON.stringify(run.config),
        run.configHash,
        experimentHash(run.config),
        run.config.dataset.name,
        run.config.model.arch,
        run.config.model.kernel.type,
        run.config.seed,
        run.groupId ?? null,
        JSON.stringify(tags),
        run.notes ?? '',
        searchText(run.name, run.config, tags),
        status === 'queued' ? this.nextQueuePosition() : null,
        nowIso(),
        run.origin ?? null,
        run.checkpointDir ?? null,
      );
    return Number(info.lastInsertRowid);
  }

  /** The newest run recorded with its checkpoints in `dir` (an absolute path, as inserted), or null. */
  idWithCheckpointDir(dir: string): number | null {
    const row = this.db.prepare('SELECT id FROM runs WHERE checkpoint_dir = ? ORDER BY id DESC LIMIT 1').get(dir) as { id: number } | undefined;
    return row?.id ?? null;
  }

  /** The folder `kerv train --checkpoint-dir` recorded run `id` with (absolute), or null: it checkpoints in its run folder. */
  externalCheckpointDir(id: number): string | null {
    const row = this.db.prepare('SELECT checkpoint_dir FROM runs WHERE id = ?').get(id) as { checkpoint_dir: string | null } | undefined;
    return row?.checkpoint_dir ?? null;
  }

  /** Replaces a run's config (a resume that trains it for more epochs), with the hashes derived from it. */
  updateConfig(id: number, config: RunConfig): void {
    this.db
      .prepare('UPDATE runs SET config_json = ?, config_hash = ?, experiment_hash = ? WHERE id = ?')
      .run(JSON.stringify(config), configHash(config), experimentHash(config), id);
  }

  get(id: number): StoredRun | null {
    const row = this.db.prepare(`SELECT ${LIST_COLUMNS} FROM runs WHERE id = ?`).get(id) as RunDbRow | undefined;
    return row ? this.present(row) : null;
  }

  exists(id: number): boolean {
    return this.db.prepare('SELECT 1 FROM runs WHERE id = ?').get(id) !== undefined;
  }

  list(query: RunListQuery = {}): { rows: RunRow[]; total: number } {
    const where: string[] = [];
    const params: unknown[] = [];
    for (const word of (query.search ?? '').toLowerCase().split(/\s+/).filter(Boolean)) {
      where.push(`search_text LIKE ? ESCAPE '\\'`);
      params.push(`%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    }
    if (query.status && query.status.length > 0) {
      where.push(`status IN (${query.status.map(() => '?').join(',')})`);
      params.push(...query.status);
    }
    if (query.groupId !== undefined) {
      where.push('group_id = ?');
      params.push(query.groupId);
    }
    if (query.experimentHash !== undefined) {
      where.push('experiment_hash = ?');
      params.push(query.experimentHash);
    }
    for (const filter of query.where ?? []) {
      const condition = filterSql(filter);
      where.push(condition.sql);
      params.push(...condition.params);
    }
    const whereSql = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const sortBy = query.sortBy ?? 'id';
    const sort = fieldSql(sortBy);
    const dir = query.sortDir === 'asc' ? 'ASC' : 'DESC';
    // Runs without a value (no validation accuracy yet) go last either way; columns that are
    // never NULL skip that term so SQLite walks their index instead of sorting.
    const order = NOT_NULL_COLUMNS.has(sortBy) ? `${sort.sql} ${dir}, id ${dir}` : `${sort.sql} IS NULL, ${sort.sql} ${dir}, id ${dir}`;
    const orderParams = NOT_NULL_COLUMNS.has(sortBy) ? sort.params : [...sort.params, ...sort.params];
    const limit = query.limit ?? 100;
    const offset = query.offset ?? 0;
    // Two steps: page the ids (index-only where possible), then read just those rows.
    const ids = (
      this.db.prepare(`SELECT id FROM runs ${whereSql} ORDER BY ${order} LIMIT ? OFFSET ?`).all(...params, ...orderParams, limit, offset) as { id: number }[]
    ).map((r) => r.id);
    const byId = new Map<number, RunDbRow>();
    if (ids.length > 0) {
      const rows = this.db.prepare(`SELECT ${LIST_COLUMNS} FROM runs WHERE id IN (${ids.map(() => '?').join(',')})`).all(...ids) as RunDbRow[];
      for (const row of rows) byId.set(row.id, row);
    }
    const total = (this.db.prepare(`SELECT count(*) AS n FROM runs ${whereSql}`).get(...params) as { n: number }).n;
    const toRow = (stored: StoredRun): RunRow => (query.withConfig ? { ...toRunRow(stored), config: stored.config, summary: stored.summary } : toRunRow(stored));
    return { rows: ids.map((id) => toRow(this.present(byId.get(id)!))), total };
  }

  idsInGroups(groupIds: number[]): number[] {
    if (groupIds.length === 0) return [];
    const rows = this.db
      .prepare(`SELECT id FROM runs WHERE group_id IN (${groupIds.map(() => '?').join(',')}) ORDER BY id`)
      .all(...groupIds) as { id: number }[];
    return rows.map((r) => r.id);
  }

  idsWithStatus(status: RunStatus): number[] {
    return (this.db.prepare('SELECT id FROM runs WHERE status = ? ORDER BY id').all(status) as { id: number }[]).map((r) => r.id);
  }

  /**
   * Moves a run to `to`, checking the transition against the current state in the
   * same statement so two racing callers cannot both win. Returns the new state.
   */
  transition(id: number, to: RunStatus, fields: { error?: string | null } = {}): StoredRun {
    // The stored row, not the presented one: an unsaved end is what this call writes.
    const row = this.db.prepare(`SELECT ${LIST_COLUMNS} FROM runs WHERE id = ?`).get(id) as RunDbRow | undefined;
    const run = row ? toStoredRun(row) : null;
    if (!run) throw runNotFound(id);
    if (!canTransition(run.status, to)) throw new TransitionError(id, run.status, to);
    const now = nowIso();
    const sets = ['status = ?'];
    const params: unknown[] = [to];
    if (to === 'queued') {
      sets.push('queue_position = ?', 'error = NULL', 'finished_at = NULL');
      params.push(this.nextQueuePosition());
    } else {
      sets.push('queue_position = NULL');
    }
    if (to === 'running') {
      sets.push('started_at = coalesce(started_at, ?)', 'owner_pid = ?');
      params.push(now, process.pid);
    }
    if (to === 'completed' || to === 'failed' || to === 'cancelled' || to === 'interrupted') {
      sets.push('finished_at = ?');
      params.push(now);
    }
    if (fields.error !== undefined) {
      sets.push('error = ?');
      params.push(fields.error);
    }
    const info = this.db.prepare(`UPDATE runs SET ${sets.join(', ')} WHERE id = ? AND status = ?`).run(...params, id, run.status);
    // Another process changed the run between the read and the write (two workbenches on one folder).
    if (info.changes !== 1) throw new TransitionError(id, this.get(id)?.status ?? run.status, to);
    return this.get(id)!;
  }

  /**
   * Runs left 'running' by a workbench process that is gone (killed, crashed):
   * they become interrupted (resumable). Runs owned by a live process (a
   * `kerv serve` on the same folder) are left alone, and so are runs that train
   * elsewhere (on the cluster's workers): their progress arrives when the
   * coordinator is back.
   */
  interruptOrphans(reason: string, isAlive: (pid: number) => boolean, trainedElsewhere: ReadonlySet<number> = new Set()): number[] {
    const rows = this.db.prepare(`SELECT id, step, owner_pid FROM runs WHERE status = 'running'`).all() as {
      id: number;
      step: number;
      owner_pid: number | null;
    }[];
    const orphans = rows.filter((r) => !trainedElsewhere.has(r.id)).filter((r) => r.owner_pid === null || r.owner_pid === process.pid || !isAlive(r.owner_pid));
    const stmt = this.db.prepare(
      `UPDATE runs SET status = 'interrupted', error = ?, finished_at = ?, queue_position = NULL, owner_pid = NULL WHERE id = ? AND status = 'running'`,
    );
    for (const r of orphans) stmt.run(`${reason} at step ${r.step}`, nowIso(), r.id);
    return orphans.map((r) => r.id);
  }

  update(id: number, fields: { name?: string; tags?: string[]; notes?: string }): void {
    const run = this.get(id);
    if (!run) throw runNotFound(id);
    const name = fields.name ?? run.name;
    const tags = fields.tags ?? run.tags;
    const notes = fields.notes ?? run.notes;
    this.db
      .prepare('UPDATE runs SET name = ?, tags_json = ?, notes = ?, search_text = ? WHERE id = ?')
      .run(name, JSON.stringify(tags), notes, searchText(name, run.config, tags), id);
  }

  /** Restores lifecycle timestamps and error of an imported run. */
  restoreLifecycle(id: number, f: { createdAt: string; startedAt: string | null; finishedAt: string | null; error: string | null }): void {
    this.db.prepare('UPDATE runs SET created_at = ?, started_at = ?, finished_at = ?, error = ? WHERE id = ?').run(f.createdAt, f.startedAt, f.finishedAt, f.error, id);
  }

  /** Fields the progress writer maintains while a run trains. */
  setProgressFields(
    id: number,
    fields: Partial<{ step: number; totalSteps: number; durationMs: number | null; bestValidationAccuracy: number | null; testAccuracy: number | null; parameterCount: number; summary: TrainSummary }>,
  ): void {
    const map: [keyof typeof fields, string, (v: unknown) => unknown][] = [
      ['step', 'step', (v) => v],
      ['totalSteps', 'total_steps', (v) => v],
      ['durationMs', 'duration_ms', (v) => (v === null ? null : Math.round(v as number))],
      ['bestValidationAccuracy', 'best_val_acc', (v) => v],
      ['testAccuracy', 'test_acc', (v) => v],
      ['parameterCount', 'parameter_count', (v) => v],
      ['summary', 'summary_json', (v) => JSON.stringify(v)],
    ];
    const sets: string[] = [];
    const params: unknown[] = [];
    for (const [key, column, convert] of map) {
      if (fields[key] !== undefined) {
        sets.push(`${column} = ?`);
        params.push(convert(fields[key]));
      }
    }
    if (sets.length > 0) this.db.prepare(`UPDATE runs SET ${sets.join(', ')} WHERE id = ?`).run(...params, id);
  }

  delete(ids: number[]): void {
    const stmt = this.db.prepare('DELETE FROM runs WHERE id = ?');
    this.db.transaction(() => ids.forEach((id) => stmt.run(id)))();
  }

  // ---- queue order ----

  private nextQueuePosition(): number {
    const row = this.db.prepare(`SELECT max(queue_position) AS p FROM runs WHERE status = 'queued'`).get() as { p: number | null };
    return (row.p ?? 0) + 1;
  }

  queuedIds(): number[] {
    return (
      this.db.prepare(`SELECT id FROM runs WHERE status = 'queued' ORDER BY queue_position, id`).all() as { id: number }[]
    ).map((r) => r.id);
  }

  /** Puts the listed queued runs first, in that order; the rest keep their relative order after them. */
  reorderQueue(ids: number[]): void {
    const queued = this.queuedIds();
    const unknown = ids.filter((id) => !queued.includes(id));
    if (unknown.length > 0) throw conflict(`Not queued: run(s) ${unknown.join(', ')}; only queued runs can be reordered.`);
    const order = [...ids, ...queued.filter((id) => !ids.includes(id))];
    const stmt = this.db.prepare(`UPDATE runs SET queue_position = ? WHERE id = ? AND status = 'queued'`);
    this.db.transaction(() => order.forEach((id, index) => stmt.run(index + 1, id)))();
  }

  // ---- environment ----

  setEnvironment(id: number, seed: number, environment: RunEnvironment, dataset: DatasetInfo | null): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO run_environment (run_id, seed, app_version, tfjs_version, backend, device, threads, parallel, os,
           node_version, dataset_fingerprint, dataset_json, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        seed,
        environment.appVersion,
        environment.tfjsVersion,
        environment.backend,
        environment.device,
        environment.threads,
        environment.parallel ?? null,
        environment.os,
        environment.nodeVersion,
        dataset?.fingerprint ?? null,
        dataset ? JSON.stringify(dataset) : null,
        nowIso(),
      );
  }

  getEnvironment(id: number): StoredEnvironment | null {
    const row = this.db.prepare('SELECT * FROM run_environment WHERE run_id = ?').get(id) as
      | Record<string, string | number | null>
      | undefined;
    if (!row) return null;
    return {
      seed: row.seed as number,
      environment: {
        backend: row.backend as string,
        device: row.device as string,
        threads: row.threads as number,
        ...(row.parallel ? { parallel: row.parallel as ParallelMode } : {}),
        tfjsVersion: row.tfjs_version as string,
        appVersion: row.app_version as string,
        os: row.os as string,
        nodeVersion: row.node_version as string,
      },
      dataset: row.dataset_json ? (JSON.parse(row.dataset_json as string) as DatasetInfo) : null,
      recordedAt: row.recorded_at as string,
    };
  }

  // ---- logs ----

  log(id: number, level: string, message: string, at: string = nowIso()): void {
    this.db.prepare('INSERT INTO run_logs (run_id, level, message, at) VALUES (?, ?, ?, ?)').run(id, level, message, at);
  }

  logs(id: number): { level: string; message: string; at: string }[] {
    return this.db.prepare('SELECT level, message, at FROM run_logs WHERE run_id = ? ORDER BY id').all(id) as {
      level: string;
      message: string;
      at: string;
    }[];
  }

  // ---- groups ----

  createGroup(name: string, kind: string, spec: unknown): number {
    const info = this.db
      .prepare('INSERT INTO groups (name, kind, spec_json, created_at) VALUES (?, ?, ?, ?)')
      .run(name, kind, JSON.stringify(spec ?? null), nowIso());
    return Number(info.lastInsertRowid);
  }

  group(id: number): Group | null {
    const row = this.db.prepare('SELECT * FROM groups WHERE id = ?').get(id) as
      | { id: number; name: string; kind: string; spec_json: string | null; created_at: string }
      | undefined;
    return row ? { id: row.id, name: row.name, kind: row.kind, spec: row.spec_json ? JSON.parse(row.spec_json) : null, createdAt: row.created_at } : null;
  }

  /** Groups newest first, with their run counts and ASHA options. */
  groups(): RunGroup[] {
    const rows = this.db
      .prepare(
        `SELECT g.id, g.name, g.kind, g.created_at AS createdAt, g.asha_json, (SELECT count(*) FROM runs r WHERE r.group_id = g.id) AS runCount
         FROM groups g ORDER BY g.id DESC`,
      )
      .all() as (Omit<RunGroup, 'asha'> & { asha_json: string | null })[];
    return rows.map(({ asha_json, ...group }) => ({ ...group, asha: parseAshaOptions(asha_json) }));
  }
}
