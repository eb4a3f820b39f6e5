// `kerv lr-find` as a user runs it: the bundled CLI on a real Fashion-MNIST
// subset, through the workbench so the result stays in the history.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const tmp = mkdtempSync(join(os.tmpdir(), 'kerv-cli-lr-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function kerv(...args: string[]) {
  const r = spawnSync(process.execPath, ['out/node/kerv.js', 'lr-find', '--data-dir', join(tmp, 'data'), ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('kerv lr-find', () => {
  it('runs the range test on the run flags, prints the curve by decade and the suggestions, and keeps the result', () => {
    const json = join(tmp, 'lr.json');
    const r = kerv('--arch', 'mlp', '--width', '0.25', '--train-subset', '500', '--batch-size', '32', '--optimizer', 'sgd', '--backend', 'wasm', '--start-lr', '1e-5', '--end-lr', '100', '--steps', '100', '--json', json);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^kerv lr-find #1: fashion-mnist, mlp ×0\.25 \(linear\), sgd, batch 32, seed 0$/m);
    expect(r.out).toMatch(/^Stopped at lr \d\.\de[-+]\d+ after \d+ steps: the loss diverged\.$/m);
    expect(r.out).toMatch(/^1\.0e-5 {4}\d\.\d{4} {3}\d\.\d{4}$/m);
    const suggested = /^Suggested learning rate: (\d\.\de-\d) \(steepest descent\) · (\d\.\de-\d) \(minimum ÷ 10\)$/m.exec(r.out);
    expect(suggested).not.toBeNull();
    expect(r.out).toContain(`Kept as lr-find #1 in ${join(tmp, 'data')}: kerv lr-find --show 1`);
    const saved = JSON.parse(readFileSync(json, 'utf8')) as { result: { suggestions: { steepest: number } } };
    expect(saved.result.suggestions.steepest.toExponential(1)).toBe(suggested![1]);

    const shown = kerv('--show', '1');
    expect(shown.code).toBe(0);
    expect(shown.out).toContain(suggested![0]);
    const listed = kerv('--list');
    expect(listed.out).toMatch(new RegExp(`^#1 .* completed +fashion-mnist mlp \\(linear\\) sgd batch 32 +steepest ${suggested![1]} +min/10 ${suggested![2]}$`, 'm'));
  });

  it('names a bad option and the allowed range', () => {
    const r = kerv('--steps', '5', '--arch', 'mlp');
    expect(r.code).toBe(2);
    expect(r.err).toContain('finder.steps: must be at least 10');
    const missing = kerv('--show', '42');
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('Learning-rate finder run 42 not found.');
  });
});
