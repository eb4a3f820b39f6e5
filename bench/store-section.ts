// Section c: the SQLite store, measured by bench/store-bench.ts (written by the
// store's engineer): the runs list over a 10,000-run history and step ingest
// while a second process polls the same file.
import type { BenchOptions } from './options';
import { runStoreBench } from './store-bench';

export interface StoreRow {
  what: string;
  medianMs: number | null;
  /** Formatted, with its unit (e.g. "12,400 steps/s"). */
  throughput: string | null;
  maxRssBytes: number | null;
}

export async function runStoreSection(options: BenchOptions): Promise<StoreRow[]> {
  // The store benchmark prints its own table; ours is the one that counts.
  return runStoreBench({ quick: options.quick, log: (line) => process.stderr.write(`[bench] ${line.split('\n')[0]}\n`) });
}
