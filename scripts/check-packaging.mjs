// Checks the desktop packaging as far as a machine without Electron's binary
// can: `node scripts/check-packaging.mjs [--config FILE] [--rebuild]`.
//
// 1. electron-builder loads the configuration and validates it against its own
//    schema (the same code `npx electron-builder` runs first).
// 2. electron-builder's own file matcher, applied to this checkout after
//    `npm run build`, packs every file the app opens at run time, and each
//    asarUnpack pattern of a required package matches installed files.
// 3. The icons exist at the sizes the installers need.
// 4. With --rebuild: better-sqlite3 is rebuilt for Electron's ABI in a
//    temporary folder (scripts/electron-sqlite.mjs), and the result is checked
//    to be an Electron build (Node refuses it, naming Electron's module version).
//    That needs Electron's headers or a prebuilt binary from the internet;
//    where they cannot be downloaded, the step reports "not verified" and why.
//
// What no machine without Electron's binary can check: packing and running the
// installers themselves (AppImage, deb, dmg, nsis). Exit code 1 on any failure.
import { createRequire } from 'node:module';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const builderRequire = createRequire(require.resolve('app-builder-lib/package.json', { paths: [dirname(require.resolve('electron-builder/package.json'))] }));

/** Files the packaged app opens at run time (package.json "main", and the paths in src-main/electron/main.ts). */
const RUNTIME_FILES = ['package.json', 'out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html', 'out/node/train-worker.js', 'out/node/replica-worker.js', 'resources/icon.png'];
/** Every chunk an entry imports (esbuild splitting) is needed too. */
const RUNTIME_FOLDERS = ['out/node/chunks'];
/** asarUnpack patterns that must match: the native addon and its loader, and the wasm backend's binaries. Optional packages may be absent. */
const OPTIONAL_PACKAGES = /@tensorflow\/tfjs-node/;

const failures = [];
const fail = (message) => failures.push(message);
const ok = (message) => console.log(`ok      ${message}`);

function walk(dir, skip) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (skip(path)) continue;
    if (entry.isDirectory()) files.push(...walk(path, skip));
    else files.push(path);
  }
  return files;
}

async function loadConfig(configPath) {
  const { getConfig, validateConfiguration } = builderRequire('./out/util/config/config');
  const { DebugLogger } = builderRequire('builder-util');
  const config = await getConfig(root, configPath, null);
  await validateConfiguration(config, new DebugLogger(false));
  return config;
}

/** The project files electron-builder's matcher selects for `files` (node_modules are added by electron-builder itself). */
function packedFiles(config) {
  const { getFileMatchers } = builderRequire('./out/fileMatcher');
  const matchers = getFileMatchers(config, 'files', '/app', {
    macroExpander: (s) => s,
    customBuildOptions: config.linux ?? {},
    globalOutDir: join(root, config.directories?.output ?? 'dist'),
    defaultSrc: root,
  });
  if (!matchers) throw new Error('electron-builder.yml has no "files" patterns: it would pack the whole checkout');
  const packed = new Set();
  for (const matcher of matchers) {
    const filter = matcher.createFilter();
    const skip = (path) => /[\\/](node_modules|\.git)$/.test(path) || !filter(path, statSync(path));
    for (const file of walk(matcher.from, skip)) packed.add(relative(root, file).split(sep).join('/'));
  }
  return packed;
}

function checkFiles(config) {
  const packed = packedFiles(config);
  for (const file of RUNTIME_FILES) {
    if (!existsSync(join(root, file))) fail(`${file} does not exist (run \`npm run build\` first)`);
    else if (!packed.has(file)) fail(`${file} is opened by the app at run time but the "files" patterns leave it out`);
  }
  for (const folder of RUNTIME_FOLDERS) {
    const files = existsSync(join(root, folder)) ? walk(join(root, folder), () => false).map((f) => relative(root, f).split(sep).join('/')).filter((f) => !f.endsWith('.map')) : [];
    if (files.length === 0) fail(`${folder} is empty or missing (run \`npm run build\` first)`);
    const left = files.filter((f) => !packed.has(f));
    if (left.length > 0) fail(`${left.length} file(s) of ${folder} are imported at run time but the "files" patterns leave them out, e.g. ${left[0]}`);
  }
  const maps = [...packed].filter((f) => f.endsWith('.map') || f.startsWith('out/native/'));
  if (maps.length > 0) fail(`packed but excluded on purpose: ${maps.slice(0, 3).join(', ')}`);
  if (failures.length === 0) ok(`"files" packs ${packed.size} files, including everything the app opens at run time (${RUNTIME_FILES.join(', ')})`);
}

function checkAsarUnpack(config) {
  const { Minimatch } = builderRequire('minimatch');
  const installed = walk(join(root, 'node_modules'), (path) => /[\\/]\.bin$/.test(path)).map((file) => relative(root, file).split(sep).join('/'));
  for (const pattern of config.asarUnpack ?? []) {
    const matcher = new Minimatch(pattern, { dot: true });
    const count = installed.filter((file) => matcher.match(file)).length;
    if (count > 0) ok(`asarUnpack ${pattern}: ${count} files`);
    else if (OPTIONAL_PACKAGES.test(pattern)) ok(`asarUnpack ${pattern}: not installed here (optional dependency)`);
    else fail(`asarUnpack ${pattern} matches no installed file`);
  }
  if (!existsSync(join(root, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'))) fail('better-sqlite3 has no built addon in node_modules');
}

function pngSize(file) {
  const data = readFileSync(file);
  if (data.readUInt32BE(0) !== 0x89504e47) throw new Error(`${file} is not a PNG`);
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

function checkIcons(config) {
  const resourcesDir = join(root, config.directories?.buildResources ?? 'build');
  // macOS and Windows installers make their icon sets from one PNG of at least 512×512.
  for (const key of ['mac', 'win']) {
    const icon = config[key]?.icon;
    if (!icon) continue;
    const file = resolve(root, icon);
    if (!existsSync(file)) fail(`${key}.icon ${icon} does not exist`);
    else {
      const { width, height } = pngSize(file);
      if (width < 512 || height < 512) fail(`${key}.icon ${icon} is ${width}×${height}; at least 512×512 is needed`);
      else ok(`${key}.icon ${icon}: ${width}×${height}`);
    }
  }
  // Linux takes a folder of NxN.png files.
  const linuxIcons = config.linux?.icon ? resolve(root, config.linux.icon) : join(resourcesDir, 'icons');
  const sizes = existsSync(linuxIcons) ? readdirSync(linuxIcons).filter((name) => /^\d+x\d+\.png$/.test(name)) : [];
  for (const name of sizes) {
    const [w, h] = name.replace('.png', '').split('x').map(Number);
    const actual = pngSize(join(linuxIcons, name));
    if (actual.width !== w || actual.height !== h) fail(`${relative(root, linuxIcons)}/${name} is ${actual.width}×${actual.height}`);
  }
  if (!sizes.includes('256x256.png')) fail(`linux icons: ${relative(root, linuxIcons)} has no 256x256.png`);
  else ok(`linux.icon ${relative(root, linuxIcons)}: ${sizes.length} sizes`);
}

/** Electron's NODE_MODULE_VERSION, from node-abi as @electron/rebuild uses it. */
function electronAbi(electronVersion) {
  const rebuildRequire = createRequire(builderRequire.resolve('@electron/rebuild/package.json'));
  return rebuildRequire('node-abi').getAbi(electronVersion, 'electron');
}

async function checkElectronRebuild() {
  const { buildElectronSqlite } = await import('./electron-sqlite.mjs');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'kerv-electron-abi-'));
  try {
    const target = join(dir, 'better_sqlite3.node');
    const result = buildElectronSqlite(target, { quiet: true });
    if (!result.ok) {
      const offline = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|network connectivity|getaddrinfo/i.test(result.output);
      if (offline) {
        console.log(`NOT VERIFIED  better-sqlite3 for Electron ${result.electronVersion}'s ABI: Electron's headers (or a prebuilt binary) cannot be downloaded from this machine`);
        return;
      }
      fail(`rebuilding better-sqlite3 for Electron ${result.electronVersion} failed:\n${result.output.trim().split('\n').slice(-15).join('\n')}`);
      return;
    }
    // Node refuses an Electron build and names the module version it was built for.
    const abi = electronAbi(result.electronVersion);
    try {
      process.dlopen({ exports: {} }, target);
      fail(`the Electron build of better-sqlite3 loads in Node ${process.version}: it was not built for Electron's ABI ${abi}`);
    } catch (error) {
      if (String(error.message).includes(`NODE_MODULE_VERSION ${abi}`)) ok(`better-sqlite3 rebuilt for Electron ${result.electronVersion} (NODE_MODULE_VERSION ${abi}) in a temporary folder`);
      else fail(`the Electron build of better-sqlite3 is not for ABI ${abi}: ${error.message}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const { values } = parseArgs({ options: { config: { type: 'string' }, rebuild: { type: 'boolean' } } });
try {
  const config = await loadConfig(values.config ?? 'electron-builder.yml');
  ok(`${values.config ?? 'electron-builder.yml'} validates against electron-builder ${builderRequire('./package.json').version}'s schema`);
  checkFiles(config);
  checkAsarUnpack(config);
  checkIcons(config);
  if (values.rebuild) await checkElectronRebuild();
} catch (error) {
  fail(error.message);
}
for (const message of failures) console.error(`FAILED  ${message}`);
if (failures.length === 0) console.log('NOT VERIFIED  the installers themselves (AppImage, deb, dmg, nsis): packing needs Electron\'s binary for each target platform');
process.exit(failures.length === 0 ? 0 : 1);
