// `npm run bench:cluster`: the cluster path, measured with real parts — a private
// redis-server, the real coordinator (ClusterCoordinator in a Workbench, writing
// its SQLite) and real `kerv worker` processes. Appends a section to
// bench/RESULTS.md. Not a test: nothing here asserts a time.
//
// 1. Progress-ingest latency, worker → Redis stream → coordinator's SQLite commit:
//    a producer posts the exact stream entries a worker posts (a 'steps' message of
//    25 steps, one engine tick's worth, per entry) for 8 runs at once, paced and
//    then as fast as it can; latency is from XADD to the coordinator's event after
//    the commit. p50/p99 and entries/s.
// 2. Sweep throughput: the same sweep of tiny runs (MLP, 500 Fashion-MNIST images,
//    1 epoch) trained by the embedded scheduler (no Redis, concurrency 1), then
//    through Redis by 1 and by 2 `kerv worker` processes on this machine. On 2
//    cores parity is expected: the rows prove the path and show its overhead.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StepMetrics } from '../src-main/shared/progress';
import { encodeEntry, runKeys, type StreamMessage } from '../src-main/service/cluster/protocol';
import { createRedisClient } from '../src-main/service/cluster/redis';
import { Workbench } from '../src-main/service/workbench';
import { startRedis, startWorker, waitFor } from '../test/integration/cluster/helpers';
import { storeOf } from '../test/integration/service/helpers';
import { describeMachine, runBenchmark } from './machine';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');
const RESULTS = join(ROOT, 'bench/RESULTS.md');
const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const SWEEP_RUNS = quick ? 2 : 4;
const INGEST_ENTRIES = quick ? 200 : 2000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface Row {
  section: string;
  variant: string;
  value: string;
  detail: string;
}

/** Ingest latency through the real coordinator: entries posted like a worker's, timed to the post-commit event. */
async function ingestLatency(url: string, paced: boolean): Promise<Row> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'kerv-bench-coordinator-'));
  const wb = await Workbench.open({ dataDir, appVersion: 'bench', redisUrl: url, clusterLocalWorker: false, startQueue: true });
  const producer = createRedisClient(url);
  await producer.connect();
  try {
    const coordinator = storeOf(wb).cluster.state('coordinator-id')!;
    const keys = runKeys(coordinator);
    const config = { backend: 'wasm', dataset: { name: 'fashion-mnist', trainSubset: 500 }, model: { arch: 'mlp', widthMultiplier: 0.25 }, epochs: 1 };
    // Eight runs the coordinator believes a worker holds (queued → claimed → running), as in a real cluster.
    const runs: number[] = [];
    for (let i = 0; i < 8; i++) runs.push((await wb.invoke('runs:start', { config: config as never })).id);
    await waitFor('runs handed over', () => runs.every((id) => storeOf(wb).cluster.get(id)?.open === true), 600_000);
    // No worker runs on this Redis (the jobs just wait): claim the runs as a worker would.
    const post = (runId: number, message: StreamMessage) => producer.call('XADD', keys.progress, '*', ...encodeEntry({ runId, attempt: 1, worker: 'bench', message }));
    for (const id of runs) await post(id, { kind: 'claimed', fromStep: 0 });
    await waitFor('runs running', () => runs.every((id) => storeOf(wb).runs.get(id)!.status === 'running'), 600_000);

    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    const off = wb.on('run:progress', ({ id, steps }) => {
      const key = `${id}:${steps[0]?.step}`;
      const t = sentAt.get(key);
      if (t !== undefined) latencies.push(performance.now() - t);
    });
    const nextStep = new Map(runs.map((id) => [id, 1]));
    const started = performance.now();
    for (let i = 0; i < INGEST_ENTRIES; i++) {
      const id = runs[i % runs.length];
      const first = nextStep.get(id)!;
      const steps: StepMetrics[] = Array.from({ length: 25 }, (_, k) => ({
        step: first + k,
        epoch: 1,
        loss: 1 / (first + k),
        accuracy: 0.5,
        learningRate: 0.01,
        imagesPerSecond: 1000,
        wallTimeMs: first + k,
      }));
      nextStep.set(id, first + 25);
      sentAt.set(`${id}:${first}`, performance.now());
      await post(id, { kind: 'progress', progress: { type: 'steps', steps } });
      // Paced: 8 runs each reporting 4 times a second, a busy but ordinary cluster.
      if (paced) await sleep(1000 / 32);
    }
    await waitFor('every entry ingested', () => latencies.length >= INGEST_ENTRIES, 300_000);
    const seconds = (performance.now() - started) / 1000;
    off();
    const sorted = latencies.sort((a, b) => a - b);
    const stored = runs.reduce((n, id) => n + storeOf(wb).metrics.metrics(id).steps.step.length, 0);
    return {
      section: 'ingest',
      variant: paced ? 'paced: 8 runs × 4 entries/s' : 'burst: as fast as one producer posts',
      value: `p50 ${percentile(sorted, 50).toFixed(1)} ms · p99 ${percentile(sorted, 99).toFixed(1)} ms`,
      detail: `${INGEST_ENTRIES} entries (${stored.toLocaleString('en')} steps stored) in ${seconds.toFixed(1)} s = ${(INGEST_ENTRIES / seconds).toFixed(0)} entries/s`,
    };
  } finally {
    producer.disconnect();
    await wb.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Wall time of one sweep, from sweeps:start until every run completed. */
async function sweep(label: string, url: string | null, workerCount: number): Promise<Row> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'kerv-bench-sweep-'));
  // The workers' defaults (no short --stall-timeout as in the tests).
  const workers = url ? await Promise.all(Array.from({ length: workerCount }, (_, i) => startWorker(url, `bench-${i + 1}`, []))) : [];
  const wb = await Workbench.open({ dataDir, appVersion: 'bench', redisUrl: url, clusterLocalWorker: false, concurrency: 1 });
  try {
    const base = { backend: 'wasm', dataset: { name: 'fashion-mnist', trainSubset: 500, testSubset: 200 }, model: { arch: 'mlp', widthMultiplier: 0.25 }, epochs: 1, batchSize: 64, sampleCount: 8 };
    const started = performance.now();
    const { runIds } = await wb.invoke('sweeps:start', { base: base as never, grid: {}, repeats: SWEEP_RUNS });
    await waitFor('the sweep', () => runIds.every((id) => ['completed', 'failed', 'cancelled'].includes(storeOf(wb).runs.get(id)!.status)), 600_000);
    const seconds = (performance.now() - started) / 1000;
    const completed = runIds.filter((id) => storeOf(wb).runs.get(id)!.status === 'completed').length;
    return {
      section: 'sweep',
      variant: label,
      value: `${((completed / seconds) * 60).toFixed(2)} runs/min`,
      detail: `${completed}/${runIds.length} runs completed in ${seconds.toFixed(1)} s`,
    };
  } finally {
    await wb.close();
    for (const w of workers) {
      await w.stop('SIGINT');
      rmSync(w.dataDir, { recursive: true, force: true });
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<string> {
  const machine = describeMachine();
  const rows: Row[] = [];
  // Each measurement gets its own Redis, so nothing one leaves behind (queued jobs) reaches the next.
  const withRedis = async (fn: (url: string) => Promise<Row>) => {
    const redis = await startRedis();
    try {
      rows.push(await fn(redis.url));
    } finally {
      await redis.dispose();
    }
  };
  await withRedis((url) => ingestLatency(url, true));
  await withRedis((url) => ingestLatency(url, false));
  rows.push(await sweep('embedded scheduler, no Redis (concurrency 1)', null, 0));
  await withRedis((url) => sweep('cluster: 1 kerv worker', url, 1));
  await withRedis((url) => sweep('cluster: 2 kerv workers', url, 2));
  const loadAtEnd = os.loadavg();
  const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' / ');
  return [
    '',
    `## ${machine.date} — cluster (bench/cluster-bench.ts${quick ? ', --quick: sizes too small to mean anything' : ''})`,
    '',
    `- Machine: ${machine.cpuModel}, ${machine.cores} cores, ${(machine.ramBytes / 2 ** 30).toFixed(1)} GiB RAM; ${machine.os}; node ${machine.node}; Redis on the same machine`,
    `- Load average (1/5/15 min): ${load(machine.loadAtStart)} at start, ${load(loadAtEnd)} at end`,
    `- Ingest: a producer posts the entries a worker posts (one 'steps' message of 25 steps each) to the coordinator's stream; latency = XADD → event after the SQLite commit. Sweep: ${SWEEP_RUNS} runs of MLP ×0.25, 500 Fashion-MNIST images, 1 epoch, wasm; wall time from sweeps:start to the last run completed (process start-up included).`,
    '',
    '| Section | Variant | Result | Detail |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.section} | ${r.variant} | ${r.value} | ${r.detail} |`),
    '',
  ].join('\n');
}

runBenchmark(main, args.has('--no-results') ? null : RESULTS);
