// What the numbers were measured on: written with every result so a table can be
// traced to its machine, its load and its versions.
import os from 'node:os';
import { appendFileSync, readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  ramBytes: number;
  os: string;
  node: string;
  tfjs: string;
  /** 1, 5 and 15-minute load averages when the run started and when it ended. */
  loadAtStart: number[];
  loadAtEnd: number[] | null;
  date: string;
}

function osName(): string {
  try {
    const release = readFileSync('/etc/os-release', 'utf8');
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(release)?.[1];
    if (pretty) return `${pretty}, ${os.type()} ${os.release()} ${os.arch()}`;
  } catch {
    // Not Linux, or no os-release: the kernel description is enough.
  }
  return `${os.type()} ${os.release()} ${os.arch()}`;
}

export function describeMachine(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    ramBytes: os.totalmem(),
    os: osName(),
    node: process.versions.node,
    tfjs: tf.version.tfjs,
    loadAtStart: os.loadavg(),
    loadAtEnd: null,
    date: new Date().toISOString(),
  };
}

/**
 * A benchmark script's end: prints the report `main` returns and appends it to
 * `resultsFile` (null: print only), then exits, so that no handle left open keeps
 * it alive; on an error, prints it and exits 1.
 */
export function runBenchmark(main: () => Promise<string>, resultsFile: string | null): void {
  main().then(
    (text) => {
      console.log(text);
      if (resultsFile) appendFileSync(resultsFile, text);
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
