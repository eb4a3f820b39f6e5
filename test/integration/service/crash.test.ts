// Crash safety, by really killing processes: a worker killed mid-epoch, the
// service process itself killed mid-run, a read-only data folder, a full disk.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../../src-main/store/store';
import { RunHold } from '../../hold';
import { benchPerTest, contiguous, openTestBench, storeOf, tinyConfig, waitForStarted, waitForStatus, waitForStep } from './helpers';

const KERV = resolve('out/node/kerv.js');

const t = benchPerTest();
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) {
    spawnSync('chmod', ['-R', 'u+rwx', dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * The command as a user who is refused what file modes refuse. Root ignores
 * them (CAP_DAC_OVERRIDE), so as root the command loses that capability
 * (util-linux's setpriv) but stays root: it can still read a checkout that only
 * root may enter, such as one cloned into a `mktemp -d` folder.
 */
function withoutRootOverride(...command: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [command[0], command.slice(1)];
  return ['setpriv', ['--bounding-set', '-dac_override,-dac_read_search', '--', ...command]];
}

function tempDir(): string {
  const dir = mkdtempSync(join(os.tmpdir(), 'kerv-crash-'));
  dirs.push(dir);
  return dir;
}

describe('crash safety', () => {
  it('kill -9 of a worker mid-epoch fails that run with the reason, other runs go on, and it resumes with every step once', async () => {
    t.hold = new RunHold();
    t.bench = await openTestBench({ concurrency: 2, hold: t.hold });
    const { wb, launcher } = t.bench;
    // Both runs pause in the victim's epoch 2 (after its epoch 1 checkpoint): the kill lands mid-run.
    t.hold.at(0);
    const victim = (await wb.invoke('runs:start', { config: tinyConfig({ epochs: 3 }) })).id;
    const bystander = (await wb.invoke('runs:start', { config: tinyConfig({ seed: 1, epochs: 3 }) })).id;
    const heldAt = (await waitForStarted(t.bench, victim)).totalSteps / 3 + 3;
    t.hold.at(heldAt);
    await waitForStep(wb, victim, heldAt);
    // Queued first with two slots free, the victim got the first worker process.
    process.kill(launcher.handles[0].pid!, 'SIGKILL');

    expect(await waitForStatus(wb, victim, ['failed', 'completed'])).toBe('failed');
    const failed = await wb.invoke('runs:get', { id: victim });
    expect(failed.error).toBe(`worker process was killed (SIGKILL) at step ${heldAt}`);
    expect(failed.resumable).toBe(true);

    t.hold.release();
    expect(await waitForStatus(wb, bystander, ['completed', 'failed'])).toBe('completed');

    await wb.invoke('runs:resume', { id: victim });
    expect(await waitForStatus(wb, victim, ['completed', 'failed'])).toBe('completed');
    const detail = await wb.invoke('runs:get', { id: victim });
    const steps = (await wb.invoke('runs:metrics', { id: victim })).steps.step;
    expect(contiguous(steps)).toBe(true);
    expect(steps.length).toBe(detail.totalSteps);
  });

  it('kill -9 of the service process: running runs become interrupted, flushed data is kept, the file is sound, and they resume', async () => {
    const dir = tempDir();
    t.hold = new RunHold().at(0);
    const child = spawn(process.execPath, [KERV, 'sweep', '--data-dir', dir, '--arch', 'mlp', '--width', '0.25', '--train-subset', '500', '--test-subset', '200',
      '--batch-size', '64', '--epochs', '3', '--samples', '8', '--backend', 'wasm', '--grid', 'optimizer.lr=0.01'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...t.hold.env } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise((r) => child.on('exit', r));
    const query = <T,>(sql: string): T | undefined => {
      if (!existsSync(join(dir, 'workbench.sqlite'))) return undefined;
      const db = new Database(join(dir, 'workbench.sqlite'), { readonly: true, fileMustExist: true });
      try {
        return db.prepare(sql).get() as T | undefined;
      } finally {
        db.close();
      }
    };
    // Held at step 0 until its worker has said how long an epoch is; then held in epoch 2, after epoch 1's checkpoint.
    await expect.poll(() => query<{ n: number | null }>('SELECT total_steps AS n FROM runs WHERE id = 1')?.n ?? 0, { timeout: 300_000, interval: 100 }).toBeGreaterThan(0);
    const heldAt = query<{ n: number }>('SELECT total_steps AS n FROM runs WHERE id = 1')!.n / 3 + 3;
    t.hold.at(heldAt);
    const storedStep = () => query<{ s: number | null }>('SELECT max(step) AS s FROM step_metrics WHERE run_id = 1')?.s ?? 0;
    await expect.poll(storedStep, { timeout: 300_000, interval: 100 }).toBe(heldAt);
    await expect.poll(() => output).toContain('epoch 1/3');
    child.kill('SIGKILL');
    await exited;

    t.bench = await openTestBench({ startQueue: false, hold: t.hold }, dir);
    const { wb } = t.bench;
    expect(storeOf(wb).integrityCheck()).toBe('ok');
    expect(wb.recoveredRunIds).toEqual([1]);
    const run = await wb.invoke('runs:get', { id: 1 });
    expect(run.status).toBe('interrupted');
    expect(run.error).toMatch(/^the workbench process stopped while the run was training at step \d+$/);
    const metrics = await wb.invoke('runs:metrics', { id: 1 });
    expect(metrics.epochs.length).toBeGreaterThanOrEqual(1);
    expect(contiguous(metrics.steps.step)).toBe(true);
    expect(metrics.steps.step.length).toBe(run.step);
    expect(run.step).toBe(heldAt);
    expect(run.resumable).toBe(true);

    t.hold.release();
    await wb.invoke('runs:resume', { id: 1 });
    wb.startQueue();
    expect(await waitForStatus(wb, 1, ['completed', 'failed'])).toBe('completed');
    const after = await wb.invoke('runs:metrics', { id: 1 });
    expect(contiguous(after.steps.step)).toBe(true);
    expect(after.steps.step.length).toBe((await wb.invoke('runs:get', { id: 1 })).totalSteps);
  });

  it('a read-only data folder gives a clear error and leaves the database as it was', async () => {
    const dir = tempDir();
    const run = (...args: string[]) => spawnSync(...withoutRootOverride(process.execPath, KERV, ...args), { encoding: 'utf8' });

    const fresh = join(dir, 'fresh');
    mkdirSync(fresh);
    chmodSync(dir, 0o755);
    chmodSync(fresh, 0o555);
    const created = run('runs', 'list', '--data-dir', join(fresh, 'data'));
    expect(created.status).toBe(1);
    expect(created.stderr).toMatch(/Cannot create the data folder .*fresh\/data.*permission denied/i);

    // An existing workbench folder that became read-only.
    const existing = join(dir, 'existing');
    const setup = await openTestBench({ startQueue: false }, existing);
    await setup.wb.invoke('runs:start', { config: tinyConfig() });
    await setup.wb.close();
    spawnSync('chmod', ['-R', 'a-w,a+rX', existing]);
    const listed = run('runs', 'rm', '1', '--data-dir', existing);
    expect(listed.status).not.toBe(0);
    expect(listed.stderr).toMatch(/workbench database .*workbench\.sqlite.*not writable/);
    expect(listed.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace

    spawnSync('chmod', ['-R', 'u+w', existing]);
    const store = Store.open({ file: join(existing, 'workbench.sqlite') });
    expect(store.integrityCheck()).toBe('ok');
    expect(store.runs.list().total).toBe(1);
    store.close();
  });

  it('a database that refuses every write (disk full) still ends the run: failed at once for every reader, written when it can be', async () => {
    t.bench = await openTestBench();
    const { wb, launcher } = t.bench;
    const { id } = await wb.invoke('runs:start', { config: tinyConfig({ epochs: 2 }) });
    // The service handles its worker's messages one at a time: the query_only below is in
    // force before the next one (at the latest, the run's outcome) is written.
    await waitForStep(wb, id, 1);
    const db = (storeOf(wb) as unknown as { db: { pragma(s: string, o?: object): unknown; prepare(s: string): { get(...a: unknown[]): unknown } } }).db;
    const storedStatus = () => (db.prepare('SELECT status FROM runs WHERE id = ?').get(id) as { status: string }).status;
    db.pragma('query_only = 1'); // from now on every write fails, the run's end included
    const exited = new Promise<void>((resolveExit) => launcher.handles[0].onExit(() => resolveExit()));

    expect(await waitForStatus(wb, id, ['failed', 'completed'])).toBe('failed');
    await exited; // no worker left behind
    const run = await wb.invoke('runs:get', { id });
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/could not record progress: .*workbench database/);
    expect((await wb.invoke('runs:list', {})).rows.find((r) => r.id === id)!.status).toBe('failed');
    expect(storedStatus()).toBe('running'); // not written yet: the disk is still "full"

    db.pragma('query_only = 0'); // space freed
    await expect.poll(storedStatus, { timeout: 60_000, interval: 200 }).toBe('failed');
    await t.bench.reopen({ startQueue: false });
    expect(t.bench.wb.recoveredRunIds).toEqual([]);
    expect(storeOf(t.bench.wb).runs.get(id)!.error).toMatch(/could not record progress/);
  });

  it('a full disk fails the run with a clear reason and no corrupted database', async () => {
    const dir = tempDir();
    // Measure an empty database, then cap it a few pages above: a run's metrics cannot fit.
    Store.open({ file: join(dir, 'workbench.sqlite') }).close();
    const probe = Store.open({ file: join(dir, 'workbench.sqlite') });
    const pages = (probe as unknown as { db: { pragma(s: string, o: object): number } }).db.pragma('page_count', { simple: true });
    probe.close();
    t.bench = await openTestBench({ maxPageCount: pages + 3 }, dir);
    const { wb } = t.bench;
    const { id } = await wb.invoke('runs:start', { config: tinyConfig({ epochs: 2, sampleCount: 64 }) });
    expect(await waitForStatus(wb, id, ['failed', 'completed'])).toBe('failed');
    const run = storeOf(wb).runs.get(id)!;
    expect(run.error).toMatch(/could not record progress: .*disk is full/);
    await t.bench.reopen({ maxPageCount: undefined });
    expect(storeOf(t.bench.wb).integrityCheck()).toBe('ok');
    expect(storeOf(t.bench.wb).runs.get(id)!.status).toBe('failed');
  });
});
