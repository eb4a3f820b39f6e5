// `kerv worker`: this machine trains runs for a cluster. It takes run jobs from
// the BullMQ queue on Redis, trains each in its own process and reports back
// through Redis to the coordinating workbench (the app or `kerv serve` with
// --redis). Ctrl+C: each run checkpoints where it is and goes back to the queue
// for another worker; a second Ctrl+C stops at once.
import os from 'node:os';
import { join } from 'node:path';
import { CliError, EXIT, intFlag, parseFlags, type CliCommand } from '../command';
import { resolveDataDir } from '../../service/paths';
import { BACKENDS } from '../../shared/run-config';
import packageJson from '../../../package.json';

const usage = `Usage: kerv worker --redis URL [options]

Trains runs for a cluster: takes queued runs and sweeps from Redis (put there by
a workbench started with --redis), trains each in its own process, and sends
progress, results and checkpoints back through Redis. Start one on each machine.

Options:
  --redis URL          the cluster's Redis (default $KERV_REDIS_URL):
                       redis://[user:password@]host[:port][/db], rediss://… for TLS
  --name NAME          this machine's name in the cluster (default: the host name)
  --concurrency N      runs trained at the same time (default 1)
  --backend B          backend for runs whose config says auto: ${BACKENDS.join(', ')}
  --data-dir DIR       dataset cache and checkpoints of runs in progress
                       (default $KERV_DATA_DIR, else ~/.local/share/kerv)
  --stall-timeout S    seconds without a sign of life before this worker's runs
                       move to another worker (default 30)
  --max-checkpoint-mb N  largest checkpoint sent through Redis (default 256)
  -h, --help           show this help

Ctrl+C: running runs checkpoint and go back to the queue (another worker
continues them); a second Ctrl+C stops at once.`;

const command: CliCommand = {
  name: 'worker',
  summary: 'train queued runs for a cluster (BullMQ on Redis)',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, {
      redis: { type: 'string' },
      name: { type: 'string' },
      concurrency: { type: 'string' },
      backend: { type: 'string' },
      'data-dir': { type: 'string' },
      'stall-timeout': { type: 'string' },
      'max-checkpoint-mb': { type: 'string' },
    });
    const redisUrl = values.redis ?? process.env.KERV_REDIS_URL;
    if (!redisUrl) throw new CliError('kerv worker needs --redis URL (or KERV_REDIS_URL), e.g. --redis redis://coordinator-host:6379');
    const name = values.name ?? os.hostname();
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) throw new CliError(`--name must be 1–64 letters, digits, '.', '_' or '-', got '${name}'`);
    if (values.backend !== undefined && !(BACKENDS as readonly string[]).includes(values.backend)) throw new CliError(`--backend must be one of ${BACKENDS.join(', ')}, got '${values.backend}'`);
    const concurrency = intFlag('concurrency', values.concurrency, 1, 64) ?? 1;
    const stallS = intFlag('stall-timeout', values['stall-timeout'], 2, 3600) ?? 30;
    const maxMb = intFlag('max-checkpoint-mb', values['max-checkpoint-mb'], 1, 4096) ?? 256;
    const dataDir = resolveDataDir(values['data-dir']);

    const { parseRedisUrl } = await import('../../service/cluster/redis');
    try {
      parseRedisUrl(redisUrl);
    } catch (error) {
      throw new CliError(`--redis: ${(error as Error).message}`);
    }
    const { ClusterWorker } = await import('../../service/cluster/cluster-worker');
    const { forkLauncher } = await import('../../service/worker/launcher');
    const worker = new ClusterWorker({
      redisUrl,
      name,
      concurrency,
      backend: values.backend === 'auto' ? undefined : values.backend,
      workDir: join(dataDir, 'worker'),
      datasetsDir: join(dataDir, 'datasets'),
      launcher: forkLauncher(),
      appVersion: packageJson.version,
      stallTimeoutMs: stallS * 1000,
      maxCheckpointBytes: maxMb * 1024 * 1024,
    });
    try {
      await worker.start();
    } catch (error) {
      throw new CliError((error as Error).message, EXIT.failed);
    }
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    console.log(`\n${signal}: checkpointing ${worker.runningIds().length} run(s) and handing them back to the queue (Ctrl+C again to stop at once)`);
    process.once('SIGINT', () => process.exit(EXIT.interrupted));
    await worker.close();
    console.log(`worker ${name}: stopped`);
    return EXIT.ok;
  },
};

export default command;
