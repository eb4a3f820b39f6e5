// The desktop packaging, checked as far as a machine without Electron's binary
// can (scripts/check-packaging.mjs): electron-builder's own schema validation
// and file matcher against this checkout's build output. Packing the installers
// is not possible here; see the README's "Packaging" section.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SCRIPT = resolve('scripts/check-packaging.mjs');
let tmp: string;

function check(...args: string[]) {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The checked-in configuration with one line changed. */
function variant(name: string, edit: (yml: string) => string): string {
  const file = join(tmp, name);
  writeFileSync(file, edit(readFileSync('electron-builder.yml', 'utf8')));
  return file;
}

beforeAll(() => {
  // What the check reads (out/main, out/preload, out/node, out/renderer) was built by the global setup.
  tmp = mkdtempSync(join(os.tmpdir(), 'kerv-packaging-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('electron-builder configuration', () => {
  it('validates, packs every file the app opens, and unpacks the native addon and wasm binaries', () => {
    const r = check();
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/ok {6}electron-builder\.yml validates against electron-builder \d+\.\d+\.\d+'s schema/);
    expect(r.out).toContain('out/preload/index.cjs, out/renderer/index.html, out/node/train-worker.js');
    expect(r.out).toMatch(/asarUnpack node_modules\/better-sqlite3\/\*\*: \d+ files/);
    expect(r.out).toMatch(/asarUnpack node_modules\/@tensorflow\/tfjs-backend-wasm\/dist\/\*\.wasm: [1-9]\d* files/);
    expect(r.out).toContain('NOT VERIFIED  the installers themselves');
  });

  it('rejects an unknown option, naming it', () => {
    const r = check('--config', variant('typo.yml', (yml) => yml.replace(/^productName:/m, 'productNmae:')));
    expect(r.code).toBe(1);
    expect(r.err).toContain("configuration has an unknown property 'productNmae'");
  });

  it('reports a run-time file that the "files" patterns leave out', () => {
    const r = check('--config', variant('no-preload.yml', (yml) => yml.replace(/^ {2}- out\/preload\/\*\*\n/m, '')));
    expect(r.code).toBe(1);
    expect(r.err).toContain('FAILED  out/preload/index.cjs is opened by the app at run time but the "files" patterns leave it out');
  });

  it('reports an asarUnpack pattern that matches nothing', () => {
    const r = check('--config', variant('bad-unpack.yml', (yml) => yml.replace('node_modules/bindings/**', 'node_modules/bindingz/**')));
    expect(r.code).toBe(1);
    expect(r.err).toContain('FAILED  asarUnpack node_modules/bindingz/** matches no installed file');
  });
});
