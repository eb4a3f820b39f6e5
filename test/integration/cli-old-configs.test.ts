// A data folder with a run recorded before model.kervNorm and model.kervActivation
// existed: its stored config lacks them, and its hashes were taken over that
// config. Opened by this version through the `kerv` CLI (out/node/kerv.js), it
// reads with the defaults (the behaviour it trained with) and groups with a new
// run of the same settings.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../src-main/shared/table-format';
import { configHash } from '../../src-main/service/run-identity';
import { experimentHash } from '../../src-main/store/experiment-hash';
import { defaultRunConfig, type RunConfig } from '../../src-main/shared/run-config';
import { MIGRATIONS } from '../../src-main/store/migrations';

const KERV = resolve('out/node/kerv.js');
const tmp = mkdtempSync(join(os.tmpdir(), 'kerv-old-configs-'));
const dataDir = join(tmp, 'data');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function kerv(...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, KERV_DATA_DIR: dataDir };
  delete env.KERV_REDIS_URL;
  const r = spawnSync(process.execPath, [KERV, ...args], { encoding: 'utf8', env, timeout: 120_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

/** The schema version of the releases before stored configs were normalised (migration 10). */
const OLD_SCHEMA = 9;

/** A data folder as those releases left it: one completed run, seed 0, its config written before model.kervNorm / kervActivation. */
function writeOldDataFolder(): void {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, 'workbench.sqlite'));
  try {
    for (const migration of MIGRATIONS.slice(0, OLD_SCHEMA)) {
      if (typeof migration === 'string') db.exec(migration);
      else migration(db);
    }
    db.pragma(`user_version = ${OLD_SCHEMA}`);
    const { model, ...rest } = defaultRunConfig();
    const { kervNorm: _norm, kervActivation: _activation, ...oldModel } = model;
    const config = { ...rest, model: oldModel } as RunConfig;
    db.prepare(
      `INSERT INTO runs (id, name, status, config_json, config_hash, experiment_hash, dataset, arch, kernel, seed, search_text, created_at)
       VALUES (1, 'old', 'completed', ?, ?, ?, ?, ?, ?, 0, '', '2026-11-01T00:00:00.000Z')`,
    ).run(JSON.stringify(config), configHash(config), experimentHash(config), config.dataset.name, config.model.arch, config.model.kernel.type);
  } finally {
    db.close();
  }
}

describe('a run stored before kervNorm and kervActivation existed', () => {
  it('reads with their defaults and groups by config, experiment and seed with a new run of the same settings', () => {
    writeOldDataFolder();
    // A new run of the same settings, seed 1 (queued only: nothing to train for grouping).
    kerv('sweep', '--grid', `optimizer.lr=${defaultRunConfig().optimizer.lr}`, '--seed', '1', '--detach');

    const old = JSON.parse(kerv('runs', 'show', '1', '--json'));
    expect(old.run.config.model).toMatchObject({ kervNorm: 'none', kervActivation: 'arch' });

    // The Runs screen groups by experiment and counts seeds by config hash.
    const { rows } = JSON.parse(kerv('runs', 'list', '--json', '--sort', 'id', '--asc'));
    expect(rows.map((r: { id: number }) => r.id)).toEqual([1, 2]);
    expect(rows[0].experimentHash).toBe(rows[1].experimentHash);
    expect(rows[0].configHash).not.toBe(rows[1].configHash); // seeds 0 and 1

    const table = parseCsv(kerv('export', '--runs', '1,2', '--group-by', 'config', '--columns', 'testAccuracy'));
    expect(table).toEqual([['test acc', 'n'], ['', '2']]);
  });
});
