// Bundles the plain-Node entry points (CLI, training worker, benchmarks) with
// esbuild. Every npm package stays external: native addons (better-sqlite3,
// tfjs-node) and the wasm backend's .wasm files are resolved from node_modules at
// run time. The Electron main/preload and the renderer are built by electron-vite.
//
//   node scripts/build-node.mjs                 -> out/node (what the tests and `kerv` run)
//   node scripts/build-node.mjs --device DIR    -> DIR: the GPU machine's bundle (bench/gpu/bundle.sh):
//                                                  npm packages inside, but for the native and
//                                                  optional ones, minified
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { watEsbuildPlugin } from './wat.mjs';

const entries = {
  kerv: 'src-main/cli/main.ts',
  'train-worker': 'src-main/service/worker/train-worker.ts',
  // The worker threads of a data-parallel run (engine/parallel/data-parallel.ts finds it beside the others).
  'replica-worker': 'src-main/engine/parallel/replica-worker.ts',
  bench: 'bench/run.ts',
  'gpu-bench': 'bench/gpu/webgpu-step.ts',
  'gpu-report': 'bench/gpu/device-report.ts',
  reproduction: 'bench/reproduction.ts',
  'bench-cluster': 'bench/cluster-bench.ts',
  'bench-asha': 'bench/asha-bench.ts',
};

/** What the GPU machine runs (bench/gpu/device.sh). */
const DEVICE_ENTRIES = ['kerv', 'train-worker', 'replica-worker', 'gpu-bench', 'gpu-report', 'reproduction'];
/** Packages the device bundle leaves out: native addons (carried beside it) and what it never loads. */
const DEVICE_EXTERNAL = ['webgpu', 'better-sqlite3', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'bullmq', 'ioredis'];

const deviceIndex = process.argv.indexOf('--device');
const deviceDir = deviceIndex >= 0 ? process.argv[deviceIndex + 1] : null;
if (deviceIndex >= 0 && !deviceDir) throw new Error('--device needs the output folder');

const chosen = Object.entries(entries).filter(([name, file]) => existsSync(file) && (!deviceDir || DEVICE_ENTRIES.includes(name)));

await build({
  entryPoints: Object.fromEntries(chosen),
  outdir: deviceDir ?? 'out/node',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // Chunks shared between entry points load lazily, so `kerv runs list` does not
  // pay for loading TensorFlow.js.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  ...(deviceDir ? { external: DEVICE_EXTERNAL, minify: true } : { packages: 'external', sourcemap: true }),
  logLevel: 'warning',
  // The wasm backend's SIMD kernels are WebAssembly text, compiled here (scripts/wat.mjs).
  plugins: [watEsbuildPlugin()],
  // Bundled ESM still needs require() (CommonJS packages imported lazily) and, in the
  // device bundle, CommonJS code bundled in that reads __filename / __dirname.
  banner: {
    js: deviceDir
      ? "import { createRequire as __kervCreateRequire } from 'node:module'; import { fileURLToPath as __kervFileURLToPath } from 'node:url'; import { dirname as __kervDirname } from 'node:path'; const require = __kervCreateRequire(import.meta.url); const __filename = __kervFileURLToPath(import.meta.url); const __dirname = __kervDirname(__filename);"
      : "import { createRequire as __kervCreateRequire } from 'node:module'; const require = __kervCreateRequire(import.meta.url);",
  },
});
