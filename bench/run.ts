// `npm run bench`: the reference CNN's training step on our engine with the
// ordinary convolution and with every kernel, in the product's thread layout
// (every core, data-parallel), and the conv also on threaded XNNPACK and on one
// thread; the same network in PyTorch at 1 thread and at all cores; a LeNet-5
// epoch of Fashion-MNIST (kerv train in each layout) against PyTorch's; the
// store. One markdown table printed and appended to bench/RESULTS.md with the
// machine it ran on. A benchmark, not a test: it asserts nothing about time.
//
// The bundle (out/node/bench.js) is also the entry of its own child processes (one
// per engine variant, --child-engine); data-parallel replicas run the product's
// own bundle (out/node/replica-worker.js).
import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { measureEngineVariant, type EngineResult } from './engine-bench';
import { lenetOurs, lenetTorch } from './lenet5-bench';
import { describeMachine } from './machine';
import { parseBenchOptions, type BenchOptions, type ConvVariant } from './options';
import { renderReport, type BenchResults } from './report';
import { runStoreSection } from './store-section';
import { runTorch, type TorchVariant } from './torch-bench';

const CHILD_FLAG = '--child-engine';
const RESULT_PREFIX = 'KERV_BENCH_RESULT ';

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

/** Measures one engine variant in a fresh process, so its RSS and wasm heap are its own. */
function engineInChild(variant: ConvVariant, argv: string[]): Promise<EngineResult> {
  return new Promise((resolve, reject) => {
    const args = [...process.execArgv, process.argv[1], CHILD_FLAG, variant, ...argv];
    const child = execFile(process.execPath, args, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (line) return resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as EngineResult);
      reject(new Error(`engine variant '${variant}' failed: ${(stderr.trim() || error?.message || 'no result').split('\n').slice(-3).join(' ')}`));
    });
    child.stderr?.on('data', (d: Buffer) => process.stderr.write(d));
  });
}

async function runChild(argv: string[]): Promise<void> {
  const variant = argv[1] as ConvVariant;
  const options = parseBenchOptions(argv.slice(2));
  const result = await measureEngineVariant(variant, options);
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

async function attempt<T>(what: string, results: BenchResults, fn: () => Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch (error) {
    const reason = (error as Error).message;
    log(`${what}: not measured: ${reason}`);
    results.failures.push({ what, reason });
    return null;
  }
}

async function runBench(argv: string[]): Promise<void> {
  const options: BenchOptions = parseBenchOptions(argv);
  const results: BenchResults = { options, machine: describeMachine(), engine: [], torch: [], lenet: [], store: [], failures: [] };
  log(`load average ${results.machine.loadAtStart.map((l) => l.toFixed(2)).join(' ')}; sections ${options.sections.join(', ')}${options.quick ? ' (quick)' : ''}`);

  if (options.sections.includes('engine')) {
    for (const variant of options.variants) {
      log(`engine: ${variant}`);
      const r = await attempt(`engine ${variant}`, results, () => engineInChild(variant, argv));
      if (r) {
        results.engine.push(r);
        log(`engine: ${variant} ${r.medianStepMs.toFixed(1)} ms/step (${r.backend}, ${r.threads} threads, ${r.parallel})`);
      }
    }
    if (options.threads > 1 && options.variants.includes('conv')) {
      // What the threads buy, and which layout buys more: the same step in the other
      // layout and on one thread (after the rows above, which the checks use).
      const other = options.parallel === 'data' ? 'xnnpack' : 'data';
      for (const extra of [['--parallel', other], ['--threads', '1']]) {
        log(`engine: conv ${extra.join(' ')}`);
        const r = await attempt(`engine conv ${extra.join(' ')}`, results, () => engineInChild('conv', [...argv, ...extra]));
        if (r) {
          results.engine.push(r);
          log(`engine: conv ${r.medianStepMs.toFixed(1)} ms/step (${r.threads} threads, ${r.parallel})`);
        }
      }
    }
  }

  if (options.sections.includes('torch')) {
    const matched = results.engine[0]?.threads ?? options.threads;
    const variants: TorchVariant[] = ['conv', 'unfold-polynomial', 'unfold-gaussian'];
    for (const variant of variants) {
      // nn.Conv2d at 1 thread and at all cores; the unfold kervolutions (tens of seconds a step) at our count only.
      const threadCounts = variant === 'conv' ? [...new Set([matched, 1, os.cpus().length])] : [matched];
      for (const threads of threadCounts) {
        log(`torch: ${variant}, ${threads} thread(s)`);
        const r = await attempt(`torch ${variant} ×${threads}`, results, () => runTorch(options, variant, threads));
        if (r) {
          results.torch.push(r);
          log(`torch: ${variant} ×${threads} ${r.medianStepMs.toFixed(1)} ms/step`);
        }
      }
    }
  }

  if (options.sections.includes('lenet5')) {
    // The product's layout first (the target checks use it), then the other layout and one thread.
    const layouts = [
      { threads: options.threads, parallel: options.parallel },
      ...(options.threads > 1 ? [{ threads: options.threads, parallel: options.parallel === 'data' ? ('xnnpack' as const) : ('data' as const) }, { threads: 1, parallel: options.parallel }] : []),
    ];
    for (const layout of layouts) {
      log(`lenet5: one epoch of Fashion-MNIST with kerv train (${layout.threads} threads, ${layout.parallel})`);
      const ours = await attempt(`LeNet-5 epoch (kerv train, ${layout.threads} threads ${layout.parallel})`, results, () => lenetOurs(options, layout));
      if (ours) {
        results.lenet.push(ours);
        log(`lenet5: ours ${(ours.epochMs / 1000).toFixed(1)} s, test accuracy ${(100 * ours.testAccuracy).toFixed(2)}%`);
      }
    }
    for (const threads of [...new Set([options.threads, 1, os.cpus().length])]) {
      log(`lenet5: torch, ${threads} thread(s)`);
      const r = await attempt(`LeNet-5 epoch (torch ×${threads})`, results, () => lenetTorch(options, threads));
      if (r) results.lenet.push(r);
    }
  }

  if (options.sections.includes('store')) {
    log('store');
    results.store = (await attempt('store (bench/store-bench.ts)', results, () => runStoreSection(options))) ?? [];
  }

  results.machine.loadAtEnd = os.loadavg();
  const report = renderReport(results);
  process.stdout.write(`\n${report}`);
  if (options.resultsFile) {
    if (!existsSync(options.resultsFile)) {
      writeFileSync(options.resultsFile, '# Benchmark results\n\nAppended by `npm run bench` (bench/run.ts); newest last. Timings from a shared or loaded machine are noisy: see each run\'s load average.\n\n');
    }
    appendFileSync(options.resultsFile, `\n${report}`);
    log(`appended to ${options.resultsFile}`);
  }
}

const argv = process.argv.slice(2);
const main = argv[0] === CHILD_FLAG ? runChild(argv) : runBench(argv);
main.catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
