// The cluster with real parts: private redis-server instances, real `kerv worker`
// processes on their own data folders, and a coordinating workbench whose SQLite
// must end up holding every run, complete, with contiguous curves.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointsOnDisk } from '../../../src-main/engine/train/checkpoint-folders';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunStatus } from '../../../src-main/shared/api';
import { decodeEntry } from '../../../src-main/service/cluster/protocol';
import { createRedisClient } from '../../../src-main/service/cluster/redis';
import type { Workbench } from '../../../src-main/service/workbench';
import { Store } from '../../../src-main/store/store';
import { RunHold } from '../../hold';
import { contiguous, openTestBench, storeOf, tinyConfig, type TestBench } from '../service/helpers';
import { spawnKerv, startRedis, startWorker, tempDir, waitFor, type KervProcess, type RedisInstance } from './helpers';

const FINAL: RunStatus[] = ['completed', 'failed', 'cancelled', 'interrupted'];

async function settled(wb: Workbench, ids: number[]): Promise<Map<number, { status: RunStatus; error: string | null }>> {
  await waitFor(`runs ${ids.join(', ')} to finish`, () => ids.every((id) => FINAL.includes(storeOf(wb).runs.get(id)!.status)), 240_000);
  return new Map(ids.map((id) => [id, { status: storeOf(wb).runs.get(id)!.status, error: storeOf(wb).runs.get(id)!.error }]));
}

/** Three epochs of 8 steps: a fault is made to hit it mid-epoch by holding it there (test/hold.ts). */
function longerConfig() {
  return tinyConfig({ epochs: 3 });
}

/** Waits until the run's recorded step (in the coordinator's store) is at least `step`. */
async function stepReached(wb: Workbench, id: number, step: number): Promise<void> {
  await waitFor(`run ${id} to reach step ${step}`, () => (storeOf(wb).runs.get(id)!.step ?? 0) >= step);
}

function expectCompleteCurve(store: Store, id: number): void {
  const run = store.runs.get(id)!;
  const metrics = store.metrics.metrics(id);
  expect(run.totalSteps).toBeGreaterThan(0);
  expect(metrics.steps.step).toHaveLength(run.totalSteps!);
  expect(contiguous(metrics.steps.step)).toBe(true);
  expect(metrics.epochs.map((e) => e.epoch)).toEqual(Array.from({ length: run.config.epochs }, (_, i) => i + 1));
  expect(run.testAccuracy).not.toBeNull();
}

describe('cluster: BullMQ on Redis, real workers', () => {
  // One Redis (persistent, as a deployment runs it) and two workers shared by the tests; a test that kills one gets it back.
  let redis: RedisInstance;
  const workers: Record<'alpha' | 'beta', KervProcess | null> = { alpha: null, beta: null };
  const processes: KervProcess[] = [];
  let bench: TestBench | null = null;
  // Every worker's training processes obey it: a test that must hit a run mid-training holds it there first.
  const hold = new RunHold();

  async function ensureWorkers(): Promise<void> {
    for (const name of ['alpha', 'beta'] as const) {
      const w = workers[name];
      if (!w || w.child.exitCode !== null || w.child.signalCode !== null) workers[name] = await startWorker(redis.url, name, undefined, hold.env);
    }
  }

  /** A run on the shared Redis's workers, held at step 5: the test acts while it is training. */
  async function remoteRunHeldAtStep5() {
    await ensureWorkers();
    bench = await openTestBench({ redisUrl: redis.url, clusterLocalWorker: false });
    const wb = bench.wb;
    hold.at(5);
    const { id } = await wb.invoke('runs:start', { config: longerConfig() as never });
    await stepReached(wb, id, 5);
    return { wb, id };
  }

  beforeAll(async () => {
    redis = await startRedis({ persistent: true });
  });
  afterEach(async () => {
    hold.release();
    await bench?.dispose();
    bench = null;
    await Promise.all(processes.splice(0).map((p) => p.stop('SIGKILL')));
  });
  afterAll(async () => {
    await Promise.all(Object.values(workers).map((w) => w?.stop('SIGKILL')));
    await redis?.dispose();
    hold.dispose();
  }, 300_000);

  it('a 4-run sweep across a coordinator and two workers lands 4 complete runs in the coordinator’s SQLite', async () => {
    await ensureWorkers();
    bench = await openTestBench({ redisUrl: redis.url, clusterLocalWorker: false });
    const wb = bench.wb;
    // Each worker trains one run at a time: with every run held at its first step, two
    // runs training means both workers took one, however fast either of them is.
    hold.at(1);
    const { runIds } = await wb.invoke('sweeps:start', {
      base: tinyConfig() as never,
      grid: { 'model.kernel.type': ['linear', 'polynomial'] },
      repeats: 2,
      name: 'cluster sweep',
    });
    expect(runIds).toHaveLength(4);
    // Nothing trains in the coordinator's process: every run went through the queue.
    expect(bench.launcher.handles).toHaveLength(0);
    await waitFor('both workers to train a run', () => runIds.filter((id) => storeOf(wb).runs.get(id)!.step >= 1).length === 2);
    hold.release();

    const outcome = await settled(wb, runIds);
    for (const id of runIds) expect(outcome.get(id), `run ${id}`).toEqual({ status: 'completed', error: null });
    const machines = new Set<string>();
    for (const id of runIds) {
      expectCompleteCurve(storeOf(wb), id);
      const detail = await wb.invoke('runs:get', { id });
      expect(['alpha', 'beta']).toContain(detail.ranOn);
      machines.add(detail.ranOn!);
      expect(detail.environment?.backend).toBe('wasm');
      expect(storeOf(wb).metrics.samples(id).length).toBeGreaterThan(0);
      // The checkpoint came back to the coordinator's own run folder.
      const checkpoints = checkpointsOnDisk(wb.paths.checkpointDir(id));
      expect(checkpoints.length).toBeGreaterThan(0);
      const home = bench.dir;
      expect(checkpoints.every((c) => c.path.startsWith(home))).toBe(true);
      expect(storeOf(wb).runs.logs(id).some((l) => l.message.includes(`on worker ${detail.ranOn}`))).toBe(true);
    }
    expect([...machines].sort()).toEqual(['alpha', 'beta']);
    const status = await wb.invoke('cluster:status', undefined);
    expect(status.connected).toBe(true);
    expect(status.workers.map((w) => w.name).sort()).toEqual(['alpha', 'beta']);
  }, 300_000);

  it('kill -9 of a worker mid-run: the run continues on the other worker from its last checkpoint, with no step missing or doubled', async () => {
    await ensureWorkers();
    bench = await openTestBench({ redisUrl: redis.url, clusterLocalWorker: false });
    const wb = bench.wb;
    // Held in the middle of the second epoch, past the first epoch's checkpoint (which reached the coordinator).
    hold.at(0);
    const { id } = await wb.invoke('runs:start', { config: longerConfig() as never });
    const total = await waitFor('the run to start on a worker', () => storeOf(wb).runs.get(id)!.totalSteps);
    const stepAtKill = total / 3 + 3;
    hold.at(stepAtKill);
    await stepReached(wb, id, stepAtKill);
    const checkpoint = await waitFor('the first checkpoint to reach the coordinator', () => checkpointsOnDisk(wb.paths.checkpointDir(id)).at(-1) ?? null);
    const first = storeOf(wb).cluster.worker(id) as 'alpha' | 'beta';
    const other = first === 'alpha' ? 'beta' : 'alpha';
    workers[first]!.child.kill('SIGKILL');
    hold.release();

    const outcome = await settled(wb, [id]);
    expect(outcome.get(id)).toEqual({ status: 'completed', error: null });
    expectCompleteCurve(storeOf(wb), id);
    expect(storeOf(wb).cluster.worker(id)).toBe(other);
    const logs = storeOf(wb).runs.logs(id).map((l) => l.message);
    const resumedAt = logs.map((m) => new RegExp(`continues on worker ${other} from the checkpoint at step (\\d+)`).exec(m)).find(Boolean);
    expect(resumedAt, logs.join('\n')).toBeTruthy();
    // It resumed from a checkpoint behind the step where the first worker died: that stretch was trained again, once.
    expect(Number(resumedAt![1])).toBeGreaterThanOrEqual(checkpoint.step);
    expect(Number(resumedAt![1])).toBeLessThan(stepAtKill);
  }, 300_000);

  it('Redis restarted mid-run: worker and coordinator reconnect and nothing is lost', async () => {
    const { wb, id } = await remoteRunHeldAtStep5();
    await redis.stop();
    try {
      await waitFor('the coordinator to notice', async () => !(await wb.invoke('cluster:status', undefined)).connected);
    } finally {
      await redis.start(); // the later tests share this server
    }
    hold.release();
    const outcome = await settled(wb, [id]);
    expect(outcome.get(id)).toEqual({ status: 'completed', error: null });
    expectCompleteCurve(storeOf(wb), id);
    expect((await wb.invoke('cluster:status', undefined)).connected).toBe(true);
  }, 300_000);

  it('cancel from the workbench reaches the remote worker; a worker refuses a run whose dataset fingerprint differs; a Redis that lost its data leaves runs resumable', async () => {
    // Its own Redis: the run must wait in the queue with no worker up.
    const own = await startRedis();
    bench = await openTestBench({ redisUrl: own.url, clusterLocalWorker: false });
    const wb = bench.wb;
    const probe = createRedisClient(own.url);
    await probe.connect();
    try {
      // Handed over while no worker is up; then Redis says the run trained on other data.
      const refused = (await wb.invoke('runs:start', { config: tinyConfig() as never })).id;
      const cid = storeOf(wb).cluster.state('coordinator-id');
      await waitFor('the job in the queue', async () => Number(await probe.call('EXISTS', `bull:kerv-runs:${cid}-run-${refused}-d1`)) === 1);
      await probe.call('SET', `kerv:${cid}:run:${refused}:fingerprint`, 'not-the-same-data');
      const worker = await startWorker(own.url, 'gamma', undefined, hold.env);
      processes.push(worker);
      await settled(wb, [refused]);
      const run = storeOf(wb).runs.get(refused)!;
      expect(run.status).toBe('failed');
      expect(run.error).toMatch(/worker gamma refused run \d+: its fashion-mnist data has fingerprint \w+, but the run trained on data with fingerprint not-the-same-data/);
      expect(storeOf(wb).metrics.metrics(refused).steps.step).toHaveLength(0);

      // Held at step 5 from here on: the cancel and the Redis restart below hit runs that are training.
      hold.at(5);
      const { id } = await wb.invoke('runs:start', { config: longerConfig() as never });
      await stepReached(wb, id, 5);
      await wb.invoke('runs:cancel', { id });
      await settled(wb, [id]);
      expect(storeOf(wb).runs.get(id)!.status).toBe('cancelled');
      expect(storeOf(wb).runs.get(id)!.step).toBeLessThan(storeOf(wb).runs.get(id)!.totalSteps!);
      await waitFor('the worker to say so', () => worker.output().includes(`run ${id} cancelled by the coordinator`));

      // This Redis keeps nothing on disk: restarted, it forgets the job of a training run. The run becomes resumable, not stuck.
      const lost = (await wb.invoke('runs:start', { config: longerConfig() as never })).id;
      await stepReached(wb, lost, 5);
      await own.stop();
      await own.start();
      await settled(wb, [lost]);
      expect(storeOf(wb).runs.get(lost)!.status).toBe('interrupted');
      expect(storeOf(wb).runs.get(lost)!.error).toMatch(/Redis no longer holds this run's job .*resume the run/);
    } finally {
      probe.disconnect();
      await bench.dispose();
      bench = null;
      await own.dispose();
    }
  }, 300_000);

  it('a Redis that stops answering: the cluster status says so within seconds, and connected again once it answers', async () => {
    // Its own Redis, paused with SIGSTOP: its sockets stay open, so the client cannot see it go and queues
    // its commands (BullMQ's connections retry forever). Before, cluster:status, and the Workers screen, waited
    // for it forever; a Redis that dies before the client sees its socket close is the same race, under load.
    const own = await startRedis();
    try {
      bench = await openTestBench({ redisUrl: own.url, clusterLocalWorker: false });
      const wb = bench.wb;
      await waitFor('the coordinator to connect', async () => (await wb.invoke('cluster:status', undefined)).connected);
      own.signal('SIGSTOP');
      const status = await wb.invoke('cluster:status', undefined);
      expect(status).toMatchObject({ connected: false, workers: [] });
      expect(status.error).toMatch(/^Redis at redis:\/\/127\.0\.0\.1:\d+ gave no answer within 3 s$/);
      own.signal('SIGCONT');
      await waitFor('the status to say connected again', async () => (await wb.invoke('cluster:status', undefined)).connected);
    } finally {
      own.signal('SIGCONT');
      await bench?.dispose();
      bench = null;
      await own.dispose();
    }
  }, 300_000);

  it('a coordinator database that refuses every write (disk full) still ends a remote run: failed at once for every reader, its worker stopped, written when it can be', async () => {
    const { wb, id } = await remoteRunHeldAtStep5();
    const db = (storeOf(wb) as unknown as { db: { pragma(s: string): unknown; prepare(s: string): { get(...a: unknown[]): unknown } } }).db;
    const storedStatus = () => (db.prepare('SELECT status FROM runs WHERE id = ?').get(id) as { status: string }).status;
    db.pragma('query_only = 1'); // from now on every write fails: the worker's next progress, and the run's end
    hold.release();

    expect((await settled(wb, [id])).get(id)!.status).toBe('failed');
    const run = await wb.invoke('runs:get', { id });
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/could not record progress: .*workbench database/);
    expect((await wb.invoke('runs:list', {})).rows.find((r) => r.id === id)!.status).toBe('failed');
    expect(storedStatus()).toBe('running'); // not written yet: the disk is still "full"
    // It does not go on training unrecorded.
    await waitFor('its worker to stop it', () => Object.values(workers).some((w) => w?.output().includes(`run ${id} cancelled by the coordinator`)));

    db.pragma('query_only = 0'); // space freed
    await waitFor('the end to be written', () => storedStatus() === 'failed');
    // The batch it could not write is read again: the cluster lets go of the run, and the workbench is idle.
    await waitFor('the cluster to let go of the run', () => !storeOf(wb).cluster.get(id)?.open);
    await wb.whenIdle();
    expect(storeOf(wb).runs.get(id)!.error).toMatch(/could not record progress/);
  }, 300_000);

  it('wrong password and unreachable Redis: clear errors, and the workbench trains locally', async () => {
    const guarded = await startRedis({ password: 'right-password' });
    try {
      const wrong = guarded.url.replace('right-password', 'wrong-password');
      bench = await openTestBench({ redisUrl: wrong });
      const status = await bench.wb.invoke('cluster:status', undefined);
      expect(status.connected).toBe(false);
      expect(status.redisUrl).not.toContain('wrong-password');
      expect(status.error).toMatch(/refused the credentials.*WRONGPASS.*Check the user name and password/);
      const { id } = await bench.wb.invoke('runs:start', { config: tinyConfig() as never });
      expect((await settled(bench.wb, [id])).get(id)!.status).toBe('completed');
      expect(bench.launcher.handles).toHaveLength(1);

      const noPassword = spawnKerv(['worker', '--redis', guarded.url.replace(':right-password@', '')], tempDir('kerv-worker-'));
      expect(await noPassword.exited).toBe(1);
      expect(noPassword.output()).toMatch(/requires a password/);
      rmSync(noPassword.dataDir, { recursive: true, force: true });
    } finally {
      await guarded.dispose();
    }
    const closedPort = guarded.port;
    const unreachable = spawnKerv(['worker', '--redis', `redis://127.0.0.1:${closedPort}`], tempDir('kerv-worker-'));
    expect(await unreachable.exited).toBe(1);
    expect(unreachable.output()).toMatch(new RegExp(`Cannot reach Redis at redis://127.0.0.1:${closedPort}: connection refused`));
    rmSync(unreachable.dataDir, { recursive: true, force: true });
  }, 300_000);

  it('coordinator killed (kill -9) mid-sweep: the workers go on, and a restarted coordinator ingests everything', async () => {
    const dataDir = tempDir('kerv-coordinator-');
    const base = join(dataDir, 'base.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(base, JSON.stringify(tinyConfig({ epochs: 2 })));
    const queue = spawnKerv(['sweep', '--base', base, '--grid', 'model.kernel.type=linear,polynomial', '--repeats', '2', '--detach'], dataDir);
    expect(await queue.exited, queue.output()).toBe(0);
    await ensureWorkers();
    // Two runs train (one per worker) and are held at step 5 when the coordinator dies.
    hold.at(5);
    const serveArgs = ['serve', '--port', '0', '--redis', redis.url, '--no-local-worker', '--token=cluster-test-token-0123456789'];
    let coordinator = spawnKerv(serveArgs, dataDir);
    processes.push(coordinator);
    const store = Store.open({ file: join(dataDir, 'workbench.sqlite') });
    const probe = createRedisClient(redis.url);
    await probe.connect();
    try {
      const ids = store.runs.idsWithStatus('queued');
      expect(ids).toHaveLength(4);
      await waitFor('two runs to train', () => ids.filter((id) => store.runs.get(id)!.step >= 5).length === 2);
      const cid = store.cluster.state('coordinator-id');
      await waitFor('all four runs handed to the queue', async () => {
        const exists = await Promise.all(ids.map((id) => probe.call('EXISTS', `bull:kerv-runs:${cid}-run-${id}-d1`)));
        return exists.every((n) => Number(n) === 1);
      });
      coordinator.child.kill('SIGKILL');
      await coordinator.exited;
      hold.release();
      // The workers train every run to its end and report it while no coordinator reads.
      const stream = `kerv:${cid}:progress`;
      const finishedInRedis = async () => {
        const entries = (await probe.call('XRANGE', stream, '-', '+')) as [string, string[]][];
        return new Set(entries.map(([, fields]) => decodeEntry(fields)).filter((e) => e?.message.kind === 'outcome').map((e) => e!.runId));
      };
      await waitFor('every run to finish on the workers', async () => (await finishedInRedis()).size === 4, 240_000);
      expect([...(await finishedInRedis())].sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
      coordinator = spawnKerv(serveArgs, dataDir);
      processes.push(coordinator);
      await waitFor('all four runs to finish', () => ids.every((id) => FINAL.includes(store.runs.get(id)!.status)), 240_000);
      for (const id of ids) {
        expect({ id, status: store.runs.get(id)!.status, error: store.runs.get(id)!.error }).toEqual({ id, status: 'completed', error: null });
        expectCompleteCurve(store, id);
      }
    } finally {
      probe.disconnect();
      store.close();
      await coordinator.stop('SIGINT');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 300_000);
});
