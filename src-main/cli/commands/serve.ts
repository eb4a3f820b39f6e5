// `kerv serve`: the workbench UI for a browser. Opens the service on the data
// folder, serves the renderer bundle and the API over HTTP + WebSocket, prints the
// URL (with its access token) and runs until SIGINT/SIGTERM, then shuts down
// cleanly: open sockets closed, running workers stopped by the service, database
// closed.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError, EXIT, intFlag, parseFlags, type CliCommand } from '../command';
import { startServer } from '../../server/server';
import { Workbench } from '../../service/workbench';
import { resolveDataDir } from '../../service/paths';
import { MAX_CONCURRENCY } from '../../shared/run-config';
import packageJson from '../../../package.json';

const usage = `Usage: kerv serve [options]

Serves the workbench UI over HTTP for a browser on this machine.

Options:
  --port <n>        port to listen on (default 5317; 0 picks a free port)
  --host <addr>     address to bind (default 127.0.0.1). Binding another address
                    exposes the UI (it can start and delete runs) to that network;
                    the token in the printed URL is still required. Requests must
                    name the server in their Host header: loopback names and this
                    address are accepted; add the names clients use after commas,
                    e.g. --host 0.0.0.0,gpu-box,gpu-box.lab
  --data-dir <dir>  the data folder (runs database, datasets, checkpoints)
  --concurrency <n> runs trained at the same time (on this machine)
  --redis <url>     coordinate a cluster through this Redis (default $KERV_REDIS_URL,
                    else the saved setting): queued runs go to 'kerv worker' machines
  --no-local-worker with --redis: this machine only coordinates, it trains nothing
  --token <t>       use this access token (16 characters or more) instead of a
                    random one; one that begins with '-' is written --token=<t>
  -h, --help        show this help`;

/** The built renderer: out/renderer beside this bundle's out/node, or the checkout's out/renderer from source. */
function rendererDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, '../renderer'), resolve(here, '../../../out/renderer')];
  const found = candidates.find((dir) => existsSync(join(dir, 'index.html')));
  if (!found) throw new CliError(`The UI bundle is not built (looked in ${candidates.join(', ')}); run 'npm run build:renderer' first.`, EXIT.failed);
  return found;
}

const serve: CliCommand = {
  name: 'serve',
  summary: 'serve the workbench UI over HTTP for a browser',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      concurrency: { type: 'string' },
      token: { type: 'string' },
      redis: { type: 'string' },
      'no-local-worker': { type: 'boolean' },
    });
    const port = intFlag('port', values.port, 0, 65535) ?? 5317;
    const concurrency = intFlag('concurrency', values.concurrency, 1, MAX_CONCURRENCY);
    if (values.token !== undefined && values.token.length < 16) throw new CliError('--token must be at least 16 characters');
    const staticDir = rendererDir();
    const dataDir = resolveDataDir(values['data-dir']);

    const redisUrl = values.redis ?? process.env.KERV_REDIS_URL;
    const workbench = await Workbench.open({
      dataDir,
      appVersion: packageJson.version,
      concurrency,
      redisUrl,
      clusterLocalWorker: !values['no-local-worker'],
    });
    let server;
    try {
      const [bindHost, ...hostNames] = (values.host ?? '').split(',').map((h) => h.trim()).filter(Boolean);
      server = await startServer({ api: workbench, staticDir, host: bindHost, port, token: values.token, allowedHosts: hostNames });
    } catch (error) {
      await workbench.close();
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new CliError(`port ${port} is in use; pass --port 0 for a free one`, EXIT.failed);
      throw error;
    }
    if (server.host !== '127.0.0.1' && server.host !== 'localhost' && server.host !== '::1') {
      console.error(`kerv serve: listening on ${server.host}: anyone who can reach it and has the token can use the workbench.`);
    }
    console.log(`Kervolution Workbench serving ${dataDir}`);
    console.log(`Open ${server.url}`);
    const cluster = await workbench.invoke('cluster:status', undefined);
    if (cluster.connected) console.log(`Coordinating the cluster on ${cluster.redisUrl}`);

    const signal = await new Promise<NodeJS.Signals>((resolvePromise) => {
      process.once('SIGINT', () => resolvePromise('SIGINT'));
      process.once('SIGTERM', () => resolvePromise('SIGTERM'));
    });
    console.log(`\n${signal}: shutting down`);
    await server.close();
    await workbench.close();
    // Ctrl+C is how a server is meant to stop: a clean shutdown is a success.
    return EXIT.ok;
  },
};

export default serve;
