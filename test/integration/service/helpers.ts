// Shared by the service integration tests: a workbench on a temporary data
// folder, training tiny real runs in real worker processes.
import { mkdtempSync, rmSync } from 'node:fs';
import { afterEach } from 'vitest';
import os from 'node:os';
import { join } from 'node:path';
import { API_EVENT_NAMES, type ApiEvents, type RunStatus } from '../../../src-main/shared/api';
import type { RunConfigInput } from '../../../src-main/shared/run-config';
import { Workbench, type WorkbenchOptions } from '../../../src-main/service/workbench';
import { forkLauncher, type WorkerHandle, type WorkerLauncher } from '../../../src-main/service/worker/launcher';
import type { Store } from '../../../src-main/store/store';
import type { RunHold } from '../../hold';

/**
 * The workbench's store, for tests and benchmarks that check what was recorded
 * beneath the contract (integrity, cluster bookkeeping). Adapters never see it.
 */
export const storeOf = (wb: Workbench): Store => wb['store'];

export { tinyConfig } from '../../tiny-config';

/** The real fork launcher, keeping each worker handle so a test can find and kill its process. */
export class ObservedLauncher implements WorkerLauncher {
  readonly handles: WorkerHandle[] = [];
  private readonly inner: WorkerLauncher;
  constructor(env: Record<string, string> = {}) {
    this.inner = forkLauncher({ env });
  }
  launch(): WorkerHandle {
    const handle = this.inner.launch();
    this.handles.push(handle);
    return handle;
  }
}

export interface TestBench {
  dir: string;
  wb: Workbench;
  launcher: ObservedLauncher;
  events: { [E in keyof ApiEvents]: ApiEvents[E][] };
  reopen(options?: Partial<WorkbenchOptions>): Promise<Workbench>;
  dispose(): Promise<void>;
}

/**
 * A workbench on `dir`. With `hold`, its training processes obey that hold
 * (test/hold.ts), for tests that act while a run trains.
 */
export async function openTestBench(
  { hold, ...options }: Partial<WorkbenchOptions> & { hold?: RunHold } = {},
  dir = mkdtempSync(join(os.tmpdir(), 'kerv-wb-')),
): Promise<TestBench> {
  const launcher = new ObservedLauncher(hold?.env);
  const events = Object.fromEntries(API_EVENT_NAMES.map((name) => [name, []])) as unknown as TestBench['events'];
  const attach = (wb: Workbench) => {
    for (const name of Object.keys(events) as (keyof ApiEvents)[]) wb.on(name, (p) => (events[name] as unknown[]).push(p));
    return wb;
  };
  const bench: TestBench = {
    dir,
    launcher,
    events,
    wb: attach(await Workbench.open({ dataDir: dir, appVersion: '0.0.0-test', launcher, ...options })),
    async reopen(more = {}) {
      await bench.wb.close();
      bench.wb = attach(await Workbench.open({ dataDir: dir, appVersion: '0.0.0-test', launcher, ...options, ...more }));
      return bench.wb;
    },
    async dispose() {
      await bench.wb.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return bench;
}

/**
 * A test file's workbench and hold, closed after each test (the hold released
 * first, so a held run can stop): `t.hold = new RunHold(); t.bench = await openTestBench({ hold: t.hold })`.
 */
export function benchPerTest(): { bench: TestBench; hold: RunHold } {
  // Each test sets what it uses; both are unset between tests.
  const slot = {} as { bench: TestBench | undefined; hold: RunHold | undefined };
  afterEach(async () => {
    slot.hold?.release();
    await slot.bench?.dispose();
    slot.hold?.dispose();
    slot.bench = undefined;
    slot.hold = undefined;
  });
  return slot as { bench: TestBench; hold: RunHold };
}

/** Resolves when the run reaches one of the statuses (checked against the store, then events). */
export function waitForStatus(wb: Workbench, id: number, statuses: RunStatus[]): Promise<RunStatus> {
  return new Promise((resolve) => {
    const current = storeOf(wb).runs.get(id)?.status;
    if (current && statuses.includes(current)) return resolve(current);
    const off = wb.on('run:status', (e) => {
      if (e.id === id && statuses.includes(e.status)) {
        off();
        resolve(e.status);
      }
    });
  });
}

/** Resolves once the run has recorded at least `step` steps (checked against the store, then events). */
export function waitForStep(wb: Workbench, id: number, step: number): Promise<void> {
  return new Promise((resolve) => {
    if ((storeOf(wb).runs.get(id)?.step ?? 0) >= step) return resolve();
    const off = wb.on('run:progress', (e) => {
      if (e.id === id && e.steps.some((s) => s.step >= step)) {
        off();
        resolve();
      }
    });
  });
}

/** The run's 'started' event, once its worker has sent it. */
export function waitForStarted(bench: TestBench, id: number): Promise<ApiEvents['run:started']> {
  return new Promise((resolve) => {
    const seen = bench.events['run:started'].find((e) => e.id === id);
    if (seen) return resolve(seen);
    const off = bench.wb.on('run:started', (e) => {
      if (e.id === id) {
        off();
        resolve(e);
      }
    });
  });
}

/**
 * Starts a run and holds it at `at(stepsPerEpoch)` steps: it waits at step 0
 * until its worker reports its steps per epoch, trains to the chosen step and
 * pauses there. Resolves once that step is recorded. Other runs of the
 * workbench are held at the same step; `hold.release()` lets them all go on.
 */
export async function startHeld(bench: TestBench, hold: RunHold, config: RunConfigInput, at: (stepsPerEpoch: number) => number): Promise<{ id: number; heldAt: number; stepsPerEpoch: number }> {
  hold.at(0);
  const { id } = await bench.wb.invoke('runs:start', { config });
  const { totalSteps } = await waitForStarted(bench, id);
  const stepsPerEpoch = totalSteps / (await bench.wb.invoke('runs:get', { id })).config.epochs;
  const heldAt = at(stepsPerEpoch);
  hold.at(heldAt);
  await waitForStep(bench.wb, id, heldAt);
  return { id, heldAt, stepsPerEpoch };
}

/** Whether a step series is exactly 1..last, with no step missing or doubled. */
export function contiguous(steps: number[]): boolean {
  return steps.every((s, i) => s === i + 1);
}
