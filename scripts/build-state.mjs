// What each build output is made from, and whether it is older than its
// sources. Shared by `npm start` (start.mjs builds what is stale before it
// opens the app) and the test suite (test/global-setup.ts builds everything
// once, before any test runs, so that no test rebuilds what another runs).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Each output: the files that say it is built (all must exist), and what it is built from. */
export const OUTPUTS = {
  /** The CLI, the training worker, its replica threads and the benchmarks (scripts/build-node.mjs). */
  node: { built: ['out/node/kerv.js', 'out/node/train-worker.js', 'out/node/replica-worker.js'], sources: ['src-main', 'bench', 'test/integration/cluster/helpers.ts', 'package.json', 'scripts/build-node.mjs'] },
  /** The UI bundle that `kerv serve` serves (vite.renderer.config.ts). */
  renderer: { built: ['out/renderer/index.html'], sources: ['src-renderer', 'src-main/shared', 'vite.renderer.config.ts'] },
  /** Electron's main process and preload, and the renderer again (electron-vite). */
  electron: {
    built: ['out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html'],
    sources: ['src-main', 'src-renderer', 'package.json', 'electron.vite.config.ts', 'vite.renderer.config.ts'],
  },
};

/** The newest modification time (ms) of a file, or of any file under a folder (node_modules and dot-files aside). */
export function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs; // a deleted file changes its folder
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/** Whether an output (a key of OUTPUTS) under `root` is missing, or older than any of its sources. */
export function isStale(root, output) {
  const { built, sources } = OUTPUTS[output];
  const paths = built.map((file) => join(root, file));
  if (!paths.every((file) => existsSync(file))) return true;
  const builtAt = Math.min(...paths.map((file) => statSync(file).mtimeMs));
  return sources.some((source) => newestMtime(join(root, source)) > builtAt);
}
