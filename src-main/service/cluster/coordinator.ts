// The workbench as coordinator of a cluster: the scheduler's RunPlacement when
// Redis is configured. Queued runs become BullMQ jobs; whatever the workers
// report comes back through the progress stream and lands in this workbench's
// SQLite, which stays the one history.
//
// Nothing is lost on the way back: the stream is read in a consumer group, each
// batch is written in one SQLite transaction together with the id of its last
// entry, and only then acknowledged (and deleted). A coordinator that was down
// reads its pending and new entries when it returns; an entry read again after a
// crash between commit and acknowledge is recognised by its id and skipped.
//
// A run continues on another worker with a contiguous curve: the new attempt's
// 'started' says which checkpoint step it resumes from, and the steps recorded
// after it (trained by the worker that died) are deleted before the new ones
// arrive. Messages of an older attempt that arrive late are fenced out.
//
// ASHA sweeps: a run that finished a rung epoch waits for a verdict. Its 'rung'
// entry is decided here, in the same transaction as what came before it (its
// epoch), by the one rule the local queue uses (service/asha.ts); the verdict
// goes back through Redis to the worker that trains the run.
import { Queue } from 'bullmq';
import type { ClusterStatus } from '../../shared/api';
import type { RungVerdict } from '../../shared/asha';
import { judgeRung, rungPlan } from '../asha';
import type { TrainProgress } from '../../shared/progress';
import type { Store } from '../../store/store';
import { StoreError } from '../../store/database';
import { resumeCheckpoint, runCheckpointDir } from '../checkpoints';
import type { DataPaths } from '../paths';
import { emitProgressEvents, outcomeStatus, type Emit, type RunPlacement } from '../scheduler';
import { DEFAULT_MAX_CHECKPOINT_BYTES, deleteCheckpoint, downloadCheckpoint, uploadCheckpoint } from './checkpoint-transfer';
import { randomBytes } from 'node:crypto';
import {
  CANCEL_CHANNEL,
  cancelMessage,
  VERDICT_CHANNEL,
  COORDINATOR_GROUP,
  COORDINATOR_ID,
  decodeEntry,
  jobId,
  QUEUE_NAME,
  runKeys,
  workerKey,
  WORKERS_SET,
  type RunJob,
  type RunKeys,
  type StreamEntry,
  type WorkerHeartbeat,
} from './protocol';
import { createRedisClient, describeRedisError, maskRedisUrl, probeRedis, type RedisClient } from './redis';

/** How long the cluster's status waits for Redis before it says Redis is not answering. */
const STATUS_TIMEOUT_MS = 3000;

export interface ClusterCoordinatorOptions {
  redisUrl: string;
  store: Store;
  paths: DataPaths;
  emit: Emit;
  appVersion: string;
  /** The settings' backend, for jobs whose config says 'auto'. */
  defaultBackend: () => string;
  /** Called when runs were handed over or settled (the scheduler re-checks the queue and idleness). */
  onChange: () => void;
  maxCheckpointBytes?: number;
  /** Entries read per batch (one SQLite transaction each). */
  batchSize?: number;
}

const LAST_ENTRY = 'progress-stream-last-entry';
const COORDINATOR_ID_KEY = 'coordinator-id';
const CONSUMER = 'workbench';

/** This data folder's coordinator id, made on first use. */
function coordinatorId(store: Store): string {
  const saved = store.cluster.state(COORDINATOR_ID_KEY);
  if (saved && COORDINATOR_ID.test(saved)) return saved;
  const made = randomBytes(6).toString('hex');
  store.transaction(() => store.cluster.setState(COORDINATOR_ID_KEY, made));
  return made;
}

/** Stream ids are "ms-seq": compares them numerically. */
export function compareEntryIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am !== bm ? am - bm : as - bs;
}

type StreamReply = [string, [string, string[]][]][] | null;

export class ClusterCoordinator implements RunPlacement {
  private readonly redis: RedisClient;
  /** A separate connection for the blocking stream reads. */
  private readonly reader: RedisClient;
  private readonly queue: Queue;
  /** BullMQ does not close a connection it was given: close() does. */
  private readonly queueConnection: RedisClient;
  private readonly handing = new Set<number>();
  private readonly handed = new Set<number>();
  private stopped = false;
  /** A batch was read but not written (the database refused it): it is read again, from the pending entries. */
  private unwritten = false;
  private loop: Promise<void> | null = null;
  /** This workbench's id in the cluster (made once, kept in its database): its runs' keys are under it. */
  readonly id: string;
  private readonly keys: RunKeys;
  connected = false;
  lastError: string | null = null;

  private constructor(private readonly o: ClusterCoordinatorOptions) {
    this.id = coordinatorId(o.store);
    this.keys = runKeys(this.id);
    this.redis = createRedisClient(o.redisUrl, { connectionName: 'kerv-coordinator' });
    this.reader = createRedisClient(o.redisUrl, { connectionName: 'kerv-coordinator:progress' });
    this.redis.on('ready', () => {
      this.connected = true;
      this.lastError = null;
    });
    this.redis.on('close', () => (this.connected = false));
    this.redis.on('error', (error: unknown) => (this.lastError = describeRedisError(o.redisUrl, error)));
    this.queueConnection = createRedisClient(o.redisUrl, { connectionName: 'kerv-coordinator:queue' });
    this.queue = new Queue(QUEUE_NAME, { connection: this.queueConnection as never });
    this.queue.on('error', (error) => (this.lastError = describeRedisError(o.redisUrl, error)));
  }

  /**
   * Connects (an unreachable server or a wrong password fails here with a clear
   * message), ingests everything the workers reported while this workbench was
   * away, then keeps reading.
   */
  static async connect(o: ClusterCoordinatorOptions): Promise<ClusterCoordinator> {
    await probeRedis(o.redisUrl);
    const coordinator = new ClusterCoordinator(o);
    try {
      await coordinator.redis.connect();
      await coordinator.reader.connect();
      await coordinator.ensureGroup();
      // Pending entries (read before a crash, never acknowledged), then everything new.
      while ((await coordinator.readBatch('0', 0)) > 0);
      while ((await coordinator.readBatch('>', 0)) > 0);
    } catch (error) {
      await coordinator.close();
      throw new Error(describeRedisError(o.redisUrl, error));
    }
    coordinator.loop = coordinator.ingestLoop();
    return coordinator;
  }

  private async ensureGroup(): Promise<void> {
    try {
      await this.redis.call('XGROUP', 'CREATE', this.keys.progress, COORDINATOR_GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!/BUSYGROUP/.test((error as Error).message)) throw error;
    }
  }

  private async ingestLoop(): Promise<void> {
    let lastCheck = Date.now();
    while (!this.stopped) {
      try {
        const read = await this.readBatch('>', 1000);
        if (read === 0 && Date.now() - lastCheck > 5000) {
          lastCheck = Date.now();
          await this.findLostJobs();
        }
      } catch (error) {
        if (this.stopped) return;
        const message = (error as Error).message;
        // Redis lost its data (restarted without persistence): the group comes back empty.
        if (/NOGROUP/.test(message)) await this.ensureGroup().catch(() => {});
        else this.lastError = describeRedisError(this.o.redisUrl, error);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /**
   * A Redis restarted without persistence forgets the queue: a run the cluster
   * holds whose job is gone is handed over again when it was still queued, and
   * becomes interrupted (resumable) when it was training. Jobs are looked up
   * first and the stream read after, so an outcome posted before its job was
   * removed is never mistaken for a loss.
   */
  private async findLostJobs(): Promise<void> {
    const { store } = this.o;
    const missing: number[] = [];
    for (const held of store.cluster.openRuns()) {
      if (this.handing.has(held.runId)) continue;
      const key = `bull:${QUEUE_NAME}:${jobId(this.id, held.runId, held.dispatch)}`;
      if (Number(await this.redis.call('EXISTS', key)) === 0) missing.push(held.runId);
    }
    if (missing.length === 0) return;
    while ((await this.readBatch('>', 0)) > 0);
    const settled: { id: number; error: string }[] = [];
    for (const id of missing) {
      const run = store.runs.get(id);
      if (!run || !store.cluster.get(id)?.open) continue;
      if (run.status === 'queued') {
        this.handed.delete(id);
        this.dispatch([id]);
      } else if (run.status === 'running') {
        const error = `Redis no longer holds this run's job (restarted without persistence?) at step ${run.step}; resume the run to continue from its last checkpoint`;
        store.transaction(() => {
          store.setRunStatus(id, 'interrupted', error);
          store.cluster.close(id);
        });
        settled.push({ id, error });
      }
    }
    for (const { id, error } of settled) this.o.emit('run:status', { id, status: 'interrupted', error });
    if (settled.length > 0) this.o.onChange();
  }

  /** Reads, stores and acknowledges one batch; returns how many entries it read. */
  private async readBatch(from: '0' | '>', blockMs: number): Promise<number> {
    // Entries read but not written (the database refused them) come first, until none is left.
    if (this.unwritten) [from, blockMs] = ['0', 0];
    const args = ['GROUP', COORDINATOR_GROUP, CONSUMER, 'COUNT', String(this.o.batchSize ?? 500)];
    if (blockMs > 0) args.push('BLOCK', String(blockMs));
    const reply = (await this.reader.call('XREADGROUP', ...args, 'STREAMS', this.keys.progress, from)) as StreamReply;
    const raw = reply?.[0]?.[1] ?? [];
    if (raw.length === 0) {
      if (from === '0') this.unwritten = false;
      return 0;
    }
    try {
      await this.ingest(raw.map(([id, fields]) => ({ id, entry: decodeEntry(fields ?? []) })));
    } catch (error) {
      this.unwritten = true;
      throw error;
    }
    const ids = raw.map(([id]) => id);
    await this.redis.call('XACK', this.keys.progress, COORDINATOR_GROUP, ...ids);
    await this.redis.call('XDEL', this.keys.progress, ...ids);
    return raw.length;
  }

  /** Writes a batch of entries in one transaction; subscribers hear about it after the commit. */
  private async ingest(batch: { id: string; entry: StreamEntry | null }[]): Promise<void> {
    const { store } = this.o;
    const last = store.cluster.state(LAST_ENTRY);
    const fresh = batch.filter((e) => e.entry && (!last || compareEntryIds(e.id, last) > 0)) as { id: string; entry: StreamEntry }[];
    if (fresh.length === 0) return;
    // Checkpoints come from Redis to this workbench's run folder before the transaction (file I/O, async).
    const localCheckpoint = new Map<string, string | null>();
    for (const { id, entry } of fresh) {
      const m = entry.message;
      if (m.kind !== 'progress' || m.progress.type !== 'checkpoint') continue;
      const held = store.cluster.get(entry.runId);
      if (!held || entry.attempt < held.attempt) continue;
      const got = await downloadCheckpoint(this.redis, this.keys, entry.runId, runCheckpointDir(this.o.store, this.o.paths, entry.runId), {
        expectStep: m.progress.step,
        maxBytes: this.o.maxCheckpointBytes ?? DEFAULT_MAX_CHECKPOINT_BYTES,
      }).catch(() => null);
      localCheckpoint.set(id, got?.path ?? null);
    }
    const after: (() => void)[] = [];
    const verdicts: { runId: number; verdict: RungVerdict }[] = [];
    let settled = false;
    try {
      store.transaction(() => {
        for (const { id, entry } of fresh) settled = this.apply(id, entry, localCheckpoint, after, verdicts) || settled;
        store.cluster.setState(LAST_ENTRY, fresh[fresh.length - 1].id);
      }, 'record cluster progress in');
    } catch (error) {
      if (error instanceof StoreError) this.failUnrecorded(fresh, error);
      throw error; // the batch stays pending in the stream and is read again (readBatch)
    }
    for (const f of after) f();
    if (settled) this.o.onChange();
    for (const { runId, verdict } of verdicts) await this.sendVerdict(runId, verdict);
  }

  /**
   * The database refused a batch (disk full, read-only folder). As on the local
   * queue, a run whose progress cannot be recorded stops rather than train on
   * unrecorded: it fails through the store's endRun, which shows the end to every
   * reader at once and writes it as soon as the database accepts writes again,
   * and its worker is told to stop. The batch is read again until it is written,
   * which closes the cluster's record of the run.
   */
  private failUnrecorded(batch: { entry: StreamEntry }[], refused: StoreError): void {
    const { store, emit } = this.o;
    const error = `could not record progress: ${refused.message}`;
    // Runs already ended by an earlier try of this batch show their end: only the others stop.
    const stopping = [...new Set(batch.map(({ entry }) => entry.runId))].filter((id) => store.runs.get(id)?.status === 'running' && store.cluster.get(id)?.open);
    for (const runId of stopping) {
      let unsaved = '';
      try {
        store.endRun(runId, 'failed', error);
      } catch (writeError) {
        unsaved = ` (not saved yet: ${(writeError as Error).message})`;
      }
      emit('run:status', { id: runId, status: 'failed', error: `${error}${unsaved}` });
      this.cancel(runId);
    }
    if (stopping.length > 0) this.o.onChange();
  }

  /**
   * An ASHA verdict, once stored here, goes to the worker that waits for it: in
   * its key (which a worker that missed the message reads) and on the channel.
   * Commands wait for Redis while it is away, so a verdict is not lost to a
   * restart; the worker trains on by itself if none comes for too long.
   */
  private async sendVerdict(runId: number, verdict: RungVerdict): Promise<void> {
    try {
      await this.redis.call('SET', this.keys.verdict(runId, verdict.epoch), JSON.stringify(verdict), 'EX', 7 * 24 * 3600);
      await this.redis.call('PUBLISH', VERDICT_CHANNEL, cancelMessage(this.id, runId));
    } catch (error) {
      this.lastError = describeRedisError(this.o.redisUrl, error);
    }
  }

  /** Applies one entry inside the ingest transaction; returns true when the run settled. */
  private apply(entryId: string, entry: StreamEntry, localCheckpoint: Map<string, string | null>, after: (() => void)[], verdicts: { runId: number; verdict: RungVerdict }[]): boolean {
    const { store, emit } = this.o;
    const { runId, attempt, worker, message } = entry;
    const run = store.runs.get(runId);
    const held = store.cluster.get(runId);
    // A deleted run, one the cluster no longer holds (cancelled while queued), or a worker that lost the run.
    if (!run || !held || !held.open || attempt < held.attempt) return false;
    if (attempt > held.attempt) store.cluster.setAttempt(runId, attempt, worker);
    const setStatus = (status: typeof run.status, error: string | null = null) => {
      const current = store.runs.get(runId)!;
      if (current.status === status) return;
      store.setRunStatus(runId, status, error);
      after.push(() => emit('run:status', { id: runId, status, error }));
    };
    switch (message.kind) {
      case 'claimed': {
        if (run.status === 'queued') setStatus('running');
        if (store.runs.get(runId)!.status !== 'running') return false;
        const from = message.fromStep > 0 ? ` from the checkpoint at step ${message.fromStep}` : '';
        store.runs.log(runId, 'info', `${run.status === 'running' ? 'continues' : 'trains'} on worker ${worker}${from} (attempt ${attempt})`);
        return false;
      }
      case 'progress': {
        if (run.status !== 'running') return false;
        let p: TrainProgress = message.progress;
        if (p.type === 'started') {
          // The steps after the checkpoint this attempt starts from were trained by a worker that is gone.
          store.metrics.truncateAfter(runId, p.startStep);
          store.runs.setProgressFields(runId, { step: p.startStep, bestValidationAccuracy: store.metrics.bestValidationAccuracy(runId) });
        } else if (p.type === 'checkpoint') {
          const path = localCheckpoint.get(entryId);
          if (!path) {
            store.runs.log(runId, 'warn', `the checkpoint at step ${p.step} on worker ${worker} was replaced before it reached this workbench`);
            return false;
          }
          p = { ...p, path };
        }
        store.writeProgress(runId, [p]);
        const batch = [p];
        after.push(() => emitProgressEvents(emit, runId, batch));
        return false;
      }
      case 'outcome': {
        const { status, error } = outcomeStatus(message.outcome);
        if (run.status === 'running') setStatus(status, error);
        store.cluster.close(runId);
        return true;
      }
      case 'error': {
        // Refused before it trained (a config or dataset the worker rejects): it still ran there, and failed.
        if (run.status === 'queued') setStatus('running');
        if (store.runs.get(runId)!.status === 'running') setStatus('failed', message.message);
        store.cluster.close(runId);
        return true;
      }
      case 'released':
        store.runs.log(runId, 'info', `${message.reason}; the run waits for another worker`);
        return false;
      case 'rung':
        // Decided here, with everything the run reported before it (its epoch) already applied above.
        if (run.status === 'running') verdicts.push({ runId, verdict: judgeRung(store, runId, message.epoch, message.value) });
        return false;
    }
  }

  // ---- RunPlacement ----

  dispatch(queuedIds: number[]): void {
    if (this.stopped) return;
    for (const id of queuedIds) {
      if (this.handing.has(id) || this.handed.has(id)) continue;
      this.handing.add(id);
      void this.handOver(id)
        .then(() => this.handed.add(id))
        .catch((error: unknown) => {
          this.lastError = `could not hand run ${id} to the cluster: ${(error as Error).message}`;
          console.error(`cluster: ${this.lastError}`);
        })
        .finally(() => this.handing.delete(id));
    }
  }

  private async handOver(id: number): Promise<void> {
    const { store, paths } = this.o;
    const run = store.runs.get(id);
    if (!run || run.status !== 'queued') return;
    const before = store.cluster.get(id);
    const held = store.transaction(() => store.cluster.open(id));
    if (!before?.open) {
      // A new hand-over: Redis must describe this run as the workbench has it (a resumed run's checkpoint, no stale cancel).
      const keys = this.keys;
      await this.redis.call('DEL', keys.cancel(id));
      const checkpoint = run.step > 0 ? resumeCheckpoint(runCheckpointDir(store, paths, id), run.step) : null;
      if (checkpoint) await uploadCheckpoint(this.redis, keys, id, checkpoint.path, checkpoint, this.o.maxCheckpointBytes);
      else await deleteCheckpoint(this.redis, keys, id);
      const fingerprint = store.runs.getEnvironment(id)?.dataset?.fingerprint;
      if (fingerprint && checkpoint) await this.redis.call('SET', keys.fingerprint(id), fingerprint);
      else await this.redis.call('DEL', keys.fingerprint(id));
    }
    const rungs = rungPlan(store, id);
    const data: RunJob = {
      coordinator: this.id,
      runId: id,
      config: run.config as unknown as Record<string, unknown>,
      appVersion: this.o.appVersion,
      defaultBackend: this.o.defaultBackend(),
      ...(rungs ? { rungs } : {}),
    };
    // The job id is fixed per hand-over, so adding it again (after a restart) is a no-op.
    await this.queue.add('train', data, { jobId: jobId(this.id, id, held.dispatch), attempts: 1000, removeOnComplete: true, removeOnFail: true });
  }

  cancel(id: number): boolean {
    const { store } = this.o;
    const held = store.cluster.get(id);
    const run = store.runs.get(id);
    if (!held?.open || !run) return false;
    this.handed.delete(id);
    void (async () => {
      await this.redis.call('SET', this.keys.cancel(id), '1', 'EX', 7 * 24 * 3600);
      await this.redis.call('PUBLISH', CANCEL_CHANNEL, cancelMessage(this.id, id));
      if (run.status === 'queued') await this.queue.remove(jobId(this.id, id, held.dispatch)).catch(() => 0);
    })().catch((error: unknown) => (this.lastError = describeRedisError(this.o.redisUrl, error)));
    if (run.status === 'queued') {
      store.transaction(() => store.cluster.close(id));
      return false;
    }
    return true;
  }

  activeIds(): number[] {
    return this.o.store.cluster.openRuns().map((r) => r.runId);
  }

  // ---- workers ----

  async workers(): Promise<WorkerHeartbeat[]> {
    const names = (await this.redis.call('SMEMBERS', WORKERS_SET)) as string[];
    if (names.length === 0) return [];
    const values = (await this.redis.call('MGET', ...names.map(workerKey))) as (string | null)[];
    const alive: WorkerHeartbeat[] = [];
    const gone: string[] = [];
    values.forEach((v, i) => (v ? alive.push(JSON.parse(v) as WorkerHeartbeat) : gone.push(names[i])));
    if (gone.length > 0) await this.redis.call('SREM', WORKERS_SET, ...gone);
    return alive.sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * The cluster as the Workers screen shows it. Bounded: the client queues commands
   * while it reconnects (BullMQ needs maxRetriesPerRequest: null), so a Redis that
   * died before the client saw its socket close, or one that stopped answering,
   * would otherwise leave this call, and the screen that asked, waiting forever.
   */
  async status(): Promise<ClusterStatus> {
    const base = { redisUrl: maskRedisUrl(this.o.redisUrl), connected: this.connected, error: this.lastError };
    if (!this.connected) return { ...base, workers: [] };
    let timer: NodeJS.Timeout | undefined;
    const silence = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${STATUS_TIMEOUT_MS / 1000} s`)), STATUS_TIMEOUT_MS);
    });
    try {
      return { ...base, workers: await Promise.race([this.workers(), silence]) };
    } catch (error) {
      const silent = error instanceof Error && error.message.startsWith('no answer within');
      const why = silent ? `Redis at ${maskRedisUrl(this.o.redisUrl)} gave no answer within ${STATUS_TIMEOUT_MS / 1000} s` : describeRedisError(this.o.redisUrl, error);
      return { ...base, connected: silent ? false : base.connected, error: why, workers: [] };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops reading; runs keep training on the workers and are ingested when a coordinator returns. */
  async close(): Promise<void> {
    this.stopped = true;
    this.reader.disconnect();
    await this.loop?.catch(() => {});
    await this.queue.close().catch(() => {});
    this.queueConnection.disconnect();
    this.redis.disconnect();
  }
}
