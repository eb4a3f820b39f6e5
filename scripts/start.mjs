// `npm start`: installs what is missing (setup.mjs), builds what is missing or
// stale, then opens the desktop app, or, where Electron's binary is not
// installed, serves the same UI to a browser.
//
// Why the fallback: Electron's binary is downloaded at install time from
// outside the npm registry. Offline machines, CI and headless GPU servers
// install without it (setup.mjs decides), so node_modules/electron/dist is
// missing and Electron cannot start. The workbench is the same service either
// way, so `kerv serve` gives the full UI in a browser instead of failing.
//
// Build output stays out of the way: one line per step, the tool's own output
// only when a step fails.
import { spawn, spawnSync } from 'node:child_process';
import console from 'node:console';
import process from 'node:process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { isStale } from './build-state.mjs';
import { setup } from './setup.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
process.chdir(root);

await setup();

/** Runs one build step quietly: its output is shown only when it fails. */
function step(what, command, args) {
  console.log(`kerv: ${what}…`);
  const result = spawnSync(command, args, { encoding: 'utf8', shell: process.platform === 'win32' });
  if (result.status === 0) return;
  process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? `${result.error.message}\n` : ''}`);
  console.error(`kerv: ${what} failed: \`${command} ${args.join(' ')}\` exited with ${result.status ?? result.signal}.`);
  process.exit(result.status ?? 1);
}

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
if (isStale(root, 'node')) step('bundling the CLI and the training worker', process.execPath, ['scripts/build-node.mjs']);

function electronBinary() {
  try {
    const pkg = dirname(require.resolve('electron/package.json'));
    if (!existsSync(join(pkg, 'dist'))) return null;
    return require('electron'); // the path of the executable
  } catch {
    return null;
  }
}

const electron = electronBinary();

if (electron) {
  if (isStale(root, 'electron')) step('building the desktop app', npx, ['electron-vite', 'build']);
  await ensureElectronSqlite();
  const child = spawn(electron, ['.'], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  if (isStale(root, 'renderer')) step('building the UI', npx, ['vite', 'build', '--config', 'vite.renderer.config.ts', '--logLevel', 'error']);
  console.log("kerv: Electron's binary is not installed (the install skipped it), so the workbench is served to your browser:");
  const child = spawn(process.execPath, ['out/node/kerv.js', 'serve', ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 0));
}

/** out/native/electron/better_sqlite3.node, built for Electron's ABI once (see electron-sqlite.mjs). */
async function ensureElectronSqlite() {
  const target = join('out', 'native', 'electron', 'better_sqlite3.node');
  if (existsSync(target)) return;
  const { buildElectronSqlite } = await import('./electron-sqlite.mjs');
  console.log('kerv: building better-sqlite3 for Electron (once)…');
  const result = buildElectronSqlite(target);
  if (!result.ok) console.error(`kerv: could not build better-sqlite3 for Electron ${result.electronVersion}; the app will fail to open its database. See the output above.`);
}
