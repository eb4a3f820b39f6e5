// The memory a data-parallel run's threads share, and the collectives built on it.
// Everything on the hot path goes through SharedArrayBuffers and Atomics: the
// coordinator (rank 0, the run's own thread) writes a command and the shards'
// input rows, the replicas (ranks 1..N-1, worker threads) wake on the command
// counter, and every rank meets the others at barriers: inside a step (batch-norm
// statistics, engine/parallel/sync-batch-norm.ts) and at its end (gradients).
// No postMessage, no JSON, no copy of a large array through a message port.
//
// Every rank runs the same graph in the same order, so the n-th collective of a
// command is the same one on every rank; each carries a tag (which layer, which
// phase) that is checked, so a mismatch fails loudly instead of mixing numbers.
// A rank that fails writes its error here and wakes everyone: a waiting rank
// throws it instead of waiting for ever.

/** Slots of the control array (Int32). */
const SEQ = 0; // command counter: replicas wait on it
const COMMAND = 1;
const SHARD_COUNT = 2; // ranks taking part in this command (the others sit it out)
const BATCH_SIZE = 3; // rows in this command's whole batch
const FLAGS = 4;
const BARRIER_ARRIVED = 5;
const BARRIER_GENERATION = 6;
const FAILED_RANK = 7; // 0: no failure; else rank + 1
const WEIGHTS_VERSION = 8;
const DONE = 9; // replicas finished with the current command (they may read shared memory until then)
const SHARDS = 16; // start, count per rank
const CONTROL_SLOTS = SHARDS;

export const Command = { step: 1, evaluate: 2, stop: 3 } as const;
export type CommandCode = (typeof Command)[keyof typeof Command];
export const StepFlags = { diagnosed: 1 } as const;

/** A rank waits this long at a time, then checks whether another rank failed. */
const WAIT_SLICE_MS = 500;
const MESSAGE_BYTES = 4096;

/** The sizes a run's shared memory is laid out for. */
export interface SharedLayout {
  replicas: number;
  /** Floats of one input image (H·W·C). */
  imageSize: number;
  /** The largest batch a command carries (training or evaluation). */
  maxBatch: number;
  /** Floats of every model weight together (model.weights order). */
  weightFloats: number;
  /** Floats of the trainable variables together: one gradient slot per replica. */
  gradientFloats: number;
  /** Values one collective sums (the largest of: 2 × batch-norm channels, step results, a confusion matrix). */
  reduceCapacity: number;
}

/** The buffers themselves; structured-clonable, so they go to a worker in workerData. */
export interface SharedBuffers {
  layout: SharedLayout;
  control: SharedArrayBuffer;
  message: SharedArrayBuffer;
  params: SharedArrayBuffer;
  images: SharedArrayBuffer;
  labels: SharedArrayBuffer;
  weights: SharedArrayBuffer;
  gradients: SharedArrayBuffer;
  reduce: SharedArrayBuffer;
  tags: SharedArrayBuffer;
}

export function allocateShared(layout: SharedLayout): SharedBuffers {
  const sab = (bytes: number) => new SharedArrayBuffer(Math.max(8, bytes));
  return {
    layout,
    control: sab(4 * (CONTROL_SLOTS + 2 * layout.replicas)),
    message: sab(MESSAGE_BYTES),
    params: sab(8 * 8),
    images: sab(4 * layout.maxBatch * layout.imageSize),
    labels: sab(4 * layout.maxBatch),
    weights: sab(4 * layout.weightFloats),
    // Rank 0 keeps its gradients as tensors: slots for ranks 1..N-1 only.
    gradients: sab(4 * layout.gradientFloats * (layout.replicas - 1)),
    // Two banks, so a rank can write the next collective while another still reads this one.
    reduce: sab(8 * 2 * layout.replicas * layout.reduceCapacity),
    tags: sab(4 * 2 * layout.replicas),
  };
}

/** Thrown on every rank when one of them failed; the message names the thread and says its error. */
export class ReplicaFailure extends Error {
  constructor(
    readonly replicaMessage: string,
    readonly rank: number,
    stack?: string,
  ) {
    super(`data-parallel training failed in thread ${rank} of the run: ${replicaMessage}`);
    this.name = 'ReplicaFailure';
    if (stack) this.stack = `${this.name}: ${this.message}\n  in that thread: ${stack}`;
  }
}

function tagOf(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return h | 0;
}

/** One rank's view of the shared memory. */
export class SharedState {
  readonly control: Int32Array;
  readonly params: Float64Array;
  readonly images: Float32Array;
  readonly labels: Int32Array;
  readonly weights: Float32Array;
  private readonly gradientsBuffer: SharedArrayBuffer;
  private readonly reduceValues: Float64Array;
  private readonly tags: Int32Array;
  private readonly message: Uint8Array;
  /** Collectives done in the current command, by this rank (selects the bank). */
  private collectives = 0;

  constructor(
    readonly buffers: SharedBuffers,
    readonly rank: number,
  ) {
    this.control = new Int32Array(buffers.control);
    this.params = new Float64Array(buffers.params);
    this.images = new Float32Array(buffers.images);
    this.labels = new Int32Array(buffers.labels);
    this.weights = new Float32Array(buffers.weights);
    this.gradientsBuffer = buffers.gradients;
    this.reduceValues = new Float64Array(buffers.reduce);
    this.tags = new Int32Array(buffers.tags);
    this.message = new Uint8Array(buffers.message);
  }

  get layout(): SharedLayout {
    return this.buffers.layout;
  }

  /** The gradient slot of a replica rank (1..N-1). */
  gradientSlot(rank: number): Float32Array {
    const n = this.layout.gradientFloats;
    return new Float32Array(this.gradientsBuffer, 4 * n * (rank - 1), n);
  }

  // --- commands (rank 0 writes, replicas read) ---

  /** Publishes a command to the replicas and wakes them. */
  post(command: CommandCode, shards: { start: number; count: number }[], batchSize: number, flags = 0): void {
    this.awaitReplicasDone();
    const c = this.control;
    c[COMMAND] = command;
    c[SHARD_COUNT] = shards.length;
    c[BATCH_SIZE] = batchSize;
    c[FLAGS] = flags;
    shards.forEach((s, r) => {
      c[SHARDS + 2 * r] = s.start;
      c[SHARDS + 2 * r + 1] = s.count;
    });
    this.collectives = 0;
    Atomics.store(c, DONE, 0);
    Atomics.add(c, SEQ, 1);
    Atomics.notify(c, SEQ);
  }

  /** Rank 0, at the end: tells the replicas to return, without waiting for anything (one may have died). */
  postStop(): void {
    this.control[COMMAND] = Command.stop;
    Atomics.add(this.control, SEQ, 1);
    Atomics.notify(this.control, SEQ);
  }

  /** Rank 0: waits until every replica is done with the last command, so its buffers may be rewritten. */
  awaitReplicasDone(): void {
    if (Atomics.load(this.control, SEQ) === 0) return;
    const replicas = this.layout.replicas - 1;
    for (;;) {
      const done = Atomics.load(this.control, DONE);
      if (done >= replicas) return;
      this.throwIfFailed();
      Atomics.wait(this.control, DONE, done, WAIT_SLICE_MS);
    }
  }

  /** A replica: done with the current command (taking part in it or not). */
  commandDone(): void {
    Atomics.add(this.control, DONE, 1);
    Atomics.notify(this.control, DONE);
  }

  /** Waits (replicas) for the command after `seen`; returns the new counter value. */
  awaitCommand(seen: number): number {
    for (;;) {
      this.throwIfFailed();
      const seq = Atomics.load(this.control, SEQ);
      if (seq !== seen) {
        this.collectives = 0;
        return seq;
      }
      Atomics.wait(this.control, SEQ, seen, WAIT_SLICE_MS);
    }
  }

  get command(): CommandCode {
    return this.control[COMMAND] as CommandCode;
  }
  get shardCount(): number {
    return this.control[SHARD_COUNT];
  }
  get batchSize(): number {
    return this.control[BATCH_SIZE];
  }
  get flags(): number {
    return this.control[FLAGS];
  }
  shard(rank: number): { start: number; count: number } {
    return { start: this.control[SHARDS + 2 * rank], count: this.control[SHARDS + 2 * rank + 1] };
  }

  get weightsVersion(): number {
    return Atomics.load(this.control, WEIGHTS_VERSION);
  }
  /** Rank 0, after writing `weights`: replicas load them before their next command. */
  publishWeights(): void {
    Atomics.add(this.control, WEIGHTS_VERSION, 1);
  }

  // --- synchronisation (every rank taking part in the command) ---

  /** Waits until every rank of the command has arrived. */
  barrier(): void {
    this.throwIfFailed();
    const c = this.control;
    const participants = c[SHARD_COUNT];
    const generation = Atomics.load(c, BARRIER_GENERATION);
    if (Atomics.add(c, BARRIER_ARRIVED, 1) === participants - 1) {
      Atomics.store(c, BARRIER_ARRIVED, 0);
      Atomics.add(c, BARRIER_GENERATION, 1);
      Atomics.notify(c, BARRIER_GENERATION);
      return;
    }
    while (Atomics.load(c, BARRIER_GENERATION) === generation) {
      this.throwIfFailed();
      Atomics.wait(c, BARRIER_GENERATION, generation, WAIT_SLICE_MS);
    }
    // A failing rank bumps the generation to wake the others: that is no arrival.
    this.throwIfFailed();
  }

  /**
   * Sums `values` over the ranks of the command, in rank order on every rank, so
   * every rank gets the same bits. `label` names the collective (checked).
   */
  allReduce(values: ArrayLike<number>, label: string): Float64Array {
    const { replicas, reduceCapacity } = this.layout;
    if (values.length > reduceCapacity) throw new Error(`allReduce(${label}): ${values.length} values, room for ${reduceCapacity}`);
    const bank = this.collectives++ % 2;
    const slot = (rank: number) => (bank * replicas + rank) * reduceCapacity;
    const tag = tagOf(`${label}:${values.length}`);
    this.reduceValues.set(values, slot(this.rank));
    this.tags[bank * replicas + this.rank] = tag;
    this.barrier();
    const participants = this.shardCount;
    const sum = new Float64Array(values.length);
    for (let r = 0; r < participants; r++) {
      if (this.tags[bank * replicas + r] !== tag) {
        this.fail(`collectives out of step: rank ${this.rank} is at '${label}' but rank ${r} is elsewhere`);
        this.throwIfFailed();
      }
      const base = slot(r);
      for (let i = 0; i < values.length; i++) sum[i] += this.reduceValues[base + i];
    }
    return sum;
  }

  // --- failure ---

  /** Records this rank's error (the first one wins) and wakes every waiting rank. */
  fail(message: string, stack?: string): void {
    if (Atomics.compareExchange(this.control, FAILED_RANK, 0, this.rank + 1) === 0) {
      const text = JSON.stringify({ message, stack });
      const bytes = new TextEncoder().encode(text.length <= MESSAGE_BYTES - 4 ? text : JSON.stringify({ message: message.slice(0, 1000) })).subarray(0, MESSAGE_BYTES - 4);
      new DataView(this.buffers.message).setUint32(0, bytes.length);
      this.message.set(bytes, 4);
    }
    Atomics.add(this.control, BARRIER_GENERATION, 1);
    Atomics.notify(this.control, BARRIER_GENERATION);
    Atomics.notify(this.control, SEQ);
    Atomics.notify(this.control, DONE);
  }

  /** The failure recorded by a rank, if any. */
  failure(): ReplicaFailure | null {
    const failed = Atomics.load(this.control, FAILED_RANK);
    if (failed === 0) return null;
    const length = new DataView(this.buffers.message).getUint32(0);
    const { message, stack } = JSON.parse(new TextDecoder().decode(this.message.slice(4, 4 + length))) as { message: string; stack?: string };
    return new ReplicaFailure(message, failed - 1, stack);
  }

  throwIfFailed(): void {
    const failure = this.failure();
    if (failure) throw failure;
  }
}
