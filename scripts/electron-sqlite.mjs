// better-sqlite3 is a native addon built for one ABI: node_modules holds Node's
// build (the CLI and the tests need it). Electron needs a copy built for its own
// ABI; this builds one into a temporary folder outside the checkout, with the
// same @electron/rebuild that electron-builder uses, so node_modules is never
// touched. Used by `npm start` (out/native/electron/, passed to better-sqlite3 as
// nativeBinding) and by the packaging check in CI.
//
// The build needs Electron's headers (downloaded from Electron's server, or
// found in ~/.electron-gyp) or a prebuilt binary (prebuild-install, GitHub): on a
// machine without that access it fails, and says why.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

/** @electron/rebuild's CLI, resolved the way electron-builder (→ app-builder-lib) resolves it. */
function rebuildCli() {
  const builderRequire = createRequire(require.resolve('app-builder-lib/package.json', { paths: [dirname(require.resolve('electron-builder/package.json'))] }));
  return join(dirname(builderRequire.resolve('@electron/rebuild/package.json')), 'lib', 'cli.js');
}

/**
 * Builds better-sqlite3 for Electron's ABI and copies the addon to `target`.
 * @returns {{ok: true, electronVersion: string} | {ok: false, electronVersion: string, output: string}}
 */
export function buildElectronSqlite(target, { quiet = false } = {}) {
  const electronVersion = require('electron/package.json').version;
  const buildRoot = mkdtempSync(join(tmpdir(), 'kerv-electron-sqlite-'));
  try {
    const copy = join(buildRoot, 'node_modules', 'better-sqlite3');
    mkdirSync(dirname(copy), { recursive: true });
    const installed = dirname(require.resolve('better-sqlite3/package.json'));
    // Without Node's build/ folder: the rebuild makes its own.
    cpSync(installed, copy, { recursive: true, filter: (src) => relative(installed, src).split(sep)[0] !== 'build' });
    // @electron/rebuild rebuilds the dependencies a package.json declares.
    const sqliteVersion = require('better-sqlite3/package.json').version;
    writeFileSync(join(buildRoot, 'package.json'), JSON.stringify({ name: 'kerv-native-electron', private: true, dependencies: { 'better-sqlite3': sqliteVersion } }));
    const result = spawnSync(process.execPath, [rebuildCli(), '--version', electronVersion, '--module-dir', buildRoot, '--only', 'better-sqlite3', '--force'], {
      cwd: buildRoot,
      stdio: quiet ? 'pipe' : 'inherit',
      encoding: 'utf8',
    });
    const built = join(copy, 'build', 'Release', 'better_sqlite3.node');
    if (result.status !== 0 || !existsSync(built)) return { ok: false, electronVersion, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
    mkdirSync(dirname(target), { recursive: true });
    cpSync(built, target);
    return { ok: true, electronVersion };
  } finally {
    rmSync(buildRoot, { recursive: true, force: true });
  }
}
