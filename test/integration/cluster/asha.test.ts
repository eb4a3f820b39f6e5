// An ASHA sweep on the cluster, with real parts: a private redis-server, a real
// `kerv worker` and the coordinating workbench. The worker trains one run at a
// time, so runs reach the rung in queue order and every verdict is known. The
// coordinator decides each rung from the progress stream and the verdict
// travels back through Redis to the worker, which relays it to its training
// process; a run that waits at a rung while the coordinator is away gets its
// verdict when a coordinator returns.
import { afterAll, describe, expect, it } from 'vitest';
import type { RunStatus } from '../../../src-main/shared/api';
import { decodeEntry, runKeys } from '../../../src-main/service/cluster/protocol';
import { createRedisClient } from '../../../src-main/service/cluster/redis';
import { RunHold } from '../../hold';
import { openTestBench, storeOf, tinyConfig, type TestBench } from '../service/helpers';
import { startRedis, startWorker, waitFor, type KervProcess, type RedisInstance } from './helpers';

const FINAL: RunStatus[] = ['completed', 'failed', 'cancelled', 'interrupted'];

describe('an ASHA sweep on the cluster', () => {
  let redis: RedisInstance | null = null;
  let worker: KervProcess | null = null;
  let bench: TestBench | null = null;
  const hold = new RunHold();
  afterAll(async () => {
    hold.release();
    await bench?.dispose();
    await worker?.stop('SIGKILL');
    await redis?.dispose();
    hold.dispose();
  }, 300_000);

  it('the coordinator decides each rung and its verdict reaches the run on the worker, also after the coordinator was away', async () => {
    redis = await startRedis();
    worker = await startWorker(redis.url, 'delta', undefined, hold.env);
    bench = await openTestBench({ redisUrl: redis.url, clusterLocalWorker: false });
    const coordinator = storeOf(bench.wb).cluster.state('coordinator-id')!;
    const probe = createRedisClient(redis.url);
    await probe.connect();
    try {
      // Every run waits before its first step until the test lets it go.
      hold.at(0);
      const { groupId, runIds } = await bench.wb.invoke('sweeps:start', {
        base: tinyConfig({ epochs: 3 }) as never,
        grid: { 'optimizer.lr': [0.01, 1e-7, 2e-7] },
        asha: { minEpochs: 1 },
      });
      const [good, tiny1, tiny2] = runIds;
      const wb = bench.wb;
      const totalSteps = await waitFor('the first run to start on the worker', () => storeOf(wb).runs.get(good)!.totalSteps);
      const stepsPerEpoch = totalSteps / 3;
      // Held one step before the end of its first epoch, then the coordinator goes away.
      hold.at(stepsPerEpoch - 1);
      await waitFor('the run to reach the step before its rung', () => storeOf(wb).runs.get(good)!.step >= stepsPerEpoch - 1);
      await wb.close();
      hold.release();

      // The run ends its first epoch, asks for a verdict through the stream and waits: no coordinator reads it.
      const progress = runKeys(coordinator).progress;
      await waitFor('the rung entry in the progress stream', async () => {
        const entries = (await probe.call('XRANGE', progress, '-', '+')) as [string, string[]][];
        return entries.map(([, fields]) => decodeEntry(fields)).some((e) => e?.runId === good && e.message.kind === 'rung');
      });
      expect(Number(await probe.call('EXISTS', runKeys(coordinator).verdict(good, 1)))).toBe(0);

      // A coordinator returns: it ingests the epoch and the rung, decides, and the run trains on.
      const back = await bench.reopen();
      await waitFor('the sweep to finish', () => runIds.every((id) => FINAL.includes(storeOf(back).runs.get(id)!.status)), 240_000);
      for (const id of runIds) expect(storeOf(back).runs.get(id)!.status, `run ${id}`).toBe('completed');

      const rungs = await back.invoke('groups:rungs', { id: groupId });
      expect(rungs.map((r) => [r.runId, r.verdict, r.compared])).toEqual([
        [good, 'continue', 0],
        [tiny1, 'stop', 1],
        [tiny2, 'stop', 2],
      ]);
      expect((await back.invoke('runs:get', { id: good })).summary!.epochs).toBe(3);
      for (const id of [tiny1, tiny2]) {
        const run = await back.invoke('runs:get', { id });
        expect(run.ranOn).toBe('delta');
        expect(run.summary).toMatchObject({ epochs: 1, asha: { stoppedAtEpoch: 1, cutoff: rungs.find((r) => r.runId === id)!.cutoff } });
        expect((await back.invoke('runs:metrics', { id })).epochs.map((e) => e.epoch)).toEqual([1]);
      }
      const output = worker.output();
      expect(output).toContain(`run ${good} continues at its ASHA rung (epoch 1)`);
      expect(output).toContain(`run ${tiny1} stops at its ASHA rung (epoch 1)`);
    } finally {
      probe.disconnect();
    }
  }, 300_000);
});
