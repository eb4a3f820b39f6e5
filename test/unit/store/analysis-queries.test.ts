// The store's side of the analysis views: diagnostic scalar series (written in
// the progress transaction, read by family, truncated on resume, migrated onto an
// old database) and the runs list filtered and sorted on any run field.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRunConfig, type RunConfigInput } from '../../../src-main/shared/run-config';
import { Store } from '../../../src-main/store/store';
import { MIGRATIONS } from '../../../src-main/store/migrations';
import { parseRequest } from '../../../src-main/service/requests';

let dir: string;
let store: Store;

beforeEach(() => {
  dir = mkdtempSync(join(os.tmpdir(), 'kerv-analysis-store-'));
  store = Store.open({ file: join(dir, 'runs.db') });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function addRun(input: RunConfigInput, name: string, tags: string[] = []): number {
  return store.runs.insert({ name, config: parseRunConfig(input), configHash: 'h', tags });
}

describe('diagnostic scalars', () => {
  it('are written with the progress batch, read back by family and cut back on resume', () => {
    const id = addRun({}, 'a');
    store.writeProgress(id, [
      { type: 'scalars', samples: [{ step: 10, wallTimeMs: 100, values: { 'kernel/kerv1/gamma': 0.5, 'system/rss_mb': 300, 'grad_norm/kerv1': NaN } }] },
      { type: 'scalars', samples: [{ step: 20, wallTimeMs: 200, values: { 'kernel/kerv1/gamma': 0.45, 'system/rss_mb': 310 } }] },
    ]);
    const all = store.metrics.scalars(id);
    expect(Object.keys(all).sort()).toEqual(['grad_norm/kerv1', 'kernel/kerv1/gamma', 'system/rss_mb']);
    expect(all['kernel/kerv1/gamma']).toEqual({ step: [10, 20], wallTimeMs: [100, 200], value: [0.5, 0.45] });
    expect(all['grad_norm/kerv1'].value[0]).toBeNaN();
    expect(Object.keys(store.metrics.scalars(id, { prefix: 'system/' }))).toEqual(['system/rss_mb']);
    expect(store.metrics.scalars(id, { prefix: 'kernel/', sinceStep: 10 })['kernel/kerv1/gamma'].step).toEqual([20]);
    store.transaction(() => store.metrics.truncateAfter(id, 15));
    expect(store.metrics.scalars(id)['kernel/kerv1/gamma'].step).toEqual([10]);
    store.runs.delete([id]);
    expect(store.metrics.scalars(id)).toEqual({});
  });

  it('get their table when an existing database is opened', () => {
    store.close();
    const file = join(dir, 'old.db');
    const old = new Database(file);
    old.exec(MIGRATIONS[0] as string);
    old.pragma('user_version = 1');
    old.close();
    store = Store.open({ file });
    expect(store.schemaVersion()).toBe(MIGRATIONS.length);
    const id = addRun({}, 'b');
    store.writeProgress(id, [{ type: 'scalars', samples: [{ step: 1, wallTimeMs: 1, values: { 'system/cpu_percent': 97 } }] }]);
    expect(store.metrics.scalars(id)['system/cpu_percent'].value).toEqual([97]);
  });
});

describe('runs list on any field', () => {
  beforeEach(() => {
    addRun({ epochs: 3, model: { kernel: { type: 'gaussian' } }, optimizer: { lr: 0.1 } }, 'g-fast', ['keep']);
    addRun({ epochs: 6, model: { kernel: { type: 'gaussian' } }, optimizer: { lr: 0.01 } }, 'g-long');
    addRun({ epochs: 8, model: { kernel: { type: 'polynomial' } }, optimizer: { lr: 0.05 } }, 'p-long', ['keep', 'best']);
    const ids = store.runs.list({ sortDir: 'asc' }).rows.map((r) => r.id);
    ids.forEach((id, i) => store.runs.setProgressFields(id, { bestValidationAccuracy: [0.8, 0.9, 0.86][i] }));
  });

  const names = (query: Parameters<Store['runs']['list']>[0]) => store.runs.list(query).rows.map((r) => r.name);

  it('filters on metrics, config paths and tags together', () => {
    expect(names({ where: [{ field: 'bestValidationAccuracy', op: '>', value: 0.85 }], sortBy: 'name', sortDir: 'asc' })).toEqual(['g-long', 'p-long']);
    expect(names({ where: [{ field: 'kernel', op: '=', value: 'gaussian' }, { field: 'config.epochs', op: '>=', value: 5 }] })).toEqual(['g-long']);
    expect(names({ where: [{ field: 'tag', op: '=', value: 'keep' }], sortBy: 'name', sortDir: 'asc' })).toEqual(['g-fast', 'p-long']);
    expect(names({ where: [{ field: 'tag', op: '!=', value: 'keep' }] })).toEqual(['g-long']);
    expect(store.runs.list({ where: [{ field: 'config.optimizer.lr', op: '<', value: 0.06 }] }).total).toBe(2);
  });

  it('sorts on a config path and carries configs only when asked', () => {
    expect(names({ sortBy: 'config.optimizer.lr', sortDir: 'asc' })).toEqual(['g-long', 'p-long', 'g-fast']);
    expect(store.runs.list({}).rows[0].config).toBeUndefined();
    const row = store.runs.list({ withConfig: true, sortBy: 'config.epochs', sortDir: 'desc' }).rows[0];
    expect(row.config?.epochs).toBe(8);
    expect(row.summary).toBeNull();
  });

  it('refuses a field that is not a run field, naming it', () => {
    expect(() => store.runs.list({ sortBy: 'name; DROP TABLE runs' })).toThrow(/Unknown run field 'name; DROP TABLE runs'/);
    expect(() => parseRequest('runs:list', { where: [{ field: 'config.a b', op: '=', value: 1 }] })).toThrow(/where\.0\.field/);
    expect(() => parseRequest('runs:list', { where: [{ field: 'kernel', op: '~', value: 1 }] })).toThrow(/where\.0\.op/);
  });
});
