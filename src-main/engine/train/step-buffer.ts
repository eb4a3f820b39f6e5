// Step metrics wait on the device as small [loss, accuracy] tensors. Each step's
// read starts as soon as the step is recorded (an asynchronous copy queued right
// behind its work), and the progress tick collects the reads that are done. On an
// asynchronous device (webgpu) the tick leaves the newest steps' reads pending for
// the next tick: waiting for them would drain the queue, leaving the GPU idle while
// the host records the next step. So training never waits on a per-step GPU→CPU
// sync, and the tick never stalls the queue. Images/s is measured over the steps a
// tick reports, by the wall clock: an honest throughput that includes data
// preparation and the reads.
import * as tf from '@tensorflow/tfjs';
import type { StepMetrics } from '../../shared/progress';

interface PendingStep {
  metrics: tf.Tensor1D;
  step: number;
  epoch: number;
  learningRate: number;
  images: number;
  /** Wall time when the step was dispatched (on synchronous backends: when it finished). */
  wallTimeMs: number;
}

interface ReadingStep extends PendingStep {
  values: Promise<Float32Array>;
}

export interface FlushResult {
  steps: StepMetrics[];
  /** Images in each of `steps` (index-aligned), to weight epoch means. */
  images: number[];
  /** The first step whose loss was NaN or infinite, if any (its metrics are not in `steps`). */
  nonFinite: { step: number; epoch: number; loss: number } | null;
}

/** Steps a tick leaves in flight on an asynchronous device: enough to keep the queue fed while the host reads. */
export const STEPS_IN_FLIGHT = 2;

export class StepBuffer {
  private pending: ReadingStep[] = [];
  private windowStartMs: number;

  constructor(private readonly now: () => number) {
    this.windowStartMs = now();
  }

  get size(): number {
    return this.pending.length;
  }

  /** Starts the throughput window afresh (after an evaluation or checkpoint, which are not training time). */
  restartWindow(): void {
    this.windowStartMs = this.now();
  }

  push(step: PendingStep): void {
    this.pending.push({ ...step, values: step.metrics.data() as Promise<Float32Array> });
  }

  /**
   * The metrics of every buffered step but the newest `inFlight` (0: all, as at the
   * end of an epoch), in step order.
   */
  async flush(inFlight = 0): Promise<FlushResult> {
    const count = Math.max(0, this.pending.length - inFlight);
    const ready = this.pending.slice(0, count);
    this.pending = this.pending.slice(count);
    if (ready.length === 0) return { steps: [], images: [], nonFinite: null };
    const values = await Promise.all(ready.map((p) => p.values));
    tf.dispose(ready.map((p) => p.metrics));
    const endMs = this.now();
    const elapsedMs = Math.max(1e-3, endMs - this.windowStartMs);
    this.windowStartMs = endMs;
    const imagesPerSecond = (ready.reduce((n, p) => n + p.images, 0) * 1000) / elapsedMs;
    const steps: StepMetrics[] = [];
    const images: number[] = [];
    for (let i = 0; i < ready.length; i++) {
      const p = ready[i];
      const [loss, accuracy] = values[i];
      if (!Number.isFinite(loss)) return { steps, images, nonFinite: { step: p.step, epoch: p.epoch, loss } };
      images.push(p.images);
      steps.push({ step: p.step, epoch: p.epoch, loss, accuracy, learningRate: p.learningRate, imagesPerSecond, wallTimeMs: p.wallTimeMs });
    }
    return { steps, images, nonFinite: null };
  }

  dispose(): void {
    const pending = this.pending;
    this.pending = [];
    // A read still in flight holds its tensor until it lands.
    void Promise.allSettled(pending.map((p) => p.values)).then(() => tf.dispose(pending.map((p) => p.metrics)));
  }
}
