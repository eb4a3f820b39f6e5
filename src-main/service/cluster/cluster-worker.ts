// A cluster worker: takes run jobs from the BullMQ queue and trains each in its
// own process, exactly as the local scheduler does (the same launcher and
// training entry, worker/launcher.ts), forwarding every message of the training
// process to the progress stream in order. `kerv worker` runs one; a
// coordinating workbench can run one in-process so its own machine trains too.
//
// Per job: parse the config with the run schema (a job is data, never code) →
// take the next attempt number (fencing) → fetch the run's newest checkpoint from
// Redis, if any → report 'claimed' → train → on 'started', check the dataset
// fingerprint against the one the run trained on and refuse a mismatch → upload
// each checkpoint before reporting it → report the outcome.
//
// Faults: a worker killed with kill -9 stops renewing its job lock; BullMQ's
// stalled-job check (in the other workers) puts the job back in the queue and
// another worker continues from the checkpoint in Redis. Ctrl+C (close) asks each
// training process to stop: it checkpoints where it is, the checkpoint is
// uploaded, and the job fails over to the queue for another worker.
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Worker, type Job } from 'bullmq';
import type { RungPlan } from '../../shared/asha';
import type { TrainOutcome, TrainProgress } from '../../shared/progress';
import { parseRunConfig, type RunConfig } from '../../shared/run-config';
import { availableCores, coreShare } from '../../engine/backend/cores';
import type { FromWorker } from '../worker/messages';
import type { WorkerHandle, WorkerLauncher } from '../worker/launcher';
import { DEFAULT_MAX_CHECKPOINT_BYTES, downloadCheckpoint, uploadCheckpoint } from './checkpoint-transfer';
import { CANCEL_CHANNEL, cancelMessage, decodeVerdict, encodeEntry, VERDICT_CHANNEL, QUEUE_NAME, runJobSchema, runKeys, workerKey, WORKERS_SET, type RunKeys, type StreamMessage, type WorkerHeartbeat } from './protocol';
import { createRedisClient, describeRedisError, maskRedisUrl, probeRedis, type RedisClient } from './redis';

export interface ClusterWorkerOptions {
  redisUrl: string;
  /** This machine's name in the cluster (default: the host name). */
  name: string;
  /** Runs trained at once. */
  concurrency: number;
  /** Backend for runs whose config says 'auto'; default: the job's (the coordinator's setting). */
  backend?: string;
  /** Where runs in progress keep their checkpoints (<workDir>/runs/<id>/checkpoint). */
  workDir: string;
  datasetsDir: string;
  launcher: WorkerLauncher;
  appVersion: string;
  /** How long a job's lock lives without renewal: how soon a dead worker's runs move (default 30 s). */
  stallTimeoutMs?: number;
  heartbeatMs?: number;
  maxCheckpointBytes?: number;
  /** How long a training process may take to checkpoint and stop on close (default 60 s). */
  stopGraceMs?: number;
  log?: (line: string) => void;
}

interface ActiveJob {
  runId: number;
  keys: RunKeys;
  jobId: string;
  handle: WorkerHandle;
  /** The user cancelled the run. */
  cancelled: boolean;
  /** This worker is stopping: the run goes back to the queue after its checkpoint. */
  releasing: boolean;
  /** The job lock was lost (another worker has the run): stop quietly. */
  lost: boolean;
  /** The dataset fingerprint did not match: the training process was stopped. */
  refused: boolean;
  /** The run was handed back to the queue (reported 'released'). */
  released: boolean;
  step: number;
  killTimer: NodeJS.Timeout | null;
  /** The ASHA rung epoch whose verdict the run waits for (its training process asked), if any. */
  awaitingVerdict: number | null;
}

export class ClusterWorker {
  private redis: RedisClient | null = null;
  private subscriber: RedisClient | null = null;
  private worker: Worker | null = null;
  /** BullMQ does not close a connection it was given: close() does. */
  private jobsConnection: RedisClient | null = null;
  /** Runs in progress, by cancelMessage(coordinator, runId). */
  private readonly active = new Map<string, ActiveJob>();
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  private readonly startedAt = new Date().toISOString();
  private environment = { backend: 'auto', device: os.cpus()[0]?.model ?? 'unknown CPU' };
  private readonly log: (line: string) => void;

  constructor(private readonly o: ClusterWorkerOptions) {
    this.log = o.log ?? ((line) => console.log(line));
    if (o.backend) this.environment.backend = o.backend;
  }

  /** Connects (a wrong password or an unreachable server fails here, clearly) and starts taking jobs. */
  async start(): Promise<void> {
    await probeRedis(this.o.redisUrl);
    this.redis = createRedisClient(this.o.redisUrl, { connectionName: `kerv-worker:${this.o.name}` });
    this.subscriber = createRedisClient(this.o.redisUrl, { connectionName: `kerv-worker:${this.o.name}:cancel` });
    await this.redis.connect();
    await this.subscriber.connect();
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === CANCEL_CHANNEL) this.cancelRun(message);
      else if (channel === VERDICT_CHANNEL) void this.relayVerdict(message);
    });
    await this.subscriber.subscribe(CANCEL_CHANNEL, VERDICT_CHANNEL);
    const stallMs = this.o.stallTimeoutMs ?? 30_000;
    this.jobsConnection = createRedisClient(this.o.redisUrl, { connectionName: `kerv-worker:${this.o.name}:jobs` });
    this.worker = new Worker(QUEUE_NAME, (job) => this.process(job), {
      connection: this.jobsConnection as never,
      concurrency: this.o.concurrency,
      lockDuration: stallMs,
      stalledInterval: Math.max(1000, Math.round(stallMs / 2)),
      // A run may outlive many workers; it fails only on its own merits.
      maxStalledCount: 1000,
    });
    this.worker.on('error', (error) => this.log(`worker ${this.o.name}: ${describeRedisError(this.o.redisUrl, error)}`));
    this.worker.on('lockRenewalFailed', (jobIds: string[]) => {
      for (const a of this.active.values()) {
        if (!jobIds.includes(a.jobId)) continue;
        this.log(`worker ${this.o.name}: lost the lock of run ${a.runId} (another worker continues it); stopping its training here`);
        a.lost = true;
        a.handle.kill();
      }
    });
    await this.heartbeat();
    this.heartbeatTimer = setInterval(() => void this.heartbeat().catch(() => {}), this.o.heartbeatMs ?? 2000);
    this.log(`worker ${this.o.name}: taking runs from ${maskRedisUrl(this.o.redisUrl)} (${this.o.concurrency} at a time)`);
  }

  runningIds(): number[] {
    return [...this.active.values()].map((a) => a.runId);
  }

  /**
   * Stops taking jobs; each run in progress checkpoints where it is, its
   * checkpoint goes to Redis and its job back to the queue for another worker.
   */
  async close(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const a of this.active.values()) {
      a.releasing = true;
      a.handle.send({ type: 'cancel' });
      a.killTimer = setTimeout(() => a.handle.kill(), this.o.stopGraceMs ?? 60_000);
    }
    await this.worker?.close();
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    try {
      await this.redis?.call('DEL', workerKey(this.o.name));
      await this.redis?.call('SREM', WORKERS_SET, this.o.name);
    } catch {
      // Redis is gone: the heartbeat expires by itself.
    }
    this.subscriber?.disconnect();
    this.jobsConnection?.disconnect();
    this.redis?.disconnect();
  }

  private cancelRun(key: string): void {
    const a = this.active.get(key);
    if (!a || a.cancelled) return;
    a.cancelled = true;
    this.log(`worker ${this.o.name}: run ${a.runId} cancelled by the coordinator`);
    a.handle.send({ type: 'cancel' });
    a.killTimer = setTimeout(() => a.handle.kill(), 10_000);
  }

  /** Passes the coordinator's ASHA verdict, once its key holds one, to the training process that waits for it. */
  private async relayVerdict(key: string): Promise<void> {
    const a = this.active.get(key);
    const epoch = a?.awaitingVerdict;
    if (!a || epoch == null || !this.redis) return;
    const verdict = decodeVerdict((await this.redis.call('GET', a.keys.verdict(a.runId, epoch))) as string | null);
    if (!verdict || verdict.epoch !== epoch || a.awaitingVerdict !== epoch) return;
    a.awaitingVerdict = null;
    this.log(`worker ${this.o.name}: run ${a.runId} ${verdict.stop ? 'stops' : 'continues'} at its ASHA rung (epoch ${epoch})`);
    a.handle.send({ type: 'verdict', verdict });
  }

  private async heartbeat(): Promise<void> {
    const redis = this.redis;
    if (!redis) return;
    const beat: WorkerHeartbeat = {
      name: this.o.name,
      backend: this.environment.backend,
      device: this.environment.device,
      cores: availableCores(),
      memoryMb: Math.round(os.totalmem() / 1048576),
      freeMemoryMb: Math.round(os.freemem() / 1048576),
      load: os.loadavg()[0],
      concurrency: this.o.concurrency,
      runs: this.runningIds(),
      pid: process.pid,
      startedAt: this.startedAt,
      heartbeatAt: new Date().toISOString(),
    };
    const ttlMs = (this.o.heartbeatMs ?? 2000) * 5;
    await redis.call('SET', workerKey(this.o.name), JSON.stringify(beat), 'PX', ttlMs);
    await redis.call('SADD', WORKERS_SET, this.o.name);
    // A cancel published while this worker was disconnected is still in its key.
    // So is a verdict published then.
    for (const [key, a] of this.active) {
      if (Number(await redis.call('EXISTS', a.keys.cancel(a.runId))) === 1) this.cancelRun(key);
      if (a.awaitingVerdict !== null) await this.relayVerdict(key);
    }
  }

  private async process(job: Job): Promise<string> {
    const redis = this.redis!;
    const parsed = runJobSchema.safeParse(job.data);
    if (!parsed.success) {
      // Not a job of ours, or a tampered one: drop it (there is no run to report to).
      this.log(`worker ${this.o.name}: dropped job ${job.id}: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
      return 'rejected';
    }
    const data = parsed.data;
    const runId = data.runId;
    const keys = runKeys(data.coordinator);
    const attempt = Number(await redis.call('INCR', keys.attempt(runId)));
    const post = (message: StreamMessage) => redis.call('XADD', keys.progress, '*', ...encodeEntry({ runId, attempt, worker: this.o.name, message }));
    let config: RunConfig;
    try {
      config = parseRunConfig(data.config);
    } catch (error) {
      await post({ kind: 'error', message: `worker ${this.o.name} refused the run config: ${(error as Error).message}` });
      return 'rejected';
    }
    if (Number(await redis.call('EXISTS', keys.cancel(runId))) === 1) {
      await post({ kind: 'outcome', outcome: { status: 'cancelled', epoch: 0, step: 0 } });
      return 'cancelled';
    }
    const runDir = join(this.o.workDir, 'runs', `${data.coordinator}-${runId}`);
    const checkpointDir = join(runDir, 'checkpoint');
    rmSync(checkpointDir, { recursive: true, force: true });
    mkdirSync(checkpointDir, { recursive: true });
    mkdirSync(this.o.datasetsDir, { recursive: true });
    const resume = await downloadCheckpoint(redis, keys, runId, checkpointDir, { maxBytes: this.o.maxCheckpointBytes });
    await post({ kind: 'claimed', fromStep: resume?.step ?? 0 });
    this.log(`worker ${this.o.name}: run ${runId} (attempt ${attempt}) ${resume ? `resumes at step ${resume.step}` : 'starts'}`);
    const result = await this.train(job, keys, cancelMessage(data.coordinator, runId), runId, config, post, checkpointDir, resume?.path ?? null, data.appVersion, this.o.backend ?? data.defaultBackend, data.rungs);
    rmSync(runDir, { recursive: true, force: true });
    // Thrown, the job goes back to the queue (BullMQ retries it): another worker continues the run.
    if (result === 'released') throw new Error(`worker ${this.o.name} stopped; the run continues from its checkpoint elsewhere`);
    return result;
  }

  private train(
    job: Job,
    keys: RunKeys,
    activeKey: string,
    runId: number,
    config: RunConfig,
    post: (m: StreamMessage) => Promise<unknown>,
    checkpointDir: string,
    resumeFrom: string | null,
    appVersion: string,
    defaultBackend: string,
    rungs: RungPlan | undefined,
  ): Promise<string> {
    const redis = this.redis!;
    const handle = this.o.launcher.launch();
    const a: ActiveJob = { runId, keys, jobId: String(job.id), handle, cancelled: false, releasing: this.stopping, lost: false, refused: false, released: false, step: 0, killTimer: null, awaitingVerdict: null };
    this.active.set(activeKey, a);
    let reported = false;
    // Messages are forwarded one after another, in the order the training process sent them.
    let chain: Promise<unknown> = Promise.resolve();

    const forwardProgress = async (p: TrainProgress) => {
      if (p.type === 'started') {
        a.step = p.startStep;
        this.environment = { backend: p.environment.backend, device: p.environment.device };
        await redis.call('SET', keys.fingerprint(runId), p.dataset.fingerprint, 'NX');
        const expected = (await redis.call('GET', keys.fingerprint(runId))) as string | null;
        if (expected !== null && expected !== p.dataset.fingerprint) {
          a.refused = true;
          handle.kill();
          reported = true;
          await post({
            kind: 'error',
            message: `worker ${this.o.name} refused run ${runId}: its ${p.dataset.name} data has fingerprint ${p.dataset.fingerprint}, but the run trained on data with fingerprint ${expected}. Give this machine the same dataset files (or train the run elsewhere).`,
          });
          return;
        }
      } else if (p.type === 'steps' && p.steps.length > 0) {
        a.step = p.steps[p.steps.length - 1].step;
      } else if (p.type === 'checkpoint') {
        try {
          await uploadCheckpoint(redis, keys, runId, p.path, { step: p.step, epoch: p.epoch }, this.o.maxCheckpointBytes ?? DEFAULT_MAX_CHECKPOINT_BYTES);
        } catch (error) {
          await post({ kind: 'progress', progress: { type: 'log', level: 'warn', message: `checkpoint at step ${p.step} stays on worker ${this.o.name}: ${(error as Error).message}` } });
          return;
        }
      }
      await post({ kind: 'progress', progress: p });
    };

    const forward = async (msg: FromWorker) => {
      if (a.refused || a.lost) return;
      if (msg.type === 'progress') return forwardProgress(msg.progress);
      if (msg.type === 'rung') {
        // The coordinator decides (it has every run's values); its verdict comes back through Redis.
        a.awaitingVerdict = msg.epoch;
        await post({ kind: 'rung', epoch: msg.epoch, value: msg.value });
        return this.relayVerdict(activeKey);
      }
      reported = true;
      if (msg.type === 'error') return post({ kind: 'error', message: `on worker ${this.o.name}: ${msg.message}` });
      if (msg.type !== 'outcome') return; // a run never sends the learning-rate finder's messages
      const outcome: TrainOutcome = msg.outcome;
      if (outcome.status === 'cancelled' && a.releasing && !a.cancelled) {
        a.released = true;
        return post({ kind: 'released', step: outcome.step, reason: `worker ${this.o.name} stopped at step ${outcome.step}` });
      }
      return post({ kind: 'outcome', outcome });
    };

    return new Promise<string>((resolve) => {
      handle.onMessage((msg) => {
        chain = chain.then(() => forward(msg)).catch((error: unknown) => this.log(`worker ${this.o.name}: run ${runId}: ${(error as Error).message}`));
      });
      handle.onExit((code, signal) => {
        void chain.then(async () => {
          if (a.killTimer) clearTimeout(a.killTimer);
          this.active.delete(activeKey);
          if (a.lost) return resolve('lost');
          if (a.refused) return resolve('refused');
          // Stopped by close(): handed back, or killed after the grace period before it reported anything.
          if (a.released || (a.releasing && !reported)) return resolve('released');
          if (!reported) {
            const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
            await post({ kind: 'error', message: `training process on worker ${this.o.name} ${how} at step ${a.step}` }).catch(() => {});
          }
          resolve('done');
        });
      });
      // Its runs at once divide this machine's cores, as the local queue's do.
      const cores = coreShare(availableCores(), this.o.concurrency);
      handle.send({ type: 'start', runId, config, checkpointDir, resumeFrom, cacheDir: this.o.datasetsDir, appVersion, defaultBackend, coreShare: cores, rungs });
    });
  }
}
