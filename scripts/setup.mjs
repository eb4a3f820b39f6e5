// Installs the npm dependencies when they are missing or older than the lock
// file, once, with a one-line plan and a progress line instead of npm's noise.
//
// Electron's binary is the one download of a plain install that comes from
// outside the npm registry (Electron's release server, or ELECTRON_MIRROR); its
// install script fails the whole install with a long stack trace when that is
// unreachable. So we decide before installing: cached or reachable → install
// with it (the desktop app); otherwise → ELECTRON_SKIP_BINARY_DOWNLOAD=1 (the
// headless product: `kerv train`, `kerv serve` in a browser). The optional
// @tensorflow/tfjs-node{,-gpu} also download (libtensorflow); as optional
// dependencies their failure never fails the install.
//
// npm's full output goes to out/npm-install.log; the terminal gets the plan,
// the phase (downloading, compiling better-sqlite3 from source: minutes on a
// small machine) with the elapsed time, and the log's tail only on failure.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const log = (line) => console.log(`kerv: ${line}`);

function upToDate() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(marker)) return false;
  const lock = join(root, 'package-lock.json');
  return !existsSync(lock) || statSync(marker).mtimeMs >= statSync(lock).mtimeMs;
}

/** The Electron version the lock file installs. */
function lockedElectronVersion() {
  try {
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
    return lock.packages?.['node_modules/electron']?.version ?? null;
  } catch {
    return null;
  }
}

/** @electron/get's settings: .npmrc (npm_config_electron_*), then ELECTRON_* (same order as @electron/get). */
function electronSetting(name, env) {
  return env[`npm_config_electron_${name}`] || env[`NPM_CONFIG_ELECTRON_${name.toUpperCase()}`] || env[`ELECTRON_${name.toUpperCase()}`] || '';
}

/** Where @electron/get keeps downloaded zips (env-paths('electron').cache, or electron_config_cache). */
function electronCacheRoot(env) {
  if (env.electron_config_cache) return env.electron_config_cache;
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'electron');
  if (process.platform === 'win32') return join(env.LOCALAPPDATA || join(homedir(), 'AppData', 'Local'), 'electron', 'Cache');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'electron');
}

/** The cache keeps each zip under a hash of its URL's folder: look one level down for the file name. */
function cachedElectronZip(fileName, env) {
  const cacheRoot = electronCacheRoot(env);
  if (!existsSync(cacheRoot)) return null;
  for (const entry of readdirSync(cacheRoot)) {
    const candidate = join(cacheRoot, entry, fileName);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

/** Resolves with null when the URL answers (any HTTP status below 400, redirects included), else with why not. */
function unreachable(url, timeoutMs = 10_000) {
  return new Promise((resolve) => {
    let parsed;
    try {
      parsed = new URL(url);
    } catch {
      resolve(`bad URL ${url}`);
      return;
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      resolve(null); // file:// mirrors and the like: let Electron's installer read them
      return;
    }
    const req = (parsed.protocol === 'https:' ? request : httpRequest)(parsed, { method: 'HEAD', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode !== undefined && res.statusCode < 400 ? null : `${parsed.host} answered HTTP ${res.statusCode}`);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', (error) => resolve(`${parsed.host}: ${error.code ?? error.message}`));
    req.end();
  });
}

/**
 * Whether this install gets Electron's binary, and the reason in a few words.
 * @returns {Promise<{withElectron: boolean, why: string}>}
 */
export async function electronPlan(env = process.env) {
  if (env.ELECTRON_SKIP_BINARY_DOWNLOAD) return { withElectron: false, why: 'ELECTRON_SKIP_BINARY_DOWNLOAD is set' };
  const version = lockedElectronVersion();
  if (!version) return { withElectron: false, why: 'package-lock.json names no Electron version' };
  const platform = env.npm_config_platform || process.platform;
  const arch = env.npm_config_arch || process.arch;
  const fileName = electronSetting('custom_filename', env) || `electron-v${version}-${platform}-${arch}.zip`;
  if (cachedElectronZip(fileName, env)) return { withElectron: true, why: `Electron ${version} is in your download cache` };
  if (env.ELECTRON_GET_USE_PROXY) return { withElectron: true, why: `Electron ${version} is downloaded through your proxy` };
  const mirror = electronSetting('mirror', env) || 'https://github.com/electron/electron/releases/download/';
  const folder = (electronSetting('custom_dir', env) || `v${version}`).replace('{{ version }}', version);
  const url = `${mirror}${folder}/${fileName}`;
  const problem = await unreachable(url);
  if (problem) return { withElectron: false, why: `Electron's binary cannot be downloaded from here (${problem})` };
  return { withElectron: true, why: `Electron ${version} is downloaded from ${new URL(url).host}` };
}

const clock = (ms) => {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

/**
 * What the install is doing, read from npm's --foreground-scripts output: the
 * banner npm prints before each package's script ("> better-sqlite3@12.11.1 install")
 * and node-gyp's make lines ("CC(target) Release/obj.target/sqlite3/…/sqlite3.o").
 */
export function phaseOf(line) {
  const banner = /^> (@?[^@\s]+)@\S+ (preinstall|install|postinstall)$/.exec(line.trim());
  if (banner) {
    const pkg = banner[1];
    if (pkg === 'better-sqlite3') return 'building better-sqlite3 (a prebuilt binary if one downloads, else SQLite compiles from source: minutes)';
    if (pkg === 'electron') return "running Electron's postinstall (it fetches the binary unless this install skips it)";
    if (pkg.startsWith('@tensorflow/tfjs-node')) return `fetching libtensorflow for the optional ${pkg} (skipped where it cannot download)`;
    return `running ${pkg}'s ${banner[2]} script`;
  }
  const compile = /^\s*(CC|CXX)\(target\) \S*?([^/\s]+)\.o$/.exec(line);
  if (compile) return `compiling better-sqlite3: ${compile[2]}.${compile[1] === 'CC' ? 'c' : 'cpp'} (minutes on a small machine)`;
  if (/^\s*SOLINK_MODULE\(target\)/.test(line)) return 'compiling better-sqlite3: linking';
  return null;
}

/** One status line: redrawn in place on a terminal, a new line per phase (and a heartbeat) elsewhere. */
class Progress {
  constructor(out = process.stdout) {
    this.out = out;
    this.started = Date.now();
    this.phase = 'downloading npm packages';
    this.lastPrinted = 0;
    this.timer = setInterval(() => this.draw(false), out.isTTY ? 1000 : 30_000);
    this.draw(true);
  }
  set(phase) {
    if (phase === this.phase) return;
    this.phase = phase;
    this.draw(true);
  }
  draw(changed) {
    const line = `kerv:   ${this.phase}… ${clock(Date.now() - this.started)}`;
    if (this.out.isTTY) this.out.write(`\r\x1b[K${line}`);
    else if (changed || Date.now() - this.lastPrinted >= 29_000) this.out.write(`${line}\n`);
    this.lastPrinted = Date.now();
  }
  stop() {
    clearInterval(this.timer);
    if (this.out.isTTY) this.out.write('\r\x1b[K');
    return Date.now() - this.started;
  }
}

/** Runs npm with its output in `logFile`, reporting phases; resolves with the exit status. */
function runNpm(args, env, logFile) {
  return new Promise((resolve) => {
    const logStream = createWriteStream(logFile, { flags: 'a' });
    logStream.write(`\n$ npm ${args.join(' ')}${env.ELECTRON_SKIP_BINARY_DOWNLOAD ? '   (ELECTRON_SKIP_BINARY_DOWNLOAD=1)' : ''}\n`);
    const progress = new Progress();
    const child = spawn(npm, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' });
    let pending = '';
    const onData = (chunk) => {
      logStream.write(chunk);
      const lines = (pending + chunk.toString('utf8')).split(/\r?\n/);
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const phase = phaseOf(line);
        if (phase) progress.set(phase);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const finish = (status) => {
      const elapsedMs = progress.stop();
      logStream.end(() => resolve({ status, elapsedMs }));
    };
    child.on('error', (error) => {
      logStream.write(`${error.stack}\n`);
      finish(1);
    });
    child.on('close', (code) => finish(code ?? 1));
  });
}

function tail(file, lines) {
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** npm rolls the whole install back when Electron's postinstall fails; its error names the package's folder. */
function electronFailed(logFile) {
  return /npm error path \S*node_modules[\\/]electron\s*$/m.test(readFileSync(logFile, 'utf8'));
}

export async function setup() {
  if (upToDate()) return;
  const fresh = !existsSync(join(root, 'node_modules'));
  const plan = await electronPlan();
  const what = plan.withElectron ? `installing the npm packages with the desktop app (${plan.why})` : `${plan.why}; installing without it, so \`npm start\` serves the workbench to your browser instead of opening the desktop app`;
  log(`${fresh ? 'first run: ' : 'package-lock.json changed: '}${what}.`);

  mkdirSync(join(root, 'out'), { recursive: true });
  const logFile = join(root, 'out', 'npm-install.log');
  // ci installs exactly the lock on a fresh clone; install updates an existing tree.
  const args = [fresh && existsSync(join(root, 'package-lock.json')) ? 'ci' : 'install', '--no-audit', '--no-fund', '--foreground-scripts'];
  const env = { ...process.env, ...(plan.withElectron ? {} : { ELECTRON_SKIP_BINARY_DOWNLOAD: '1' }) };
  let result = await runNpm(args, env, logFile);
  if (result.status !== 0 && plan.withElectron && electronFailed(logFile)) {
    // Reachable a moment ago, failed now (a flaky network, a proxy in the way): the headless install still works.
    log(`Electron's binary download failed (details in ${logFile}); installing without it.`);
    result = await runNpm(args, { ...env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' }, logFile);
  }
  if (result.status !== 0) {
    console.error(tail(logFile, 30));
    console.error(`kerv: npm ${args[0]} failed (exit ${result.status}); its full output is in ${logFile}.`);
    process.exit(1);
  }
  log(`installed in ${clock(result.elapsedMs)} (npm's output: ${logFile}).`);
}

if (import.meta.url === `file://${process.argv[1]}`) await setup();
