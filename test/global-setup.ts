// The suite's one build, before any test runs. Integration and e2e tests start
// the real, bundled CLI and training worker (out/node), `kerv serve` serves the
// renderer bundle (out/renderer), and the packaging check reads Electron's main
// and preload (out/main, out/preload). No test builds or deletes any of these:
// a rebuild while another test starts `kerv` from them fails that test
// (`Cannot find module out/node/kerv.js`). A test that exercises a build
// writes into its own temporary folder.
//
// The bundle is rebuilt every time (esbuild: about a second); the renderer and
// Electron's outputs only when older than their sources. Vitest runs this once
// per project; the environment variable makes the later calls no-ops.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { isStale } from '../scripts/build-state.mjs';

const ROOT = join(import.meta.dirname, '..');
const DONE = 'KERV_TEST_SUITE_BUILT';

function run(what: string, args: string[]): void {
  try {
    execFileSync(process.execPath, args, { cwd: ROOT, stdio: 'pipe' });
  } catch (error) {
    const e = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`[global-setup] ${what} failed:\n${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? String(error)}`);
  }
}

export default function setup(): void {
  if (process.env[DONE]) return;
  run('bundling the node entry points (scripts/build-node.mjs)', ['scripts/build-node.mjs']);
  if (isStale(ROOT, 'electron')) run('building Electron main, preload and renderer (electron-vite build)', [join(ROOT, 'node_modules/electron-vite/bin/electron-vite.js'), 'build']);
  else if (isStale(ROOT, 'renderer')) run('building the renderer (vite build)', [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'vite.renderer.config.ts', '--logLevel', 'warn']);
  process.env[DONE] = '1';
}
