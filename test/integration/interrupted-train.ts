// `kerv train` stopped by Ctrl+C mid-epoch, as a user stops it: shared by the
// tests of an unrecorded run (--checkpoint-dir, resumed with --resume) and of a
// recorded one (resumed with `kerv runs resume`).
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** LeNet-5 on 3,000 images: an epoch long enough to interrupt after its first progress line. */
const LONG_EPOCH = ['--arch', 'lenet5', '--train-subset', '3000', '--test-subset', '100', '--epochs', '1', '--backend', 'wasm'];

/** Runs `kerv train` with `extra` flags, sends SIGINT when the first epoch's progress shows; the exit code and output. */
export async function trainThenCtrlC(extra: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [resolve('out/node/kerv.js'), 'train', ...LONG_EPOCH, ...extra], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    if (/^Epoch 1\/1 /m.test(stdout) && !child.killed) child.kill('SIGINT');
  });
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
  return { code, stdout, stderr };
}
