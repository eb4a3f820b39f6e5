// `node bin/kerv.js` in a source checkout: it builds out/node when the bundle is
// missing or older than its sources, so a `git pull` never leaves an old CLI
// running silently. Exercised in a temporary copy of the checkout (its own
// out/node), never on the out/ folder the other tests run.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let checkout: string;

beforeAll(() => {
  checkout = mkdtempSync(join(os.tmpdir(), 'kerv-launcher-'));
  for (const path of ['bin', 'scripts', 'src-main', 'package.json', 'tsconfig.json', 'tsconfig.base.json']) cpSync(resolve(path), join(checkout, path), { recursive: true });
  symlinkSync(resolve('node_modules'), join(checkout, 'node_modules'), 'dir');
});
afterAll(() => rmSync(checkout, { recursive: true, force: true }));

function kervHelp() {
  const r = spawnSync(process.execPath, [join(checkout, 'bin', 'kerv.js'), '--help'], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const day = (n: number) => new Date(Date.UTC(2000, 0, n));

/**
 * A pull after the last build, on fixed dates rather than the clock: every file
 * and folder of the checkout dated day 1, the bundle day 2, and `relativePath`
 * day 3. (A rebuild writes the bundle now, after all three.)
 */
function changedAfterBuild(relativePath: string): void {
  const date = (path: string, when: Date) => utimesSync(path, when, when);
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      date(path, day(1));
    }
  };
  walk(checkout);
  for (const file of ['kerv.js', 'train-worker.js', 'replica-worker.js']) date(join(checkout, 'out', 'node', file), day(2));
  date(join(checkout, relativePath), day(3));
}

describe('bin/kerv.js', () => {
  it('builds a missing bundle, rebuilds it when a source or the build script is newer, and is silent otherwise', () => {
    const first = kervHelp();
    expect(first.err).toBe('kerv: building out/node (first run)\n');
    expect(first.code).toBe(0);
    expect(first.out).toContain('datasets  list | download | import datasets');

    const again = kervHelp();
    expect(again.err).toBe('');
    expect(again.out).toBe(first.out);

    // A pull that changes a source: the next call runs the new code, saying once that it rebuilds.
    const mainFile = join('src-main', 'cli', 'main.ts');
    const source = readFileSync(join(checkout, mainFile), 'utf8');
    writeFileSync(join(checkout, mainFile), source.replace("'list | download | import datasets'", "'datasets, as pulled'"));
    changedAfterBuild(mainFile);
    const pulled = kervHelp();
    expect(pulled.err).toBe('kerv: the sources changed since out/node was built; rebuilding it\n');
    expect(pulled.code).toBe(0);
    expect(pulled.out).toContain('datasets  datasets, as pulled');
    expect(kervHelp().err).toBe('');

    changedAfterBuild(join('scripts', 'build-node.mjs'));
    expect(kervHelp().err).toBe('kerv: the sources changed since out/node was built; rebuilding it\n');
    expect(kervHelp().err).toBe('');
  });
});
