// Bundles the plain-Node entry points (CLI, training worker, benchmarks) with
// esbuild. Every npm package stays external: native addons (better-sqlite3,
// tfjs-node) and the wasm backend's .wasm files are resolved from node_modules at
// run time. The Electron main/preload and the renderer are built by electron-vite.
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
  'bench-cluster': 'bench/cluster-bench.ts',
  'bench-asha': 'bench/asha-bench.ts',
};
const entryPoints = Object.fromEntries(Object.entries(entries).filter(([, file]) => existsSync(file)));

await build({
  entryPoints,
  outdir: 'out/node',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // Chunks shared between entry points load lazily, so `kerv runs list` does not
  // pay for loading TensorFlow.js.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
  // The wasm backend's SIMD kernels are WebAssembly text, compiled here (scripts/wat.mjs).
  plugins: [watEsbuildPlugin()],
  // Bundled ESM still needs require() for the CommonJS packages it imports lazily.
  banner: { js: "import { createRequire as __kervCreateRequire } from 'node:module'; const require = __kervCreateRequire(import.meta.url);" },
});
