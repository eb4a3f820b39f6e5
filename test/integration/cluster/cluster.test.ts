// The cluster with real parts: private redis-server instances, real `kerv worker`
// processes on their own data folders, and a coordinating workbench whose SQLite
// must end up holding every run, complete, with contiguous curves.
import { checkpointsOnDisk } from '../../../src-main/service/checkpoints';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunStatus } from '../../../src-main/shared/api';
import type { Workbench } from '../../../src-main/service/workbench';
import { contiguous, openTestBench, tinyConfig, type TestBench } from '../service/helpers';
import { startRedis, startWorker, waitFor, type KervProcess, type RedisInstance } from './helpers';

const FINAL: RunStatus[] = ['completed', 'failed', 'cancelled', 'interrupted'];

async function settled(wb: Workbench, ids: number[]): Promise<Map<number, { status: RunStatus; error: string | null }>> {
  await waitFor(`runs ${ids.join(', ')} to finish`, () => ids.every((id) => FINAL.includes(wb.store.runs.get(id)!.status)), 240_000);
  return new Map(ids.map((id) => [id, { status: wb.store.runs.get(id)!.status, error: wb.store.runs.get(id)!.error }]));
}

function expectCompleteCurve(wb: Workbench, id: number): void {
  const run = wb.store.runs.get(id)!;
  const metrics = wb.store.metrics.metrics(id);
  expect(run.totalSteps).toBeGreaterThan(0);
  expect(metrics.steps.step).toHaveLength(run.totalSteps!);
  expect(contiguous(metrics.steps.step)).toBe(true);
  expect(metrics.epochs.map((e) => e.epoch)).toEqual(Array.from({ length: run.config.epochs }, (_, i) => i + 1));
  expect(run.testAccuracy).not.toBeNull();
}

describe('cluster: BullMQ on Redis, real workers', () => {
  let redis: RedisInstance;
  const processes: KervProcess[] = [];
  let bench: TestBench | null = null;

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    await bench?.dispose();
    bench = null;
    await Promise.all(processes.splice(0).map((p) => p.stop('SIGKILL')));
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  it('a 4-run sweep across a coordinator and two workers lands 4 complete runs in the coordinator’s SQLite', async () => {
    processes.push(await startWorker(redis.url, 'alpha'), await startWorker(redis.url, 'beta'));
    bench = await openTestBench({ redisUrl: redis.url, clusterLocalWorker: false });
    const wb = bench.wb;
    const { runIds } = await wb.invoke('sweeps:start', {
      base: tinyConfig() as never,
      grid: { 'model.kernel.type': ['linear', 'polynomial'] },
      repeats: 2,
      name: 'cluster sweep',
    });
    expect(runIds).toHaveLength(4);
    // Nothing trains in the coordinator's process: every run went through the queue.
    expect(bench.launcher.handles).toHaveLength(0);

    const outcome = await settled(wb, runIds);
    for (const id of runIds) expect(outcome.get(id), `run ${id}`).toEqual({ status: 'completed', error: null });
    const machines = new Set<string>();
    for (const id of runIds) {
      expectCompleteCurve(wb, id);
      const detail = await wb.invoke('runs:get', { id });
      expect(['alpha', 'beta']).toContain(detail.ranOn);
      machines.add(detail.ranOn!);
      expect(detail.environment?.backend).toBe('wasm');
      expect(wb.store.metrics.samples(id).length).toBeGreaterThan(0);
      // The checkpoint came back to the coordinator's own run folder.
      const checkpoints = checkpointsOnDisk(wb.paths.checkpointDir(id));
      expect(checkpoints.length).toBeGreaterThan(0);
      const home = bench.dir;
      expect(checkpoints.every((c) => c.path.startsWith(home))).toBe(true);
      expect(wb.store.runs.logs(id).some((l) => l.message.includes(`on worker ${detail.ranOn}`))).toBe(true);
    }
    expect([...machines].sort()).toEqual(['alpha', 'beta']);
    const status = await wb.invoke('cluster:status', undefined);
    expect(status.connected).toBe(true);
    expect(status.workers.map((w) => w.name).sort()).toEqual(['alpha', 'beta']);
  });
});
