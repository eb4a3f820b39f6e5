// Where the workbench keeps its data. One folder holds the database, each run's
// files (checkpoints) and the dataset cache, so moving or backing up the folder
// moves everything. Resolution: --data-dir flag, then KERV_DATA_DIR, then the
// XDG data home (~/.local/share/kerv), or the platform's usual place.
import os from 'node:os';
import { join, resolve } from 'node:path';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const home = os.homedir();
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'kerv');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'kerv');
  const xdg = env.XDG_DATA_HOME && env.XDG_DATA_HOME.startsWith('/') ? env.XDG_DATA_HOME : join(home, '.local', 'share');
  return join(xdg, 'kerv');
}

/** The data folder to use: an explicit flag wins over KERV_DATA_DIR, which wins over the default. */
export function resolveDataDir(flag?: string | null, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return resolve(flag);
  if (env.KERV_DATA_DIR) return resolve(env.KERV_DATA_DIR);
  return defaultDataDir(env);
}

export interface DataPaths {
  root: string;
  database: string;
  runsDir: string;
  datasetsDir: string;
  /** Where bundles named by a request are read and written (relative paths resolve here). */
  bundlesDir: string;
  runDir(id: number): string;
  checkpointDir(id: number): string;
}

export function dataPaths(root: string): DataPaths {
  const runsDir = join(root, 'runs');
  return {
    root,
    database: join(root, 'workbench.sqlite'),
    runsDir,
    datasetsDir: join(root, 'datasets'),
    bundlesDir: join(root, 'bundles'),
    runDir: (id) => join(runsDir, String(id)),
    checkpointDir: (id) => join(runsDir, String(id), 'checkpoint'),
  };
}
