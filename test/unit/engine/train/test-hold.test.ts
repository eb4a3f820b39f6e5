// The training hold the integration and e2e tests rely on (engine/train/test-hold.ts):
// a run pauses at the step the hold file names, trains on when the number is
// raised, finishes when the file goes, and a cancel ends the pause like any step.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_HOLD_ENV } from '../../../../src-main/engine/train/test-hold';
import { train } from '../../../../src-main/engine/train/train';
import type { TrainOutcome, TrainProgress } from '../../../../src-main/shared/progress';
import { parseRunConfig } from '../../../../src-main/shared/run-config';
import { RunHold } from '../../../hold';

const tmp = mkdtempSync(join(os.tmpdir(), 'kerv-hold-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let hold: RunHold;
beforeEach(() => {
  hold = new RunHold();
  process.env[TEST_HOLD_ENV] = hold.file;
});
afterEach(() => {
  delete process.env[TEST_HOLD_ENV];
  hold.dispose();
});

/** 6 steps of 16 images (a quarter-width MLP, wasm), and what it reported. */
function start(signal?: AbortSignal) {
  const events: TrainProgress[] = [];
  const config = parseRunConfig({
    backend: 'wasm',
    epochs: 2,
    batchSize: 16,
    sampleCount: 4,
    model: { arch: 'mlp', widthMultiplier: 0.25 },
    dataset: { name: 'fashion-mnist', trainSubset: 48, testSubset: 32, validationFraction: 0 },
  });
  const outcome: Promise<TrainOutcome> = train(config, { cacheDir: join(tmp, 'cache'), signal, progressIntervalMs: 60_000, onProgress: (p) => events.push(p) });
  const steps = () => events.flatMap((e) => (e.type === 'steps' ? e.steps.map((s) => s.step) : []));
  const pauses = () => events.filter((e) => e.type === 'log' && e.message.startsWith('Paused before step')).length;
  return { events, outcome, steps, pauses };
}

describe('the test hold', () => {
  it('pauses a run at the step it names, reports the steps so far, trains on when raised, and finishes when released', async () => {
    hold.at(2);
    const run = start();
    await expect.poll(run.pauses).toBe(1);
    // Reported at the pause, though the progress interval (60 s) has not come round.
    expect(run.steps()).toEqual([1, 2]);
    expect(run.events.find((e) => e.type === 'log' && e.message.startsWith('Paused'))).toMatchObject({ message: `Paused before step 3: ${TEST_HOLD_ENV} holds runs at step 2.` });

    hold.at(4); // past the end of epoch 1 (3 steps)
    await expect.poll(run.pauses).toBe(2);
    expect(run.steps()).toEqual([1, 2, 3, 4]);
    expect(run.events.filter((e) => e.type === 'epoch')).toHaveLength(1);

    hold.release();
    const outcome = await run.outcome;
    expect(outcome.status).toBe('completed');
    expect(run.steps()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('a run cancelled while paused stops there, at that step', async () => {
    hold.at(1);
    const controller = new AbortController();
    const run = start(controller.signal);
    await expect.poll(run.pauses).toBe(1);
    controller.abort();
    const outcome = await run.outcome;
    expect(outcome).toMatchObject({ status: 'cancelled', step: 1 });
    expect(run.steps()).toEqual([1]);
  });
});
