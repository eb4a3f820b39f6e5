// Shared by the service integration tests: a workbench on a temporary data
// folder, training tiny real runs in real worker processes.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { ApiEvents, RunStatus } from '../../../src-main/shared/api';
import type { RunConfigInput } from '../../../src-main/shared/run-config';
import { Workbench, type WorkbenchOptions } from '../../../src-main/service/workbench';
import { forkLauncher, type WorkerHandle, type WorkerLauncher } from '../../../src-main/service/worker/launcher';
import type { Store } from '../../../src-main/store/store';

/**
 * The workbench's store, for tests and benchmarks that check what was recorded
 * beneath the contract (integrity, cluster bookkeeping). Adapters never see it.
 */
export const storeOf = (wb: Workbench): Store => wb['store'];

/** A run that trains in a few seconds on 2 cores: a quarter-width MLP on 500 Fashion-MNIST images. */
export function tinyConfig(overrides: RunConfigInput = {}): RunConfigInput {
  return {
    backend: 'wasm',
    dataset: { name: 'fashion-mnist', trainSubset: 500, testSubset: 200 },
    model: { arch: 'mlp', widthMultiplier: 0.25 },
    epochs: 1,
    batchSize: 64,
    sampleCount: 8,
    ...overrides,
  };
}

/** Enough steps per epoch (~60) that a test can act in the middle of one. */
export function slowerConfig(overrides: RunConfigInput = {}): RunConfigInput {
  return tinyConfig({ dataset: { name: 'fashion-mnist', trainSubset: 2000, testSubset: 200 }, batchSize: 32, epochs: 2, ...overrides });
}

/** The real fork launcher, keeping each worker handle so a test can find and kill its process. */
export class ObservedLauncher implements WorkerLauncher {
  readonly handles: WorkerHandle[] = [];
  private readonly inner = forkLauncher();
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

export async function openTestBench(options: Partial<WorkbenchOptions> = {}, dir = mkdtempSync(join(os.tmpdir(), 'kerv-wb-'))): Promise<TestBench> {
  const launcher = new ObservedLauncher();
  const events: TestBench['events'] = { 'run:status': [], 'run:progress': [], 'run:started': [], 'run:scalars': [], 'dataset:progress': [] };
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

/** Resolves on the first progress event of the run that satisfies the predicate. */
export function waitForProgress(wb: Workbench, id: number, predicate: (e: ApiEvents['run:progress']) => boolean): Promise<ApiEvents['run:progress']> {
  return new Promise((resolve) => {
    const off = wb.on('run:progress', (e) => {
      if (e.id === id && predicate(e)) {
        off();
        resolve(e);
      }
    });
  });
}

/** Whether a step series is exactly 1..last, with no step missing or doubled. */
export function contiguous(steps: number[]): boolean {
  return steps.every((s, i) => s === i + 1);
}
