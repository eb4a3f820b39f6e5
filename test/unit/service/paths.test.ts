import os from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataPaths, defaultDataDir, resolveDataDir } from '../../../src-main/service/paths';

describe('data folder resolution', () => {
  it('flag, then KERV_DATA_DIR, then the XDG data home', () => {
    const env = { KERV_DATA_DIR: '/srv/kerv', XDG_DATA_HOME: '/xdg' };
    expect(resolveDataDir('rel/dir', env)).toBe(resolve('rel/dir'));
    expect(resolveDataDir(undefined, env)).toBe('/srv/kerv');
    expect(resolveDataDir(undefined, { XDG_DATA_HOME: '/xdg' })).toBe(process.platform === 'linux' ? '/xdg/kerv' : defaultDataDir({ XDG_DATA_HOME: '/xdg' }));
  });

  it('defaults to ~/.local/share/kerv on Linux, ignoring a relative XDG_DATA_HOME as the spec says', () => {
    expect(defaultDataDir({}, 'linux')).toBe(join(os.homedir(), '.local', 'share', 'kerv'));
    expect(defaultDataDir({ XDG_DATA_HOME: 'relative' }, 'linux')).toBe(join(os.homedir(), '.local', 'share', 'kerv'));
    expect(defaultDataDir({}, 'darwin')).toBe(join(os.homedir(), 'Library', 'Application Support', 'kerv'));
  });

  it('keeps the database, runs and datasets inside the folder', () => {
    const p = dataPaths('/d');
    expect([p.database, p.checkpointDir(7), p.datasetsDir]).toEqual(['/d/workbench.sqlite', '/d/runs/7/checkpoint', '/d/datasets']);
  });
});
