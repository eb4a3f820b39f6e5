// How a run uses several CPU threads, in words the run config, the CLI and the
// UI share. Two ways exist on the wasm backend:
//   data     data parallelism: one single-threaded wasm engine per thread, each
//            with a replica of the model and a contiguous shard of every batch;
//            gradients and batch-norm statistics are summed across the shards, so
//            a step computes what one thread computes, up to float rounding
//            (engine/parallel/).
//   xnnpack  one engine whose XNNPACK kernels (convolutions, matrix products)
//            split their work over a thread pool; every other op stays on one
//            thread (engine/backend/wasm-threads.ts).
// 'auto' is data parallelism: measured 1.78× on 2 cores against XNNPACK's 1.10×
// for the reference CNN step (bench/RESULTS.md, 2026-11-26).
import { plural } from './format';

export const PARALLEL_MODES = ['auto', 'data', 'xnnpack'] as const;
export type ParallelChoice = (typeof PARALLEL_MODES)[number];
/** What a run really used: 'none' on one thread, or on a backend with its own threading (tensorflow, webgpu). */
export const PARALLEL_USED = ['data', 'xnnpack', 'none'] as const;
export type ParallelMode = (typeof PARALLEL_USED)[number];

export interface Shard {
  /** First row of the batch in this shard. */
  start: number;
  count: number;
}

/**
 * Contiguous shards in rank order, sizes differing by at most one: concatenated,
 * they are the batch itself. A batch smaller than the replica count leaves the
 * last replicas out (an empty shard is not a batch every op accepts).
 */
export function shardBatch(batchSize: number, replicas: number): Shard[] {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`shardBatch: batch size must be a whole number ≥ 1, got ${batchSize}`);
  if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`shardBatch: replicas must be a whole number ≥ 1, got ${replicas}`);
  const parts = Math.min(batchSize, replicas);
  const base = Math.floor(batchSize / parts);
  const larger = batchSize % parts; // the first `larger` shards take one row more
  const shards: Shard[] = [];
  let start = 0;
  for (let i = 0; i < parts; i++) {
    const count = base + (i < larger ? 1 : 0);
    shards.push({ start, count });
    start += count;
  }
  return shards;
}

/** "2 threads: data-parallel, 2 shards of 32", "2 threads: XNNPACK pool", "1 thread". */
export function describeThreadLayout(threads: number, parallel: ParallelMode | undefined, batchSize: number): string {
  const count = plural(threads, 'thread');
  if (parallel === 'data') {
    const sizes = shardBatch(batchSize, threads).map((s) => s.count);
    return `${count}: data-parallel, ${plural(sizes.length, 'shard')} of ${[...new Set(sizes)].join('/')}`;
  }
  if (parallel === 'xnnpack') return `${count}: XNNPACK thread pool`;
  return count;
}
