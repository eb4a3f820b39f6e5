// ASHA rungs in train(): after a rung epoch the run asks its referee and waits;
// a stop ends it 'completed' there (test set on its weights, summary.asha), a
// cancel during the wait ends it like a cancel at the epoch's end, and a resumed
// run whose verdict never came asks again before it trains on. The referee here
// stands in for the service (service/asha.ts decides; test/integration covers it).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RungReferee } from '../../../../src-main/engine/train/rungs';
import { train } from '../../../../src-main/engine/train/train';
import type { RungPlan, RungVerdict } from '../../../../src-main/shared/asha';
import type { TrainOutcome, TrainProgress } from '../../../../src-main/shared/progress';
import { parseRunConfig, type RunConfigInput } from '../../../../src-main/shared/run-config';

const tmp = mkdtempSync(join(os.tmpdir(), 'kerv-rungs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A quarter-width MLP on 480 images: 7 steps an epoch. */
const config = (overrides: RunConfigInput = {}) =>
  parseRunConfig({
    seed: 5,
    backend: 'wasm',
    threads: 1,
    sampleCount: 0,
    model: { arch: 'mlp', widthMultiplier: 0.25 },
    optimizer: { type: 'adam', lr: 0.003 },
    dataset: { name: 'fashion-mnist', trainSubset: 480, testSubset: 100 },
    epochs: 3,
    ...overrides,
  });

/** A referee that records what it was asked and answers with `answer` (a promise that may never settle). */
function referee(plan: RungPlan, answer: (epoch: number, value: number | null) => Promise<RungVerdict | null>) {
  const asked: { epoch: number; value: number | null }[] = [];
  const r: RungReferee = {
    plan,
    ask: (epoch, value) => {
      asked.push({ epoch, value });
      return answer(epoch, value);
    },
  };
  return { referee: r, asked };
}

async function run(cfg: ReturnType<typeof config>, rungs: RungReferee, options: { checkpointDir?: string; resumeFrom?: string; signal?: AbortSignal } = {}) {
  const events: TrainProgress[] = [];
  const outcome: TrainOutcome = await train(cfg, {
    cacheDir: join(tmp, 'cache'),
    checkpointDir: options.checkpointDir ?? join(tmp, `ckpt-${Math.random()}`),
    resumeFrom: options.resumeFrom,
    signal: options.signal,
    rungs,
    onProgress: (p) => events.push(p),
  });
  return {
    outcome,
    epochs: events.flatMap((e) => (e.type === 'epoch' ? [e.metrics] : [])),
    logs: events.flatMap((e) => (e.type === 'log' ? [e.message] : [])),
  };
}

describe('train() at ASHA rungs', () => {
  it('asks after each rung epoch with the rung metric, trains on after a continue, and ends completed at the rung after a stop', async () => {
    const plan: RungPlan = { epochs: [1, 2], metric: 'validationLoss' };
    const going = referee(plan, async (epoch, value) => ({ epoch, stop: false, value, cutoff: 9, eta: 2 }));
    const full = await run(config(), going.referee);
    expect(full.outcome.status).toBe('completed');
    expect(full.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    // Epoch 3 is R, no rung: asked twice, each time with that epoch's validation loss.
    expect(going.asked).toEqual(full.epochs.slice(0, 2).map((e) => ({ epoch: e.epoch, value: e.validationLoss })));
    if (full.outcome.status === 'completed') expect(full.outcome.summary.asha).toBeUndefined();

    const stopping = referee(plan, async (epoch, value) => ({ epoch, stop: true, value, cutoff: 0.123, eta: 2 }));
    const stopped = await run(config(), stopping.referee);
    expect(stopped.epochs.map((e) => e.epoch)).toEqual([1]);
    expect(stopped.outcome.status).toBe('completed');
    if (stopped.outcome.status !== 'completed') return;
    const value = stopped.epochs[0].validationLoss;
    expect(stopped.outcome.summary).toMatchObject({ epochs: 1, asha: { metric: 'validationLoss', stoppedAtEpoch: 1, value, cutoff: 0.123, eta: 2 } });
    expect(stopped.logs).toContain(`Stopped by ASHA at epoch 1 of 3 (validation loss ${value!.toFixed(4)} above the rung's cutoff 0.1230; only the top 1/2 of the sweep's runs go on).`);
    // The test set was evaluated, on the weights it stopped with.
    expect(stopped.outcome.summary.testAccuracy).not.toBeNull();
  });

  it('a cancel while it waits ends the run at the rung with its checkpoint; resumed, it asks about that rung again before training on', async () => {
    const checkpointDir = join(tmp, 'ckpt-cancelled');
    const controller = new AbortController();
    const plan: RungPlan = { epochs: [1], metric: 'validationAccuracy' };
    // The verdict never comes: the user cancels while the run waits for it.
    const silent = referee(plan, () => {
      controller.abort();
      return new Promise(() => {});
    });
    const cancelled = await run(config(), silent.referee, { checkpointDir, signal: controller.signal });
    expect(cancelled.outcome).toMatchObject({ status: 'cancelled', epoch: 1 });
    expect(cancelled.logs.at(-1)).toMatch(/^Stopped at the end of epoch 1 /);

    const answering = referee(plan, async (epoch, value) => ({ epoch, stop: true, value, cutoff: 0.99, eta: 3 }));
    const resumed = await run(config(), answering.referee, { checkpointDir, resumeFrom: checkpointDir });
    // Asked with the value epoch 1 recorded before the cancel, and stopped without training another epoch.
    expect(answering.asked).toEqual([{ epoch: 1, value: cancelled.epochs[0].validationAccuracy }]);
    expect(resumed.epochs).toEqual([]);
    expect(resumed.outcome).toMatchObject({ status: 'completed', summary: { epochs: 1, asha: { stoppedAtEpoch: 1, cutoff: 0.99 } } });
  });

  it('trains on, saying so, when no verdict comes in time', async () => {
    const late = referee({ epochs: [1], metric: 'validationAccuracy' }, async () => null);
    const result = await run(config({ epochs: 2 }), late.referee);
    expect(result.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(result.logs).toContain('ASHA rung at epoch 1: no verdict came from the workbench; the run trains on.');
  });
});
