// Installs the npm dependencies when they are missing or older than the lock file.
// Two downloads happen outside the npm registry at install time: Electron's
// binary and libtensorflow (for the optional @tensorflow/tfjs-node{,-gpu}). The
// latter are optional dependencies, so their failure never fails the install.
// Electron's failure does; on a machine that cannot download it (an offline GPU
// server, a CI box) we retry without the binary: the headless product (`kerv
// train`, `kerv serve`) works without it, only the desktop shell does not.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function upToDate() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(marker)) return false;
  const lock = join(root, 'package-lock.json');
  return !existsSync(lock) || statSync(marker).mtimeMs >= statSync(lock).mtimeMs;
}

function install(env) {
  const result = spawnSync(npm, ['install', '--no-audit', '--no-fund'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'pipe'],
    encoding: 'utf8',
  });
  if (result.stderr) process.stderr.write(result.stderr);
  return result;
}

export function setup() {
  if (upToDate()) return;
  console.log('kerv: installing dependencies (first run; better-sqlite3 may compile for a few minutes)…');
  const first = install({});
  if (first.status === 0) return;
  if (/electron/i.test(first.stderr ?? '') && !process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
    console.log('kerv: the Electron binary could not be downloaded; installing without it (headless `kerv train` / `kerv serve` still work).');
    const second = install({ ELECTRON_SKIP_BINARY_DOWNLOAD: '1' });
    if (second.status === 0) return;
  }
  console.error('kerv: npm install failed (see the messages above).');
  process.exit(1);
}

if (import.meta.url === `file://${process.argv[1]}`) setup();
