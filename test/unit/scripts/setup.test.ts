// `npm start`'s first-run install decides before installing whether Electron's
// binary can be had (scripts/setup.mjs). Checked against a real HTTP server
// standing in for an Electron mirror (ELECTRON_MIRROR, as @electron/get reads it)
// and a real cache folder.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { electronPlan, phaseOf } from '../../../scripts/setup.mjs';

const electronVersion: string = JSON.parse(readFileSync('package-lock.json', 'utf8')).packages['node_modules/electron'].version;
const zipName = `electron-v${electronVersion}-${process.platform}-${process.arch}.zip`;
let tmp: string;
let server: Server;
let mirror: string;
const requested: string[] = [];

beforeAll(async () => {
  tmp = mkdtempSync(join(os.tmpdir(), 'kerv-setup-'));
  // Serves only this version's zip: any other path is a 404, like a release server.
  server = createServer((req, res) => {
    requested.push(`${req.method} ${req.url}`);
    res.statusCode = req.url === `/v${electronVersion}/${zipName}` ? 200 : 404;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(tmp, { recursive: true, force: true });
});

/** An environment with an empty Electron cache and nothing set. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const cache = join(tmp, `cache-${Math.random().toString(36).slice(2)}`);
  return { PATH: process.env.PATH, HOME: tmp, electron_config_cache: cache, ...extra };
}

describe('electronPlan', () => {
  it('installs with Electron when its zip answers at the mirror (HEAD only, nothing downloaded)', async () => {
    const plan = await electronPlan(env({ ELECTRON_MIRROR: mirror }));
    expect(plan).toEqual({ withElectron: true, why: `Electron ${electronVersion} is downloaded from ${new URL(mirror).host}` });
    expect(requested).toContain(`HEAD /v${electronVersion}/${zipName}`);
  });

  it('installs without it when the mirror does not have it, saying so', async () => {
    const plan = await electronPlan(env({ ELECTRON_MIRROR: mirror, ELECTRON_CUSTOM_DIR: 'nightly-{{ version }}' }));
    expect(plan.withElectron).toBe(false);
    expect(plan.why).toBe(`Electron's binary cannot be downloaded from here (${new URL(mirror).host} answered HTTP 404)`);
  });

  it('installs without it when the host cannot be reached, naming the network error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve)); // nothing listens there now
    const plan = await electronPlan(env({ ELECTRON_MIRROR: `http://127.0.0.1:${port}/` }));
    expect(plan).toEqual({ withElectron: false, why: `Electron's binary cannot be downloaded from here (127.0.0.1:${port}: ECONNREFUSED)` });
  });

  it('uses a zip already in the download cache without asking the network', async () => {
    const e = env({ ELECTRON_MIRROR: 'http://127.0.0.1:9/' }); // port 9 (discard): would be refused
    const folder = join(e.electron_config_cache!, 'a1b2c3');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, zipName), 'zip');
    expect(await electronPlan(e)).toEqual({ withElectron: true, why: `Electron ${electronVersion} is in your download cache` });
  });

  it('respects ELECTRON_SKIP_BINARY_DOWNLOAD', async () => {
    expect(await electronPlan(env({ ELECTRON_SKIP_BINARY_DOWNLOAD: '1', ELECTRON_MIRROR: mirror }))).toEqual({ withElectron: false, why: 'ELECTRON_SKIP_BINARY_DOWNLOAD is set' });
  });
});

describe('install progress', () => {
  it("reads the phase from npm's script banners and node-gyp's compile lines", () => {
    expect(phaseOf('> better-sqlite3@12.11.1 install')).toMatch(/^building better-sqlite3/);
    expect(phaseOf('  CC(target) Release/obj.target/sqlite3/gen/sqlite3/sqlite3.o')).toBe('compiling better-sqlite3: sqlite3.c (minutes on a small machine)');
    expect(phaseOf('  CXX(target) Release/obj.target/better_sqlite3/src/better_sqlite3.o')).toBe('compiling better-sqlite3: better_sqlite3.cpp (minutes on a small machine)');
    expect(phaseOf('> @tensorflow/tfjs-node@4.22.0 install')).toMatch(/^fetching libtensorflow for the optional @tensorflow\/tfjs-node/);
    expect(phaseOf('added 601 packages in 5m')).toBeNull();
  });
});
