// How a sweep fills the GPU (issue 20): k processes train the same model at once
// on the one GPU, as k runs of a sweep do, for 1, 2, 4, 8… at once. Each process
// warms up (pipelines compiled, buffers pooled), says so, and waits; when all are
// ready the parent starts them together, and each counts the steps it completes in
// the same window, keeping two steps in flight as the run loop does
// (engine/train/step-buffer.ts). The summed images/s over k, against one process
// alone, is how much sooner k runs finish than one after another.
import * as tf from '@tensorflow/tfjs';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { buildStep, syntheticBatch, type StepCase, type StepCaseOptions } from './step-cases';

export interface SweepOptions extends StepCaseOptions {
  model: StepCase;
  batch: number;
  warmup: number;
  /** Length of the measured window, in seconds. */
  seconds: number;
}

export interface SweepRow {
  runs: number;
  imagesPerSecond: number;
  /** Summed throughput over one process's: how many times sooner k runs end than in sequence. */
  speedup: number;
}

/** Steps in flight while counting, as in training. */
const IN_FLIGHT = 2;

/** The child's side: warm up, report ready, wait for "go", count completed steps for `seconds`, report. */
export async function sweepWorker(options: SweepOptions): Promise<void> {
  const built = buildStep(options.model, options);
  const { x, y } = syntheticBatch(options.batch, options.size);
  for (let i = 0; i < options.warmup; i++) {
    const metrics = built.step(x, y, 0.01);
    await metrics.data();
    metrics.dispose();
  }
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) if (line.trim() === 'go') break;
  const end = performance.now() + options.seconds * 1000;
  const inFlight: { read: Promise<unknown>; metrics: tf.Tensor }[] = [];
  let completed = 0;
  while (performance.now() < end) {
    const metrics = built.step(x, y, 0.01);
    inFlight.push({ read: metrics.data(), metrics });
    if (inFlight.length > IN_FLIGHT) {
      const oldest = inFlight.shift() as { read: Promise<unknown>; metrics: tf.Tensor };
      await oldest.read;
      oldest.metrics.dispose();
      if (performance.now() <= end) completed += 1;
    }
  }
  process.stdout.write(`${JSON.stringify({ steps: completed, images: completed * options.batch, seconds: options.seconds })}\n`);
  process.exit(0);
}

function child(script: string, args: string[]): { proc: ChildProcess; next: () => Promise<Record<string, number | boolean>> } {
  const proc = spawn(process.execPath, [script, ...args, '--sweep-worker'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout as NonNullable<ChildProcess['stdout']> });
  const queue: string[] = [];
  let waiting: ((line: string) => void) | null = null;
  lines.on('line', (line) => {
    if (!line.startsWith('{')) return; // backend notes
    if (waiting) {
      const w = waiting;
      waiting = null;
      w(line);
    } else queue.push(line);
  });
  const next = () =>
    new Promise<Record<string, number | boolean>>((resolve, reject) => {
      const take = (line: string) => resolve(JSON.parse(line));
      const early = queue.shift();
      if (early) return take(early);
      waiting = take;
      proc.once('exit', (code) => reject(new Error(`a sweep process exited with code ${code} before reporting`)));
    });
  return { proc, next };
}

/** The parent's side: for each count, that many processes at once; the summed throughput. */
export async function runSweep(counts: number[], script: string, childArgs: string[], seconds: number, batch: number): Promise<SweepRow[]> {
  const rows: SweepRow[] = [];
  for (const runs of counts) {
    const children = Array.from({ length: runs }, () => child(script, childArgs));
    await Promise.all(children.map((c) => c.next())); // every one warmed up
    for (const c of children) c.proc.stdin?.write('go\n');
    const results = await Promise.all(children.map((c) => c.next()));
    const images = results.reduce((sum, r) => sum + (r.images as number), 0);
    const imagesPerSecond = images / seconds;
    rows.push({ runs, imagesPerSecond, speedup: rows.length > 0 ? imagesPerSecond / rows[0].imagesPerSecond : 1 });
    console.log(`${runs} at once: ${imagesPerSecond.toFixed(0)} images/s (batch ${batch})`);
  }
  return rows;
}

export function sweepMarkdown(rows: SweepRow[], model: string, batch: number, seconds: number): string {
  return [
    `| ${model}, batch ${batch}: runs at once | images/s, all runs | × one run (k runs end this much sooner than in sequence) |`,
    '| ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.runs} | ${r.imagesPerSecond.toFixed(0)} | ${r.speedup.toFixed(2)} |`),
    '',
    `Each count: that many processes training at once on the one GPU, counted over the same ${seconds} s window after every one had warmed up.`,
  ].join('\n');
}
