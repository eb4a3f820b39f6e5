// ASHA sweeps through the service, as a user starts them (sweeps:start with
// asha): real training processes, real Fashion-MNIST, the queue at concurrency 1,
// so runs reach each rung in queue order and every verdict is known in advance.
import { afterEach, describe, expect, it } from 'vitest';
import { judgeRung } from '../../../src-main/service/asha';
import { decideRung } from '../../../src-main/shared/asha';
import { openTestBench, storeOf, tinyConfig, waitForStatus, type TestBench } from './helpers';

let bench: TestBench | undefined;
afterEach(async () => {
  await bench?.dispose();
  bench = undefined;
});

describe('an ASHA sweep on the local queue', () => {
  it('stops the runs below the cutoff at the rung, completed with their test result, and keeps its rung values across a restart', async () => {
    bench = await openTestBench({ concurrency: 1 });
    const { wb } = bench;
    // R = 3, r = 1, η = 3: one rung, at epoch 1. A rate that learns, then two too small to move
    // the weights in an epoch: the first run continues (nothing to compare with), the others
    // fall far below it.
    const { groupId, runIds } = await wb.invoke('sweeps:start', {
      base: tinyConfig({ epochs: 3 }) as never,
      grid: { 'optimizer.lr': [0.01, 1e-7, 2e-7] },
      name: 'asha sweep',
      asha: { minEpochs: 1 },
    });
    const [good, tiny1, tiny2] = runIds;
    for (const id of runIds) expect(await waitForStatus(wb, id, ['completed', 'failed'])).toBe('completed');

    const groups = await wb.invoke('groups:list', undefined);
    expect(groups.find((g) => g.id === groupId)!.asha).toEqual({ minEpochs: 1, eta: 3, metric: 'validationAccuracy' });
    const rungs = await wb.invoke('groups:rungs', { id: groupId });
    expect(rungs.map((r) => [r.runId, r.epoch, r.verdict, r.compared])).toEqual([
      [good, 1, 'continue', 0],
      [tiny1, 1, 'stop', 1],
      [tiny2, 1, 'stop', 2],
    ]);
    // Each verdict is the rule applied to the values recorded before it.
    rungs.forEach((r, i) => expect(decideRung(r.value, rungs.slice(0, i).map((e) => e.value!), { eta: 3, metric: 'validationAccuracy' })).toEqual({ stop: r.verdict === 'stop', cutoff: r.cutoff }));

    const detail = await wb.invoke('runs:get', { id: good });
    expect(detail.summary!.epochs).toBe(3);
    expect(detail.summary!.asha).toBeUndefined();
    for (const id of [tiny1, tiny2]) {
      const run = await wb.invoke('runs:get', { id });
      const rung = rungs.find((r) => r.runId === id)!;
      // Stopped after its first epoch, tested on those weights, and it says why.
      expect(run.summary).toMatchObject({ epochs: 1, asha: { metric: 'validationAccuracy', stoppedAtEpoch: 1, value: rung.value, cutoff: rung.cutoff, eta: 3 } });
      expect(run.testAccuracy).not.toBeNull();
      expect((await wb.invoke('runs:metrics', { id })).epochs.map((e) => e.epoch)).toEqual([1]);
      expect(run.step).toBeLessThan(run.totalSteps!);
      const log = (await wb.invoke('runs:log', { id })).map((l) => l.message);
      expect(log).toContainEqual(expect.stringMatching(/^ASHA rung at epoch 1: validation accuracy \d+\.\d\d% is below the rung's cutoff \d+\.\d\d% \(top 1\/3 of the runs so far\): stopped$/));
      expect(log).toContainEqual(expect.stringMatching(/^Stopped by ASHA at epoch 1 of 3 \(validation accuracy \d+\.\d\d% below the rung's cutoff \d+\.\d\d%; only the top 1\/3 of the sweep's runs go on\)\.$/));
    }

    // A restart keeps the rung values: a re-run of a stopped point joins the sweep and is judged against them again.
    const reopened = await bench.reopen();
    const { id: again } = await reopened.invoke('runs:rerun', { id: tiny1 });
    expect(await waitForStatus(reopened, again, ['completed', 'failed'])).toBe('completed');
    const last = (await reopened.invoke('groups:rungs', { id: groupId })).at(-1)!;
    expect(last).toMatchObject({ runId: again, epoch: 1, verdict: 'stop', compared: 3 });
    expect((await reopened.invoke('runs:get', { id: again })).summary!.epochs).toBe(1);
    // A verdict is given once per run and rung: asking again (a resumed run, a retried job) answers the same, whatever the value.
    expect(judgeRung(storeOf(reopened), tiny1, 1, 0.99)).toMatchObject({ epoch: 1, stop: true, value: rungs[1].value });
    expect(storeOf(reopened).asha.records(groupId)).toHaveLength(4);
  });
});
