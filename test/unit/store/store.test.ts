import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunStatus } from '../../../src-main/shared/api';
import type { EpochMetrics, StepMetrics, TrainProgress } from '../../../src-main/shared/progress';
import { parseRunConfig, type RunConfigInput } from '../../../src-main/shared/run-config';
import { Store, StoreError, TransitionError, canTransition } from '../../../src-main/store/store';
import { MIGRATIONS } from '../../../src-main/store/migrations';
import { experimentHash } from '../../../src-main/store/experiment-hash';

let dir: string;
let store: Store;

function addRun(s: Store, input: RunConfigInput = {}, name = 'r'): number {
  return s.runs.insert({ name, config: parseRunConfig(input), configHash: 'h' });
}

function steps(from: number, to: number, epoch: number): StepMetrics[] {
  return Array.from({ length: to - from + 1 }, (_, i) => ({
    step: from + i,
    epoch,
    loss: 1 / (from + i),
    accuracy: 0.5,
    learningRate: 0.01,
    imagesPerSecond: 100,
    wallTimeMs: (from + i) * 10,
  }));
}

function epoch(n: number, step: number, valAcc: number): EpochMetrics {
  return {
    epoch: n,
    step,
    trainLoss: 0.5,
    trainAccuracy: 0.8,
    validationLoss: 0.6,
    validationAccuracy: valAcc,
    perClassAccuracy: [0.9, 0.7],
    confusion: [
      [9, 1],
      [3, 7],
    ],
    samplePredictions: [
      { sampleIndex: 0, top: [{ classIndex: 1, probability: 0.7 }], loss: 0.3 },
      { sampleIndex: 1, top: [{ classIndex: 0, probability: 0.6 }], loss: 0.9 },
    ],
    durationMs: 100,
    wallTimeMs: step * 10,
  };
}

beforeEach(() => {
  dir = mkdtempSync(join(os.tmpdir(), 'kerv-store-'));
  store = Store.open({ file: join(dir, 'db.sqlite') });
});

afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('run numbers (issue 12, bug 3)', () => {
  it('are never reused: deleting the newest run does not free its number, not even across a reopen', () => {
    const ids = [addRun(store), addRun(store), addRun(store)];
    expect(ids).toEqual([1, 2, 3]);
    store.runs.delete([3]);
    expect(addRun(store)).toBe(4);
    store.runs.delete([4]);
    store.close();
    store = Store.open({ file: join(dir, 'db.sqlite') });
    expect(addRun(store)).toBe(5);
  });

  it('an upgraded version-2 database continues after its highest run', () => {
    const file = join(dir, 'v2.sqlite');
    const v2 = new Database(file);
    v2.exec(MIGRATIONS[0] as string);
    (MIGRATIONS[1] as (db: unknown) => void)(v2);
    v2.pragma('user_version = 2');
    const c = parseRunConfig({});
    const insert = v2.prepare(
      `INSERT INTO runs (id, name, status, config_json, config_hash, dataset, arch, kernel, seed, search_text, created_at)
       VALUES (?, 'old', 'completed', ?, 'h', ?, ?, ?, 0, '', '2026-01-01T00:00:00.000Z')`,
    );
    insert.run(13, JSON.stringify(c), c.dataset.name, c.model.arch, c.model.kernel.type);
    v2.close();
    const upgraded = Store.open({ file });
    try {
      expect(upgraded.schemaVersion()).toBe(MIGRATIONS.length);
      upgraded.runs.delete([13]);
      expect(addRun(upgraded)).toBe(14);
    } finally {
      upgraded.close();
    }
  });
});

describe('a run end the database refuses to write (disk full)', () => {
  it('is shown by every read at once and written as soon as the database accepts writes again', () => {
    const id = addRun(store);
    store.transaction(() => store.runs.transition(id, 'running'));
    const db = (store as unknown as { db: Database.Database }).db;
    db.pragma('query_only = 1'); // every write refused, as on a full disk
    expect(() => store.endRun(id, 'failed', 'could not record progress: disk full')).toThrow(StoreError);
    expect(store.runs.get(id)!.status).toBe('failed');
    expect(store.runs.get(id)!.error).toBe('could not record progress: disk full');
    expect(store.runs.list().rows[0].status).toBe('failed');
    expect((db.prepare('SELECT status FROM runs WHERE id = ?').get(id) as { status: string }).status).toBe('running');
    expect(store.retryUnsavedEnds()).toBe(1);
    db.pragma('query_only = 0');
    expect(store.retryUnsavedEnds()).toBe(0);
    expect((db.prepare('SELECT status, error FROM runs WHERE id = ?').get(id) as { status: string; error: string })).toEqual({ status: 'failed', error: 'could not record progress: disk full' });
  });
});

describe('schema', () => {
  it('migrates a new file to the current version in WAL mode, and reopens without migrating again', () => {
    expect(store.schemaVersion()).toBe(MIGRATIONS.length);
    addRun(store);
    store.close();
    store = Store.open({ file: join(dir, 'db.sqlite') });
    expect(store.schemaVersion()).toBe(MIGRATIONS.length);
    expect(store.runs.list().total).toBe(1);
    expect(store.integrityCheck()).toBe('ok');
  });

  it('upgrades a version-1 database: every old run gets its experiment hash, indexed', () => {
    const file = join(dir, 'v1.sqlite');
    const v1 = new Database(file);
    v1.exec(MIGRATIONS[0] as string);
    v1.pragma('user_version = 1');
    const configs = [
      parseRunConfig({ seed: 0 }),
      parseRunConfig({ seed: 7, name: 'repeat' }),
      parseRunConfig({ seed: 0, optimizer: { lr: 0.5 } }),
    ];
    const insert = v1.prepare(
      `INSERT INTO runs (name, status, config_json, config_hash, dataset, arch, kernel, seed, search_text, created_at)
       VALUES (?, 'completed', ?, 'h', ?, ?, ?, ?, '', '2026-01-01T00:00:00.000Z')`,
    );
    for (const [i, c] of configs.entries()) insert.run(`old ${i}`, JSON.stringify(c), c.dataset.name, c.model.arch, c.model.kernel.type, c.seed);
    v1.close();

    const upgraded = Store.open({ file });
    try {
      expect(upgraded.schemaVersion()).toBe(MIGRATIONS.length);
      const rows = upgraded.runs.list({ sortBy: 'id', sortDir: 'asc' }).rows;
      expect(rows.map((r) => r.experimentHash)).toEqual(configs.map(experimentHash));
      // Seeds and names differ, the experiment does not; another learning rate is another experiment.
      expect(rows[0].experimentHash).toBe(rows[1].experimentHash);
      expect(rows[2].experimentHash).not.toBe(rows[0].experimentHash);
      expect(rows[0].experimentHash).toMatch(/^[0-9a-f]{64}$/);
      expect(upgraded.runs.list({ experimentHash: rows[0].experimentHash }).rows.map((r) => r.name).sort()).toEqual(['old 0', 'old 1']);
      // A run added after the upgrade joins the same experiment.
      const later = upgraded.runs.insert({ name: 'new', config: parseRunConfig({ seed: 3 }), configHash: 'h' });
      expect(upgraded.runs.get(later)!.experimentHash).toBe(rows[0].experimentHash);
    } finally {
      upgraded.close();
    }
    const check = new Database(file, { readonly: true });
    const plan = check.prepare(`EXPLAIN QUERY PLAN SELECT id FROM runs WHERE experiment_hash = ? ORDER BY id`).all('x') as { detail: string }[];
    // The artifacts table of version 1 (checkpoints live on disk only) is gone.
    const tables = check.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[];
    check.close();
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/runs_experiment/);
    expect(tables.map((t) => t.name)).toContain('runs');
    expect(tables.map((t) => t.name)).not.toContain('artifacts');
  });

  it('refuses a file that is not a database with a clear error', async () => {
    const { writeFileSync } = await import('node:fs');
    const file = join(dir, 'junk.sqlite');
    writeFileSync(file, 'this is not sqlite'.repeat(100));
    expect(() => Store.open({ file })).toThrow(/not a valid workbench database/);
  });
});

describe('run lifecycle', () => {
  it('allows exactly the documented transitions', () => {
    const allowed: [RunStatus, RunStatus][] = [
      ['queued', 'running'],
      ['queued', 'cancelled'],
      ['running', 'completed'],
      ['running', 'failed'],
      ['running', 'cancelled'],
      ['running', 'interrupted'],
      ['failed', 'queued'],
      ['cancelled', 'queued'],
      ['interrupted', 'queued'],
    ];
    const all: RunStatus[] = ['queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted'];
    for (const from of all) {
      for (const to of all) {
        expect(canTransition(from, to), `${from} → ${to}`).toBe(allowed.some(([a, b]) => a === from && b === to));
      }
    }
  });

  it('records timestamps, error and owner through queued → running → failed → queued → running → completed', () => {
    const id = addRun(store);
    expect(store.runs.get(id)!.status).toBe('queued');
    store.runs.transition(id, 'running');
    const running = store.runs.get(id)!;
    expect(running.startedAt).not.toBeNull();
    store.runs.transition(id, 'failed', { error: 'worker process was killed (SIGKILL) at step 3' });
    expect(store.runs.get(id)!.error).toMatch(/SIGKILL/);
    expect(store.runs.get(id)!.finishedAt).not.toBeNull();
    store.runs.transition(id, 'queued');
    expect(store.runs.get(id)!.error).toBeNull();
    expect(store.runs.queuedIds()).toEqual([id]);
    store.runs.transition(id, 'running');
    expect(store.runs.get(id)!.startedAt).toBe(running.startedAt);
    store.runs.transition(id, 'completed');
    expect(store.runs.get(id)!.status).toBe('completed');
    expect(() => store.runs.transition(id, 'queued')).toThrow(TransitionError);
    expect(() => store.runs.transition(id, 'queued')).toThrow(/Run \d+ is completed; it cannot become queued/);
  });

  it('marks runs of dead owners interrupted with the step they reached, and leaves live owners alone', () => {
    const mine = addRun(store);
    const other = addRun(store);
    store.runs.transition(mine, 'running');
    store.runs.transition(other, 'running');
    store.writeProgress(mine, [{ type: 'steps', steps: steps(1, 7, 1) }]);
    // `other` belongs to another live workbench process (here: our parent).
    new Database(join(dir, 'db.sqlite')).prepare('UPDATE runs SET owner_pid = ? WHERE id = ?').run(process.ppid, other);
    const interrupted = store.runs.interruptOrphans('the workbench process stopped', (pid) => pid === process.ppid);
    expect(interrupted).toEqual([mine]);
    expect(store.runs.get(mine)!.status).toBe('interrupted');
    expect(store.runs.get(mine)!.error).toBe('the workbench process stopped at step 7');
    expect(store.runs.get(other)!.status).toBe('running');
  });
});

describe('queue order', () => {
  it('keeps insertion order, and reorder puts the listed runs first', () => {
    const [a, b, c, d] = [addRun(store), addRun(store), addRun(store), addRun(store)];
    expect(store.runs.queuedIds()).toEqual([a, b, c, d]);
    store.runs.reorderQueue([d, b]);
    expect(store.runs.queuedIds()).toEqual([d, b, a, c]);
    store.runs.transition(a, 'cancelled');
    expect(store.runs.queuedIds()).toEqual([d, b, c]);
    expect(() => store.runs.reorderQueue([a])).toThrow(/Not queued: run\(s\) \d+/);
    // A resumed run goes to the back of the queue.
    store.runs.transition(a, 'queued');
    expect(store.runs.queuedIds()).toEqual([d, b, c, a]);
  });
});

describe('runs list', () => {
  it('filters by text, status and group, sorts with empty values last, and pages', () => {
    const group = store.runs.createGroup('ablation', 'sweep', null);
    const ids: number[] = [];
    for (let i = 0; i < 12; i++) {
      const kernel = i % 3 === 0 ? { type: 'polynomial' as const } : { type: 'linear' as const };
      const id = store.runs.insert({ name: `run_${i}`, config: parseRunConfig({ model: { kernel }, seed: i }), configHash: 'h', groupId: i < 6 ? group : null });
      ids.push(id);
      if (i < 8) {
        store.runs.transition(id, 'running');
        store.writeProgress(id, [{ type: 'epoch', metrics: epoch(1, 10, i / 10) }]);
        store.runs.transition(id, i % 2 === 0 ? 'completed' : 'failed');
      }
    }
    expect(store.runs.list({ search: 'polynomial' }).total).toBe(4);
    expect(store.runs.list({ search: 'POLY run_3' }).rows.map((r) => r.name)).toEqual(['run_3']);
    // LIKE wildcards in the search text are literal.
    expect(store.runs.list({ search: 'run%' }).total).toBe(0);
    expect(store.runs.list({ status: ['failed'] }).total).toBe(4);
    expect(store.runs.list({ status: ['queued', 'completed'] }).total).toBe(8);
    expect(store.runs.list({ groupId: group }).total).toBe(6);
    // Seeds differ, so only the kernel splits the runs into experiments; sorting by it keeps repeats together.
    const polynomial = store.runs.get(ids[0])!.experimentHash;
    expect(store.runs.list({ experimentHash: polynomial }).rows.map((r) => r.id).sort((a, b) => a - b)).toEqual([ids[0], ids[3], ids[6], ids[9]]);
    const byExperiment = store.runs.list({ sortBy: 'experimentHash', limit: 100 }).rows.map((r) => r.kernel);
    expect(byExperiment.join(' ')).toMatch(/^(polynomial ){4}(linear ?){8}$|^(linear ){8}(polynomial ?){4}$/);

    const byAcc = store.runs.list({ sortBy: 'bestValidationAccuracy', sortDir: 'desc', limit: 100 }).rows;
    expect(byAcc.slice(0, 8).map((r) => r.bestValidationAccuracy)).toEqual([0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0]);
    expect(byAcc.slice(8).every((r) => r.bestValidationAccuracy === null)).toBe(true);
    const ascending = store.runs.list({ sortBy: 'bestValidationAccuracy', sortDir: 'asc' }).rows;
    expect(ascending[0].bestValidationAccuracy).toBe(0);
    expect(ascending[ascending.length - 1].bestValidationAccuracy).toBeNull();

    const page1 = store.runs.list({ sortBy: 'id', sortDir: 'asc', limit: 5, offset: 0 });
    const page3 = store.runs.list({ sortBy: 'id', sortDir: 'asc', limit: 5, offset: 10 });
    expect(page1.rows.map((r) => r.id)).toEqual(ids.slice(0, 5));
    expect(page3.rows.map((r) => r.id)).toEqual(ids.slice(10));
    expect(page3.total).toBe(12);
  });

  it('updates name, tags and notes, and the search follows the new tags', () => {
    const id = addRun(store);
    store.runs.update(id, { name: 'baseline', tags: ['paper', 'fig-3'], notes: 'lr too high?' });
    const run = store.runs.get(id)!;
    expect([run.name, run.tags, run.notes]).toEqual(['baseline', ['paper', 'fig-3'], 'lr too high?']);
    expect(store.runs.list({ search: 'fig-3' }).rows.map((r) => r.id)).toEqual([id]);
  });
});

describe('progress', () => {
  const started: TrainProgress = {
    type: 'started',
    environment: { backend: 'wasm', device: 'cpu', threads: 2, parallel: 'data', tfjsVersion: '4.22.0', appVersion: '0.1.0', os: 'Linux', nodeVersion: '20' },
    dataset: { name: 'fashion-mnist', fingerprint: 'abc', inputShape: [28, 28, 1], classNames: ['a', 'b'], trainSize: 10, validationSize: 2, testSize: 2, mean: [0.2], std: [0.3] },
    parameterCount: 1234,
    stepsPerEpoch: 10,
    totalSteps: 20,
    startStep: 0,
    samples: [
      { sampleIndex: 0, datasetIndex: 5, label: 1, pngBase64: Buffer.from('png-0').toString('base64') },
      { sampleIndex: 1, datasetIndex: 9, label: 1, pngBase64: Buffer.from('png-1').toString('base64') },
    ],
  };

  it('writes a batch in one transaction and reads everything back', () => {
    const id = addRun(store, { seed: 7 });
    store.runs.transition(id, 'running');
    store.writeProgress(id, [
      started,
      { type: 'steps', steps: steps(1, 10, 1) },
      { type: 'epoch', metrics: epoch(1, 10, 0.75) },
      { type: 'checkpoint', epoch: 1, step: 10, path: '/x/step-00000010' },
      { type: 'log', level: 'warn', message: 'lr is high' },
    ]);
    const run = store.runs.get(id)!;
    expect([run.step, run.totalSteps, run.parameterCount, run.bestValidationAccuracy, run.durationMs]).toEqual([10, 20, 1234, 0.75, 100]);
    const env = store.runs.getEnvironment(id)!;
    expect(env.seed).toBe(7);
    expect(env.environment.tfjsVersion).toBe('4.22.0');
    // The thread layout is recorded with the thread count.
    expect([env.environment.threads, env.environment.parallel]).toEqual([2, 'data']);
    expect(env.dataset!.fingerprint).toBe('abc');
    const m = store.metrics.metrics(id);
    expect(m.steps.step).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(m.epochs[0].confusion).toEqual([
      [9, 1],
      [3, 7],
    ]);
    expect(m.epochs[0].samplePredictions.map((p) => p.sampleIndex)).toEqual([0, 1]);
    expect(store.metrics.samples(id).map((s) => Buffer.from(s.pngBase64, 'base64').toString())).toEqual(['png-0', 'png-1']);
    expect(store.metrics.predictionsAt(id, 1)).toEqual(new Map([[0, 1], [1, 0]]));
    // started, the epoch's line (issue 22), the run's own warning.
    const logs = store.runs.logs(id);
    expect(logs.map((l) => l.level)).toEqual(['info', 'info', 'warn']);
    expect(logs[1].message).toMatch(/^Epoch 1\/\d+: train loss /);
    expect(store.metrics.metrics(id, 8).steps.step).toEqual([9, 10]);
  });

  it('rolls a failing batch back entirely', () => {
    const id = addRun(store);
    store.writeProgress(id, [{ type: 'steps', steps: steps(1, 3, 1) }]);
    const bad = { type: 'epoch', metrics: { ...epoch(1, 3, 0.5), perClassAccuracy: undefined } } as unknown as TrainProgress;
    expect(() => store.writeProgress(id, [{ type: 'steps', steps: steps(4, 6, 1) }, bad])).toThrow();
    expect(store.metrics.lastStep(id)).toBe(3);
    expect(store.runs.get(id)!.step).toBe(3);
  });

  it('truncates steps, epochs and predictions after a step, and the best accuracy follows', () => {
    const id = addRun(store);
    store.writeProgress(id, [
      { type: 'steps', steps: steps(1, 10, 1) },
      { type: 'epoch', metrics: epoch(1, 10, 0.6) },
      { type: 'steps', steps: steps(11, 20, 2) },
      { type: 'epoch', metrics: epoch(2, 20, 0.8) },
      { type: 'steps', steps: steps(21, 24, 3) },
    ]);
    store.metrics.truncateAfter(id, 10);
    expect(store.metrics.lastStep(id)).toBe(10);
    expect(store.metrics.epochs(id).map((e) => e.epoch)).toEqual([1]);
    expect(store.metrics.epochNumbersWithPredictions(id)).toEqual([1]);
    expect(store.metrics.bestValidationAccuracy(id)).toBe(0.6);
  });

  it('deletes a run with all its rows', () => {
    const id = addRun(store);
    store.writeProgress(id, [started, { type: 'steps', steps: steps(1, 3, 1) }, { type: 'epoch', metrics: epoch(1, 3, 0.5) }]);
    store.runs.delete([id]);
    expect(store.runs.get(id)).toBeNull();
    expect(store.metrics.lastStep(id)).toBe(0);
    expect(store.metrics.samples(id)).toEqual([]);
    expect(store.runs.getEnvironment(id)).toBeNull();
  });
});

describe('storage failures', () => {
  it('reports a full disk (SQLITE_FULL) clearly and leaves a sound database with every earlier write', () => {
    store.close();
    const file = join(dir, 'small.sqlite');
    store = Store.open({ file });
    const id = addRun(store);
    store.writeProgress(id, [{ type: 'steps', steps: steps(1, 10, 1) }]);
    const pages = (store as unknown as { db: { pragma(s: string, o: object): number } }).db.pragma('page_count', { simple: true });
    store.close();
    store = Store.open({ file, maxPageCount: pages + 2 });
    let error: unknown;
    try {
      for (let i = 0; i < 200; i++) store.writeProgress(id, [{ type: 'steps', steps: steps(11 + i * 100, 110 + i * 100, 1) }]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('SQLITE_FULL');
    expect((error as Error).message).toMatch(/disk is full/);
    expect((error as Error).message).toContain(file);
    store.close();
    store = Store.open({ file });
    expect(store.integrityCheck()).toBe('ok');
    const last = store.metrics.lastStep(id);
    // Every batch is all-or-nothing: the series ends on a batch boundary.
    expect(last % 100).toBe(10);
    expect(store.metrics.steps(id).step).toEqual(Array.from({ length: last }, (_, i) => i + 1));
  });
});
