// The store's benchmark (not a test): (a) the runs list over a 10,000-run
// history — filter + sort + one page of 100 rows, median ms per query shape —
// and (b) how many step rows per second the progress writer ingests (one
// transaction per batch, as the service writes them) while another process polls
// the same file the way the UI does. Prints a table; returns the rows for
// bench/run.ts (StoreRow shape: what, medianMs, throughput, maxRssBytes).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { RunListQuery } from '../src-main/shared/api';
import type { StepMetrics } from '../src-main/shared/progress';
import { KERNEL_TYPES, parseRunConfig } from '../src-main/shared/run-config';
import { Store } from '../src-main/store/store';

export interface StoreBenchOptions {
  /** Fewer repetitions and a shorter ingest window. */
  quick?: boolean;
  /** Runs in the synthetic history (default 10,000). */
  runs?: number;
  log?: (line: string) => void;
}

interface Row {
  what: string;
  medianMs: number | null;
  throughput: string | null;
  maxRssBytes: number | null;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const STATUSES = ['completed', 'completed', 'completed', 'failed', 'cancelled', 'interrupted'] as const;

/** A history like a busy researcher's: sweeps of kernels × seeds, most completed, with metrics on the rows. */
function fillHistory(store: Store, count: number): number[] {
  const groups: number[] = [];
  store.transaction(() => {
    for (let g = 0; g < count / 50; g++) groups.push(store.runs.createGroup(`sweep ${g}`, 'sweep', null));
    for (let i = 0; i < count; i++) {
      const kernel = KERNEL_TYPES[i % KERNEL_TYPES.length];
      const config = parseRunConfig({ seed: i % 5, model: { arch: i % 3 ? 'lenet5' : 'resnet-small', kernel: { type: kernel } }, optimizer: { lr: [0.1, 0.01, 0.001][i % 3] } });
      const id = store.runs.insert({ name: `run ${i} ${kernel}`, config, configHash: String(i), groupId: groups[Math.floor(i / 50)], tags: i % 7 ? [] : ['paper'] });
      const status = STATUSES[i % STATUSES.length];
      store.runs.transition(id, 'running');
      store.runs.setProgressFields(id, { step: 1000, totalSteps: 1000, durationMs: 1000 * (i % 997), bestValidationAccuracy: ((i * 7919) % 1000) / 1000, testAccuracy: ((i * 104729) % 1000) / 1000 });
      store.runs.transition(id, status, { error: status === 'failed' ? 'worker process was killed (SIGKILL) at step 10' : null });
    }
  });
  return groups;
}

function measureList(store: Store, groups: number[], reps: number): { label: string; ms: number; rows: number; total: number }[] {
  const queries: [string, RunListQuery][] = [
    ['newest first, page 1', { sortBy: 'id', sortDir: 'desc', limit: 100 }],
    ['status=completed, best val acc desc, page 11', { status: ['completed'], sortBy: 'bestValidationAccuracy', sortDir: 'desc', limit: 100, offset: 1000 }],
    ["search 'gaussian', duration asc, page 2", { search: 'gaussian', sortBy: 'durationMs', sortDir: 'asc', limit: 100, offset: 100 }],
    ['one group, name asc', { groupId: groups[Math.floor(groups.length / 2)], sortBy: 'name', sortDir: 'asc', limit: 100 }],
    ['all, name asc, page 50', { sortBy: 'name', sortDir: 'asc', limit: 100, offset: 4900 }],
  ];
  return queries.map(([label, query]) => {
    const times: number[] = [];
    let last = { rows: [] as unknown[], total: 0 };
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      last = store.runs.list(query);
      times.push(performance.now() - t0);
    }
    return { label, ms: median(times), rows: last.rows.length, total: last.total };
  });
}

/** A second process polling the database like the UI: new steps since the last seen, and the runs list. */
const READER = `
const Database = require('better-sqlite3');
const db = new Database(process.argv[1], { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
const steps = db.prepare('SELECT step, loss, accuracy FROM step_metrics WHERE run_id = ? AND step > ? ORDER BY step');
const list = db.prepare("SELECT id, name, status, best_val_acc FROM runs ORDER BY id DESC LIMIT 100");
let seen = 0, polls = 0; const times = [];
const timer = setInterval(() => {
  const t0 = performance.now();
  const rows = steps.all(Number(process.argv[2]), seen);
  if (rows.length) seen = rows[rows.length - 1].step;
  list.all();
  times.push(performance.now() - t0); polls++;
}, 25);
process.on('message', () => { clearInterval(timer); times.sort((a, b) => a - b); process.send({ polls, seen, medianMs: times[Math.floor(times.length / 2)] ?? 0 }, () => process.exit(0)); });
`;

async function measureIngest(store: Store, seconds: number): Promise<{ stepsPerSecond: number; batches: number; reader: { polls: number; seen: number; medianMs: number } }> {
  const id = store.runs.insert({ name: 'ingest', config: parseRunConfig({}), configHash: 'ingest' });
  store.runs.transition(id, 'running');
  const reader = spawn(process.execPath, ['-e', READER, store.file, String(id)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], cwd: process.cwd() });
  await new Promise((r) => setTimeout(r, 300));
  const BATCH = 250; // steps per batch: a fast run at ~1,000 steps/s reports this many per 250 ms tick
  let step = 0;
  let batches = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    const steps: StepMetrics[] = [];
    for (let i = 0; i < BATCH; i++) {
      step++;
      steps.push({ step, epoch: 1 + Math.floor(step / 1000), loss: 1 / step, accuracy: 0.5, learningRate: 0.01, imagesPerSecond: 1000, wallTimeMs: step });
    }
    store.writeProgress(id, [{ type: 'steps', steps }]);
    batches++;
    // Yield so the event loop (and the OS) behave as in the service, where batches arrive as messages.
    await new Promise((r) => setImmediate(r));
  }
  const elapsed = (performance.now() - t0) / 1000;
  const result = await new Promise<{ polls: number; seen: number; medianMs: number }>((resolve, reject) => {
    reader.once('message', (m) => resolve(m as { polls: number; seen: number; medianMs: number }));
    reader.once('exit', (code) => code !== 0 && reject(new Error(`the reader process exited with code ${code}`)));
    reader.send('stop');
  });
  return { stepsPerSecond: step / elapsed, batches, reader: result };
}

export async function runStoreBench(options: StoreBenchOptions = {}): Promise<Row[]> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const count = options.runs ?? 10_000;
  const dir = mkdtempSync(join(os.tmpdir(), 'kerv-store-bench-'));
  const store = Store.open({ file: join(dir, 'workbench.sqlite') });
  try {
    const t0 = performance.now();
    const groups = fillHistory(store, count);
    const fillMs = performance.now() - t0;
    const list = measureList(store, groups, options.quick ? 5 : 25);
    const ingest = await measureIngest(store, options.quick ? 1.5 : 4);
    const rss = process.memoryUsage().rss;
    const rows: Row[] = [
      ...list.map((q) => ({ what: `runs list (${count.toLocaleString('en-US')} runs): ${q.label}`, medianMs: q.ms, throughput: `${q.rows} of ${q.total} rows`, maxRssBytes: null })),
      {
        what: `step ingest, 1 transaction per 250-step batch, reader polling every 25 ms`,
        medianMs: null,
        throughput: `${Math.round(ingest.stepsPerSecond).toLocaleString('en-US')} steps/s (${Math.round(ingest.stepsPerSecond * 4).toLocaleString('en-US')} metric points/s)`,
        maxRssBytes: rss,
      },
      { what: 'reader poll during ingest (new steps + runs page)', medianMs: ingest.reader.medianMs, throughput: `${ingest.reader.polls} polls, saw ${ingest.reader.seen.toLocaleString('en-US')} steps`, maxRssBytes: null },
    ];
    log(`store: filled ${count.toLocaleString('en-US')} runs in ${(fillMs / 1000).toFixed(1)} s`);
    log(['| what | median ms | throughput |', '| --- | ---: | --- |', ...rows.map((r) => `| ${r.what} | ${r.medianMs === null ? '' : r.medianMs.toFixed(2)} | ${r.throughput ?? ''} |`)].join('\n'));
    return rows;
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
