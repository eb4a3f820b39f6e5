// What rank 0 and its replica threads agree on beside the shared memory: the
// worker's start-up data, its one start-up message, and how a step's or an
// evaluation's per-shard results are packed into one collective.
import type { SharedBuffers } from './shared-state';

export interface ReplicaInit {
  role: typeof REPLICA_ROLE;
  rank: number;
  buffers: SharedBuffers;
  /** model.toJSON(): the replica is built from the same topology, its weights come through `buffers`. */
  topology: object;
  /** Shapes of model.weights, in order, to check the replica against. */
  weightShapes: number[][];
  labelSmoothing: number;
  numClasses: number;
  /** Image shape [H, W, C]. */
  inputShape: [number, number, number];
  /** Run the diagnosed forward pass when a step asks (see diagnostics.ts). */
  diagnostics: boolean;
}

export const REPLICA_ROLE = 'kerv-data-parallel-replica';

/** Sent once through the message port: the replica is built and waiting for commands (or could not start). */
export type ReplicaStartup = { type: 'ready' } | { type: 'error'; message: string };

/** Collective labels: every rank uses the same ones in the same order. */
export const STEP_RESULTS = 'step/results';
export const EVALUATION_SUMS = 'evaluate/sums';

/**
 * A shard's step results as values that sum across shards: its loss and accuracy
 * parts, and per kervolution (mean, std) the weighted first and second moments,
 * weight = the shard's share of the batch.
 */
export function packStepResults(loss: number, accuracy: number, activationStats: ArrayLike<number>, share: number): Float64Array {
  const out = new Float64Array(2 + activationStats.length);
  out[0] = loss;
  out[1] = accuracy;
  for (let i = 0; i < activationStats.length; i += 2) {
    const mean = activationStats[i];
    const std = activationStats[i + 1];
    out[2 + i] = share * mean;
    out[3 + i] = share * (std * std + mean * mean);
  }
  return out;
}

/** The whole batch's [loss, accuracy] and activation (mean, std) pairs from summed packStepResults. */
export function unpackStepResults(sums: Float64Array): { loss: number; accuracy: number; activationStats: Float32Array } {
  const stats = new Float32Array(sums.length - 2);
  for (let i = 0; i < stats.length; i += 2) {
    const mean = sums[2 + i];
    stats[i] = mean;
    stats[i + 1] = Math.sqrt(Math.max(0, sums[3 + i] - mean * mean));
  }
  return { loss: sums[0], accuracy: sums[1], activationStats: stats };
}
