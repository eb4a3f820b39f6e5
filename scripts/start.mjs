// `npm start`: builds what is missing or stale, then opens the desktop app, or,
// where Electron's binary is not installed, serves the same UI to a browser.
//
// Why the fallback: `npm install electron` downloads the Electron binary from
// GitHub at install time, outside the npm registry. Offline machines, CI and
// headless GPU servers install with ELECTRON_SKIP_BINARY_DOWNLOAD=1 (or lose the
// download), so node_modules/electron/dist is missing and Electron cannot start.
// The workbench is the same service either way, so `kerv serve` gives the full UI
// in a browser instead of failing.
//
// better-sqlite3 is a native addon built for one ABI: node_modules holds Node's
// build (the CLI and tests need it). For Electron, a copy is rebuilt for
// Electron's ABI into out/native/electron/ with @electron/rebuild (once; it needs
// Electron's headers, i.e. the same internet access as the binary) and the main
// process passes it to better-sqlite3 as nativeBinding. node_modules is untouched
// (the rebuild happens in a temporary folder outside the checkout).
import { spawn, spawnSync } from 'node:child_process';
import console from 'node:console';
import process from 'node:process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { setup } from './setup.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
process.chdir(root);

// First run on a fresh clone: install the npm dependencies (see setup.mjs).
setup();

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return readdirSync(path).reduce((latest, name) => Math.max(latest, newestMtime(join(path, name))), info.mtimeMs);
}

/** Stale when any source is newer than the output's marker file. */
function stale(output, sources) {
  if (!existsSync(output)) return true;
  const built = statSync(output).mtimeMs;
  return sources.some((source) => newestMtime(source) > built);
}

function run(command, args) {
  console.log(`> ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const mainSources = ['src-main', 'package.json'];

if (stale('out/node/kerv.js', mainSources)) run(process.execPath, ['scripts/build-node.mjs']);

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
  if (stale('out/main/index.js', [...mainSources, 'src-renderer', 'electron.vite.config.ts', 'vite.renderer.config.ts'])) run(npx, ['electron-vite', 'build']);
  ensureElectronSqlite();
  const child = spawn(electron, ['.'], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  if (stale('out/renderer/index.html', ['src-renderer', 'vite.renderer.config.ts', 'src-main/shared'])) run(npx, ['vite', 'build', '--config', 'vite.renderer.config.ts']);
  console.log(
    '\nElectron\'s binary is not installed (node_modules/electron/dist is missing: it is downloaded from GitHub at install time,\n' +
      'which this machine skipped or could not do). Serving the same workbench UI to your browser instead.\n',
  );
  const child = spawn(process.execPath, ['out/node/kerv.js', 'serve', ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 0));
}

/** out/native/electron/better_sqlite3.node, built for Electron's ABI from a copy of the installed package. */
function ensureElectronSqlite() {
  const target = join('out/native/electron/better_sqlite3.node');
  if (existsSync(target)) return;
  // Built outside the repository: @electron/rebuild also walks up to the nearest
  // project root, and must never touch this checkout's node_modules (Node's ABI).
  const buildRoot = mkdtempSync(join(tmpdir(), 'kerv-electron-sqlite-'));
  const copy = join(buildRoot, 'node_modules/better-sqlite3');
  mkdirSync(dirname(copy), { recursive: true });
  cpSync(dirname(require.resolve('better-sqlite3/package.json')), copy, { recursive: true, filter: (src) => !src.includes(`${join('build', 'Release', 'obj')}`) });
  // @electron/rebuild rebuilds the dependencies a package.json declares.
  const sqliteVersion = require('better-sqlite3/package.json').version;
  writeFileSync(join(buildRoot, 'package.json'), JSON.stringify({ name: 'kerv-native-electron', private: true, dependencies: { 'better-sqlite3': sqliteVersion } }));
  const electronVersion = require('electron/package.json').version;
  console.log(`> @electron/rebuild better-sqlite3 for Electron ${electronVersion} (once)`);
  const result = spawnSync(
    process.execPath,
    [require.resolve('@electron/rebuild/lib/cli.js'), '--version', electronVersion, '--module-dir', buildRoot, '--only', 'better-sqlite3', '--force'],
    { stdio: 'inherit' },
  );
  const built = join(copy, 'build/Release/better_sqlite3.node');
  if (result.status !== 0 || !existsSync(built)) {
    rmSync(buildRoot, { recursive: true, force: true });
    console.error('Could not build better-sqlite3 for Electron; the app will fail to open its database. See the output above.');
    return;
  }
  mkdirSync(dirname(target), { recursive: true });
  cpSync(built, target);
  rmSync(buildRoot, { recursive: true, force: true });
}
