// A data folder with a run recorded before model.kervNorm and model.kervActivation
// existed: its stored config lacks them, and its hashes were taken over that
// config. Opened by this version through the `kerv` CLI (out/node/kerv.js), it
// reads with the defaults (the behaviour it trained with) and groups with a new
// run of the same settings.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../src-main/shared/table-format';
import { configHash } from '../../src-main/service/run-identity';
import { experimentHash } from '../../src-main/store/experiment-hash';
import type { RunConfig } from '../../src-main/shared/run-config';

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

/** Rewrites run `id` as the versions before model.kervNorm / model.kervActivation wrote it; the schema as they left it. */
function writeTheOldWay(id: number): void {
  const db = new Database(join(dataDir, 'workbench.sqlite'));
  try {
    const row = db.prepare('SELECT config_json FROM runs WHERE id = ?').get(id) as { config_json: string };
    const { model, ...rest } = JSON.parse(row.config_json) as RunConfig;
    const { kervNorm: _norm, kervActivation: _activation, ...oldModel } = model;
    const config = { ...rest, model: oldModel } as RunConfig;
    db.prepare('UPDATE runs SET config_json = ?, config_hash = ?, experiment_hash = ? WHERE id = ?').run(JSON.stringify(config), configHash(config), experimentHash(config), id);
    // The schema version of the releases before stored configs were normalised (migration 10).
    db.pragma('user_version = 9');
  } finally {
    db.close();
  }
}

describe('a run stored before kervNorm and kervActivation existed', () => {
  it('reads with their defaults and groups by config, experiment and seed with a new run of the same settings', () => {
    // Two seeds of one configuration, queued only (nothing to train for grouping).
    kerv('sweep', '--grid', 'optimizer.lr=0.01', '--repeats', '2', '--detach');
    writeTheOldWay(1);

    const old = JSON.parse(kerv('runs', 'show', '1', '--json'));
    expect(old.run.config.model).toMatchObject({ kervNorm: 'none', kervActivation: 'arch' });

    // The Runs screen groups by experiment and counts seeds by config hash.
    const { rows } = JSON.parse(kerv('runs', 'list', '--json', '--sort', 'id', '--asc'));
    expect(rows.map((r: { id: number }) => r.id)).toEqual([1, 2]);
    expect(rows[0].experimentHash).toBe(rows[1].experimentHash);
    expect(rows[0].configHash).not.toBe(rows[1].configHash); // seeds 0 and 1

    const table = parseCsv(kerv('export', '--group', '1', '--group-by', 'config', '--columns', 'testAccuracy'));
    expect(table).toEqual([['test acc', 'n'], ['', '2']]);
  });
});
