// `kerv train` stopped by Ctrl+C mid-epoch, as a user stops it: shared by the
// tests of an unrecorded run (--checkpoint-dir, resumed with --resume) and of a
// recorded one (resumed with `kerv runs resume`).
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { RunHold } from '../hold';

/** A quarter-width MLP on 500 images: 8 steps per epoch. */
const SHORT_EPOCH = ['--arch', 'mlp', '--width', '0.25', '--train-subset', '500', '--test-subset', '100', '--epochs', '1', '--backend', 'wasm'];
/** Where the run is held when Ctrl+C comes: in the middle of its epoch, however fast the machine. */
export const INTERRUPTED_AT_STEP = 5;

/** Runs `kerv train` with `extra` flags, held at step 5, and sends SIGINT once it has paused there; the exit code and output. */
export async function trainThenCtrlC(extra: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const hold = new RunHold().at(INTERRUPTED_AT_STEP);
  try {
    const child = spawn(process.execPath, [resolve('out/node/kerv.js'), 'train', ...SHORT_EPOCH, ...extra], { env: { ...env, ...hold.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (/^Paused before step /m.test(stdout) && !child.killed) child.kill('SIGINT');
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
    return { code, stdout, stderr };
  } finally {
    hold.dispose();
  }
}
