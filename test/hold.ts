// The tests' side of the training hold (src-main/engine/train/test-hold.ts): a
// test that must act while a run is still training (cancel, close, kill, restart)
// holds it at a step first, acts, and releases it. Whether the run is still
// training is then a fact, on a machine three times faster or slower alike.
//
//   const hold = new RunHold();            // pass hold.env to whatever starts the training processes
//   hold.at(12);                           // every run in that environment pauses once it has taken 12 steps
//   ...wait until the run's step is 12, act...
//   hold.release();                        // or hold.at(40): train on to step 40 and pause again
//
// A run that has already taken N steps when hold.at(N) is written pauses at its
// next step boundary, so hold.at(0) pauses every run now.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { TEST_HOLD_ENV } from '../src-main/engine/train/test-hold';

export class RunHold {
  private readonly dir = mkdtempSync(join(os.tmpdir(), 'kerv-hold-'));
  readonly file = join(this.dir, 'hold');
  /** The environment that subjects training processes to this hold. */
  readonly env: Record<string, string> = { [TEST_HOLD_ENV]: this.file };

  /** Holds every run at `steps` steps (written atomically: a run never reads half a number). */
  at(steps: number): this {
    const next = `${this.file}.next`;
    writeFileSync(next, String(steps));
    renameSync(next, this.file);
    return this;
  }

  /** Lets every run train on. */
  release(): void {
    rmSync(this.file, { force: true });
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
