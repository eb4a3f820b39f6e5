// ASHA's rungs as a training run sees them (the rule: shared/asha.ts; the
// decisions: the service). After a rung epoch the run asks a referee — the
// workbench, through its training process's parent — whether to go on, and
// waits. The wait ends with the verdict, with a cancel or stop (the run then
// checkpoints and stops as at any epoch's end; a resumed run asks again), or
// with null when no verdict came in time: the run then trains on, since
// training a run to the end is never wrong, only slower.
import type { RungPlan, RungVerdict } from '../../shared/asha';

export interface RungReferee {
  plan: RungPlan;
  /** The verdict on the run after rung epoch `epoch` with `value`; null when none came in time. */
  ask(epoch: number, value: number | null): Promise<RungVerdict | null>;
}

/** The referee's verdict, or 'cancelled' as soon as the signal aborts. */
export function awaitVerdict(referee: RungReferee, epoch: number, value: number | null, signal?: AbortSignal): Promise<RungVerdict | null | 'cancelled'> {
  if (signal?.aborted) return Promise.resolve('cancelled');
  return new Promise((resolve) => {
    const onAbort = () => resolve('cancelled');
    signal?.addEventListener('abort', onAbort, { once: true });
    referee.ask(epoch, value).then(
      (verdict) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(verdict);
      },
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(null);
      },
    );
  });
}
