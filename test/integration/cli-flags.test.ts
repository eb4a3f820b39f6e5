// Flags of `kerv train` and `kerv worker` as a user types them, through the
// bundled CLI (out/node/kerv.js, built by the global setup) in child processes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
