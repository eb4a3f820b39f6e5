// The schema, as an ordered list of migrations. The database's PRAGMA
// user_version is the number of migrations applied; opening a database runs the
// missing ones in one transaction each. Never edit a shipped migration: add one.
//
// Denormalised columns on runs (dataset, arch, kernel, seed, step, best_val_acc,
// test_acc, duration_ms, search_text) exist so the runs list filters, sorts and
// pages over 10,000+ runs from indexes without parsing config JSON.
//
// A migration is SQL, or a function for steps SQL cannot do alone (hashing every
// stored config); either runs inside the migration's transaction.
import { canonicalJson, type RunConfig } from '../shared/run-config';
import type { Db } from './database';
import { configHash, experimentHash } from './experiment-hash';
import { readStoredConfig } from './stored-config';

export type Migration = string | ((db: Db) => void);

/**
 * 10: configs written before a field existed (model.kervNorm, model.kervActivation)
 * are stored with the schema's defaults filled in (store/stored-config.ts), and
 * their hashes re-derived, so "group by config", experiment and seed counts, and
 * filters on those fields treat them like new runs of the same settings.
 */
function normaliseStoredConfigs(db: Db): void {
  const rows = db.prepare('SELECT id, config_json FROM runs').all() as { id: number; config_json: string }[];
  const update = db.prepare('UPDATE runs SET config_json = ?, config_hash = ?, experiment_hash = ? WHERE id = ?');
  for (const row of rows) {
    const config = readStoredConfig(row.config_json);
    if (canonicalJson(config) === canonicalJson(JSON.parse(row.config_json))) continue;
    update.run(JSON.stringify(config), configHash(config), experimentHash(config), row.id);
  }
}

/** 2: runs.experiment_hash (the config without name and seed, for "group by config"), backfilled and indexed. */
function addExperimentHash(db: Db): void {
  db.exec(`ALTER TABLE runs ADD COLUMN experiment_hash TEXT NOT NULL DEFAULT ''`);
  const rows = db.prepare('SELECT id, config_json FROM runs').all() as { id: number; config_json: string }[];
  const update = db.prepare('UPDATE runs SET experiment_hash = ? WHERE id = ?');
  for (const row of rows) update.run(experimentHash(JSON.parse(row.config_json) as RunConfig), row.id);
  db.exec('CREATE INDEX runs_experiment ON runs (experiment_hash, id)');
}

/**
 * 4: run numbers are never reused. `runs.id` is a plain INTEGER PRIMARY KEY, which
 * hands out max(id)+1, so deleting the newest run gave its number to the next one
 * and notes citing "#13" then pointed at another experiment. AUTOINCREMENT would
 * need the table (and every table referencing it) rebuilt; a one-row counter does
 * the same: RunStore.insert takes max(counter, max(id)) + 1 and stores it back.
 */
const neverReuseRunIds = `
  CREATE TABLE id_sequence (
    name     TEXT PRIMARY KEY,
    last_id  INTEGER NOT NULL
  );
  INSERT INTO id_sequence (name, last_id) SELECT 'runs', coalesce(max(id), 0) FROM runs;
`;

export const MIGRATIONS: readonly Migration[] = [
  /* 1: initial schema */ `
  CREATE TABLE groups (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL DEFAULT 'sweep',
    -- the sweep request (base config, grid, repeats) that produced the group
    spec_json   TEXT,
    created_at  TEXT NOT NULL
  );

  CREATE TABLE runs (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('queued','running','completed','failed','cancelled','interrupted')),
    config_json     TEXT NOT NULL,
    config_hash     TEXT NOT NULL,
    dataset         TEXT NOT NULL,
    arch            TEXT NOT NULL,
    kernel          TEXT NOT NULL,
    seed            INTEGER NOT NULL,
    group_id        INTEGER REFERENCES groups(id) ON DELETE SET NULL,
    tags_json       TEXT NOT NULL DEFAULT '[]',
    notes           TEXT NOT NULL DEFAULT '',
    -- lower-cased name, dataset, arch, kernel and tags, for the free-text filter
    search_text     TEXT NOT NULL,
    -- order among queued runs (smaller starts first); NULL when not queued
    queue_position  REAL,
    step            INTEGER NOT NULL DEFAULT 0,
    total_steps     INTEGER,
    best_val_acc    REAL,
    test_acc        REAL,
    parameter_count INTEGER,
    summary_json    TEXT,
    created_at      TEXT NOT NULL,
    started_at      TEXT,
    finished_at     TEXT,
    duration_ms     INTEGER,
    error           TEXT,
    -- the run this one re-runs or was imported as, for provenance
    origin          TEXT,
    -- pid of the workbench process training the run (while running): a run whose
    -- owner is gone was orphaned by a crash; one whose owner lives is not ours to touch
    owner_pid       INTEGER
  );
  CREATE INDEX runs_status     ON runs (status, id);
  CREATE INDEX runs_group      ON runs (group_id, id);
  CREATE INDEX runs_created    ON runs (created_at, id);
  CREATE INDEX runs_name       ON runs (name, id);
  CREATE INDEX runs_dataset    ON runs (dataset, id);
  CREATE INDEX runs_arch       ON runs (arch, id);
  CREATE INDEX runs_kernel     ON runs (kernel, id);
  CREATE INDEX runs_best_val   ON runs (best_val_acc, id);
  CREATE INDEX runs_duration   ON runs (duration_ms, id);
  CREATE INDEX runs_queue      ON runs (queue_position) WHERE status = 'queued';
  CREATE INDEX runs_hash       ON runs (config_hash);

  -- reproducibility metadata, one row per run, rewritten on resume
  CREATE TABLE run_environment (
    run_id              INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    seed                INTEGER NOT NULL,
    app_version         TEXT NOT NULL,
    tfjs_version        TEXT NOT NULL,
    backend             TEXT NOT NULL,
    device              TEXT NOT NULL,
    threads             INTEGER NOT NULL,
    os                  TEXT NOT NULL,
    node_version        TEXT NOT NULL,
    dataset_fingerprint TEXT,
    dataset_json        TEXT,
    recorded_at         TEXT NOT NULL
  );

  CREATE TABLE step_metrics (
    run_id            INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step              INTEGER NOT NULL,
    epoch             INTEGER NOT NULL,
    loss              REAL,
    accuracy          REAL,
    learning_rate     REAL,
    images_per_second REAL,
    wall_time_ms      REAL,
    PRIMARY KEY (run_id, step)
  ) WITHOUT ROWID;

  CREATE TABLE epoch_metrics (
    run_id          INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch           INTEGER NOT NULL,
    step            INTEGER NOT NULL,
    train_loss      REAL,
    train_accuracy  REAL,
    val_loss        REAL,
    val_accuracy    REAL,
    per_class_json  TEXT NOT NULL,
    confusion_json  TEXT NOT NULL,
    duration_ms     REAL,
    wall_time_ms    REAL,
    PRIMARY KEY (run_id, epoch)
  ) WITHOUT ROWID;

  CREATE TABLE sample_images (
    run_id        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    sample_index  INTEGER NOT NULL,
    dataset_index INTEGER NOT NULL,
    label         INTEGER NOT NULL,
    png           BLOB NOT NULL,
    PRIMARY KEY (run_id, sample_index)
  );

  CREATE TABLE sample_predictions (
    run_id        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch         INTEGER NOT NULL,
    sample_index  INTEGER NOT NULL,
    predicted     INTEGER NOT NULL,
    loss          REAL,
    top_json      TEXT NOT NULL,
    PRIMARY KEY (run_id, epoch, sample_index)
  ) WITHOUT ROWID;

  -- files on disk that belong to a run (checkpoint folders, exports), by path
  CREATE TABLE artifacts (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    path        TEXT NOT NULL,
    epoch       INTEGER,
    step        INTEGER,
    created_at  TEXT NOT NULL
  );
  CREATE INDEX artifacts_run ON artifacts (run_id, kind, id);

  CREATE TABLE run_logs (
    id       INTEGER PRIMARY KEY,
    run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    level    TEXT NOT NULL,
    message  TEXT NOT NULL,
    at       TEXT NOT NULL
  );
  CREATE INDEX run_logs_run ON run_logs (run_id, id);

  CREATE TABLE settings (
    key         TEXT PRIMARY KEY,
    value_json  TEXT NOT NULL
  );
  `,
  addExperimentHash,
  /* 3: the cluster's bookkeeping (service/cluster): which runs it holds, the fencing attempt, the last stream entry ingested */ `
  CREATE TABLE cluster_runs (
    run_id     INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    -- how many times the run was handed to the cluster (a resumed run gets a new job)
    dispatch   INTEGER NOT NULL,
    -- 1 while the cluster holds the run (queued there or training); 0 once its outcome is ingested
    open       INTEGER NOT NULL,
    -- the newest attempt whose messages are accepted: older ones come from a worker that lost the run
    attempt    INTEGER NOT NULL DEFAULT 0,
    -- the machine that trains (or last trained) the run
    worker     TEXT
  );
  CREATE TABLE cluster_state (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
  );
  `,
  neverReuseRunIds,
  /* 5: named diagnostic series (kernel parameters, norms, activations, system), one row per name and step */ `
  CREATE TABLE scalar_metrics (
    run_id        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    step          INTEGER NOT NULL,
    wall_time_ms  REAL,
    value         REAL,
    PRIMARY KEY (run_id, name, step)
  ) WITHOUT ROWID;
  `,
  /* 6: drop artifacts: checkpoints were recorded there and read only by tests; resume, bundles and the cluster find them on disk (service/checkpoints.ts), which a killed worker cannot leave out of date */ `
  DROP INDEX artifacts_run;
  DROP TABLE artifacts;
  `,
  /* 7: how a run's threads shared the work (shared/parallelism.ts): data | xnnpack | none; null for runs recorded before */ `
  ALTER TABLE run_environment ADD COLUMN parallel TEXT;
  `,
  /* 8: the learning-rate finder's history (store/lr-find-store.ts) */ `
  CREATE TABLE lr_finds (
    id           INTEGER PRIMARY KEY,
    status       TEXT NOT NULL CHECK (status IN ('running','completed','failed','cancelled')),
    config_json  TEXT NOT NULL,
    -- the curve, the suggestions and the environment (shared/lr-find.ts); null until it ends
    result_json  TEXT,
    error        TEXT,
    created_at   TEXT NOT NULL,
    finished_at  TEXT,
    -- the workbench process running it: a finder whose owner is gone died with it
    owner_pid    INTEGER
  );
  `,
  /* 9: ASHA sweeps (store/asha-store.ts): the group's options, and each run's value and verdict at each rung it reached */ `
  ALTER TABLE groups ADD COLUMN asha_json TEXT;
  CREATE TABLE asha_rungs (
    run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    group_id   INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    epoch      INTEGER NOT NULL,
    -- the metric at the rung; NULL when it was not a number
    value      REAL,
    -- the line it had to reach; NULL when it was the first value at the rung
    cutoff     REAL,
    -- how many other runs' values the cutoff was taken over
    compared   INTEGER NOT NULL,
    verdict    TEXT NOT NULL CHECK (verdict IN ('continue','stop')),
    decided_at TEXT NOT NULL,
    PRIMARY KEY (run_id, epoch)
  );
  CREATE INDEX asha_rungs_group ON asha_rungs (group_id, epoch);
  `,
  normaliseStoredConfigs,
  /* 11: where \`kerv train --checkpoint-dir\` wrote a recorded run's checkpoints (absolute), so \`kerv train --resume\` of that folder continues the run; NULL: the workbench's own run folder */ `
  ALTER TABLE runs ADD COLUMN checkpoint_dir TEXT;
  CREATE INDEX runs_checkpoint_dir ON runs (checkpoint_dir) WHERE checkpoint_dir IS NOT NULL;
  `,
];
