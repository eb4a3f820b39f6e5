// Flags of `kerv train` and `kerv worker` as a user types them, through the
// bundled CLI (out/node/kerv.js, built by the global setup) in child processes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../../src-main/shared/run-config';

const KERV = resolve('out/node/kerv.js');
const tmp = mkdtempSync(join(os.tmpdir(), 'kerv-cli-flags-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function kerv(...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, KERV_DATA_DIR: join(tmp, 'data') };
  delete env.KERV_REDIS_URL;
  delete env.KERV_BACKEND;
  const r = spawnSync(process.execPath, [KERV, ...args], { encoding: 'utf8', env, timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('kerv worker --backend', () => {
  it('offers every backend a run config allows, webgpu included', () => {
    const help = kerv('worker', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain(`--backend B          backend for runs whose config says auto: ${BACKENDS.join(', ')}`);
    expect(BACKENDS).toContain('webgpu');

    const bad = kerv('worker', '--redis', 'redis://127.0.0.1:6379', '--backend', 'cuda');
    expect(bad.code).toBe(2);
    expect(bad.err.trim()).toBe(`kerv: --backend must be one of ${BACKENDS.join(', ')}, got 'cuda'`);

    // webgpu passes the flag check: the worker goes on to the next one (a malformed --redis, so nothing connects).
    const webgpu = kerv('worker', '--redis', 'http://not-redis', '--backend', 'webgpu');
    expect(webgpu.code).toBe(2);
    expect(webgpu.err).toMatch(/^kerv: --redis: /);
    expect(webgpu.err).not.toContain('--backend');
  });
});

describe('kerv train --kerv-layers', () => {
  it('"1," makes convolution 1 alone a kervolution; a bare "1" still means the first one', () => {
    const layersOf = (value: string) => {
      const summaryFile = join(tmp, `layers-${value.replace(/\W/g, '_')}.json`);
      const r = kerv(
        'train', '--arch', 'convnet', '--width', '0.25', '--kernel', 'polynomial', '--kerv-layers', value,
        '--train-subset', '64', '--test-subset', '32', '--batch-size', '32', '--epochs', '1', '--backend', 'wasm',
        '--no-record', '--summary-json', summaryFile,
      );
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      return JSON.parse(readFileSync(summaryFile, 'utf8')).config.model.kervLayers as unknown;
    };
    expect(layersOf('1,')).toEqual([1]);
    expect(layersOf('1')).toBe(1);
    expect(layersOf('0, 2')).toEqual([0, 2]);
  });

  it('says what is allowed when the value is none of the forms, and shows the forms in --help', () => {
    const forms = 'all | stem | N (the first N convs) | i,j,k (conv indices, 0-based) | i, (conv i alone)';
    expect(kerv('train', '--help').out).toContain(`--kerv-layers L        ${forms}`);
    // --epochs 0 is refused too, but after --kerv-layers: a value taken by mistake fails at once instead of training.
    const refuse = (value: string) => kerv('train', '--kerv-layers', value, '--epochs', '0', '--no-record');
    for (const bad of ['1,,2', ',', 'first', '1.5']) {
      const r = refuse(bad);
      expect(r.code, bad).toBe(2);
      expect(r.err.trim(), bad).toBe(`kerv: --kerv-layers must be one of: ${forms}; got '${bad}'`);
    }
    const zero = refuse('0');
    expect(zero.code).toBe(2);
    expect(zero.err).toContain(`got '0' (N counts convolutions from the first, so it is at least 1; convolution 0 alone is "0,")`);
  });
});
