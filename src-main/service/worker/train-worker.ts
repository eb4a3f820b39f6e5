// The entry of one training process (bundled to out/node/train-worker.js). It
// waits for a 'start' message, trains that one run with the engine, forwards
// every progress message as it comes (the engine already batches steps per
// ~250 ms tick), reports the outcome and exits. It runs under child_process.fork
// (process.send) or Electron's utilityProcess (process.parentPort); either way
// it exits when the service goes away, so no orphan keeps a CPU busy.
import { BACKENDS, type BackendChoice } from '../../shared/run-config';
import type { RungPlan, RungVerdict } from '../../shared/asha';
import type { RungReferee } from '../../engine/train/rungs';
import type { FromWorker, ToWorker } from './messages';
import { startSystemSampler } from './system-sampler';

/** How often the process reports its CPU and memory use. */
const SYSTEM_SAMPLE_INTERVAL_MS = 2000;

interface ParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

function send(msg: FromWorker): Promise<void> {
  if (parentPort) {
    parentPort.postMessage(msg);
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(msg, undefined, {}, () => resolve());
  });
}

function onMessage(fn: (msg: ToWorker) => void): void {
  if (parentPort) parentPort.on('message', (e) => fn(e.data as ToWorker));
  else process.on('message', (m) => fn(m as ToWorker));
}

/** The default backend sent by the service (a setting, or a cluster job's field): one of BACKENDS. */
function backendChoice(name: string): BackendChoice {
  if (!(BACKENDS as readonly string[]).includes(name)) throw new Error(`default backend must be one of ${BACKENDS.join(', ')}, got ${JSON.stringify(name)}`);
  return name as BackendChoice;
}

const controller = new AbortController();
let started = false;

/**
 * How long a run waits at an ASHA rung for its verdict before training on. The
 * local workbench answers at once; a cluster's coordinator may be away (closed,
 * restarting) while workers train on, and a worker must not idle for it.
 */
const VERDICT_TIMEOUT_MS = 5 * 60_000;

/** The rung verdict the run waits for, by epoch (one at a time). */
const pendingVerdicts = new Map<number, (verdict: RungVerdict | null) => void>();

/** Asks the parent (scheduler or cluster worker) for the verdict at a rung. */
function rungReferee(plan: RungPlan): RungReferee {
  return {
    plan,
    ask(epoch, value) {
      return new Promise((resolve) => {
        const timer = setTimeout(() => settle(null), VERDICT_TIMEOUT_MS);
        const settle = (verdict: RungVerdict | null) => {
          clearTimeout(timer);
          pendingVerdicts.delete(epoch);
          resolve(verdict);
        };
        pendingVerdicts.set(epoch, settle);
        void send({ type: 'rung', epoch, value });
      });
    },
  };
}

async function run(msg: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  let position: { step: number; wallTimeMs: number } | null = null;
  const stopSampler = startSystemSampler({
    intervalMs: SYSTEM_SAMPLE_INTERVAL_MS,
    position: () => position,
    emit: (sample) => void send({ type: 'progress', progress: { type: 'scalars', samples: [sample] } }),
  });
  try {
    const { train } = await import('../../engine/train/train');
    const outcome = await train(msg.config, {
      onProgress: (progress) => {
        if (progress.type === 'steps' && progress.steps.length > 0) {
          const last = progress.steps[progress.steps.length - 1];
          position = { step: last.step, wallTimeMs: last.wallTimeMs };
        }
        void send({ type: 'progress', progress });
      },
      signal: controller.signal,
      checkpointDir: msg.checkpointDir,
      resumeFrom: msg.resumeFrom ?? undefined,
      cacheDir: msg.cacheDir,
      appVersion: msg.appVersion,
      // 'auto' in the config defers to the settings' backend choice (KERV_BACKEND, when set, wins over it).
      backend: { defaultBackend: backendChoice(msg.defaultBackend), webgpu: msg.webgpu },
      coreShare: msg.coreShare,
      rungs: msg.rungs ? rungReferee(msg.rungs) : undefined,
    });
    stopSampler();
    await send({ type: 'outcome', outcome });
    process.exit(0);
  } catch (error) {
    stopSampler();
    const e = error instanceof Error ? error : new Error(String(error));
    await send({ type: 'error', message: e.message, stack: e.stack });
    process.exit(1);
  }
}

/** The learning-rate finder, in place of a run: its points as they come, then its result. */
async function findRate(msg: Extract<ToWorker, { type: 'lr-find' }>): Promise<void> {
  try {
    const { findLearningRate } = await import('../../engine/train/lr-find');
    const result = await findLearningRate(msg.config, {
      finder: msg.finder,
      onPoint: (point) => void send({ type: 'lr-point', point }),
      signal: controller.signal,
      cacheDir: msg.cacheDir,
      appVersion: msg.appVersion,
      backend: { defaultBackend: backendChoice(msg.defaultBackend), webgpu: msg.webgpu },
      coreShare: msg.coreShare,
    });
    await send({ type: 'lr-result', result });
    process.exit(0);
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    await send({ type: 'error', message: e.message, stack: e.stack });
    process.exit(1);
  }
}

onMessage((msg) => {
  if ((msg.type === 'start' || msg.type === 'lr-find') && !started) {
    started = true;
    void (msg.type === 'start' ? run(msg) : findRate(msg));
  } else if (msg.type === 'cancel') {
    controller.abort();
  } else if (msg.type === 'verdict') {
    // A verdict for a rung no longer waited for (given up on) is dropped.
    pendingVerdicts.get(msg.verdict.epoch)?.(msg.verdict);
  }
});

// The service died (kill -9) or closed the channel: stop now. The run's state is
// in the database; the next open marks it interrupted and resumable.
if (!parentPort) process.on('disconnect', () => process.exit(1));
