// Step metrics wait on the device as small [loss, accuracy] tensors and are read in
// one batch (one stack + one data()) when the progress tick comes, so training never
// waits on a per-step GPU→CPU sync. Images/s is measured over the whole tick by the
// wall clock, after the read has forced the work to finish: an honest throughput
// that includes data preparation and the read itself.
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

export interface FlushResult {
  steps: StepMetrics[];
  /** Images in each of `steps` (index-aligned), to weight epoch means. */
  images: number[];
  /** The first step whose loss was NaN or infinite, if any (its metrics are not in `steps`). */
  nonFinite: { step: number; epoch: number; loss: number } | null;
}

export class StepBuffer {
  private pending: PendingStep[] = [];
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
    this.pending.push(step);
  }

  async flush(): Promise<FlushResult> {
    const pending = this.pending;
    this.pending = [];
    if (pending.length === 0) return { steps: [], images: [], nonFinite: null };
    const stacked = tf.stack(pending.map((p) => p.metrics));
    tf.dispose(pending.map((p) => p.metrics));
    const values = await stacked.data();
    stacked.dispose();
    const endMs = this.now();
    const elapsedMs = Math.max(1e-3, endMs - this.windowStartMs);
    this.windowStartMs = endMs;
    const imagesPerSecond = (pending.reduce((n, p) => n + p.images, 0) * 1000) / elapsedMs;
    const steps: StepMetrics[] = [];
    const images: number[] = [];
    for (let i = 0; i < pending.length; i++) {
      const p = pending[i];
      const loss = values[2 * i];
      if (!Number.isFinite(loss)) return { steps, images, nonFinite: { step: p.step, epoch: p.epoch, loss } };
      images.push(p.images);
      steps.push({
        step: p.step,
        epoch: p.epoch,
        loss,
        accuracy: values[2 * i + 1],
        learningRate: p.learningRate,
        imagesPerSecond,
        wallTimeMs: p.wallTimeMs,
      });
    }
    return { steps, images, nonFinite: null };
  }

  dispose(): void {
    tf.dispose(this.pending.map((p) => p.metrics));
    this.pending = [];
  }
}
