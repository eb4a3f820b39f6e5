// A pause point for tests, so that "the run is still training" is a fact a test
// makes true, never a race it hopes to win. Tests that act on a running run
// (cancel it, close the app, kill its worker or the server, restart Redis) used
// to wait for some progress and act at once; a machine three times faster
// finished the run first and the test failed.
//
// With KERV_TEST_HOLD_FILE=<path> in a training process's environment, a run
// pauses before its next step once it has taken N steps, where N is the number
// written in that file, for as long as the file says so. While paused it
// re-reads the file: a larger N lets it train on to that step, and deleting the
// file releases it. A cancel or stop ends the pause at once, so a paused run
// stops, checkpoints and reports exactly as a training one does. Without the
// variable (every real run) nothing is read. The environment reaches every
// training process the tests start: forked workers, `kerv serve`, `kerv worker`
// and the processes they fork. test/hold.ts is the tests' side of it.
import { readFileSync } from 'node:fs';

export const TEST_HOLD_ENV = 'KERV_TEST_HOLD_FILE';

/** How often a paused run looks at the file again (and at its cancel signal). */
const POLL_MS = 20;

export class TestHold {
  constructor(readonly file: string) {}

  /** The step count the file holds runs at; null when there is no file or it holds no whole number. */
  limit(): number | null {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return null;
    }
    const n = Number(text.trim());
    return text.trim() !== '' && Number.isInteger(n) && n >= 0 ? n : null;
  }

  /** Whether a run that has taken `steps` steps must pause before its next one. */
  holds(steps: number): boolean {
    const n = this.limit();
    return n !== null && steps >= n;
  }

  /** Waits while the hold applies to a run at `steps`, or until `stopping()` says the run is ending. */
  async wait(steps: number, stopping: () => boolean): Promise<void> {
    while (!stopping() && this.holds(steps)) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** The hold that this process's environment asks for, if any. */
export function testHoldFromEnv(env: NodeJS.ProcessEnv = process.env): TestHold | null {
  const file = env[TEST_HOLD_ENV];
  return file ? new TestHold(file) : null;
}
